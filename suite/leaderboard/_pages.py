"""One page per ranked run: charts, the page itself, and its samples in chunks the browser loads on demand.

Runs in worker processes, each with its own read-only connection to the database. Sample chunks
are JSON written by DuckDB (``to_json``) with ``<``, ``>`` and ``&`` escaped, in script files
that only call ``window.suiteChunk``; the page puts their strings on screen with ``textContent``.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import jinja2

from suite import __version__
from suite.leaderboard._chart_cache import cached_chart, chart_cache_folder, use_chart_cache
from suite.leaderboard._charts import histogram, line_chart
from suite.leaderboard._samples_hub import KEPT, SITE_SAMPLES_PER_TEST, chunks_url
from suite.leaderboard._site import LABELS, Found, Row, environment, json_for_script, positions, size_in_billions
from suite.release import Release

CHUNK = 100
"""Samples per lazily loaded chunk, at most."""
CHUNK_CHARS = 2_000_000
"""Characters of text per chunk, about: long reasoning traces make smaller chunks, so each click stays quick."""

_CHUNKS = """
WITH s AS (
    SELECT test, coalesce(subset, '') AS subset, coalesce(position, fraction) AS cell, coalesce(guide, '') AS guide,
           correct, question_id, sample, json_extract_string(grade, '$.answer') AS answer,
           coalesce(steer_own, '') AS own, coalesce(steer_transition, '') AS transition,
           coalesce(steer_text, '') AS steer, completion
    FROM {kept}
), sized AS (
    SELECT *, row_number() OVER w - 1 AS rank,
              sum(length(own) + length(transition) + length(steer) + length(completion)) OVER w AS upto
    FROM s WINDOW w AS (PARTITION BY test, subset, cell, guide, correct ORDER BY question_id, sample)
), numbered AS (  -- a new chunk every $chunk samples or $chunk_chars characters, whichever comes first
    SELECT *, dense_rank() OVER (PARTITION BY test, subset, cell, guide, correct
                                 ORDER BY greatest(rank // $chunk, upto // $chunk_chars)) - 1 AS chunk
    FROM sized
)
SELECT test, subset, cell, guide, correct, chunk, count(*),
       replace(replace(replace(
           to_json(list({'q': question_id, 'k': sample, 'a': answer, 'o': own, 't': transition, 's': steer,
                         'c': completion} ORDER BY question_id, sample)),
           '<', '\\u003c'), '>', '\\u003e'), '&', '\\u0026')
FROM numbered GROUP BY ALL
ORDER BY test, subset, cell NULLS FIRST, guide, correct DESC, chunk
""".replace("{kept}", KEPT)

_con: duckdb.DuckDBPyConnection | None = None
_env: jinja2.Environment | None = None


def start_pages(db: Path) -> None:
    """Set up this process: a read-only connection to ``db`` and the templates."""
    global _con, _env
    _con = duckdb.connect(str(db), read_only=True, config={"threads": 1})
    _env = environment()
    use_chart_cache(chart_cache_folder(db))


def stop_pages() -> None:
    """Close this process's connection."""
    global _con
    if _con is not None:
        _con.close()
        _con = None


def model_page(job: tuple[Path, str, Row, Found]) -> None:
    """Write ``pages/<slug>.html`` and ``pages/<slug>/`` (charts, ``result.json``, sample chunks) for one run.

    Every run has a page, ranked or not: a run that is not ranked (``row.differences``) says why and links
    the run ranked in its place.
    """
    pages, run_id, row, found = job
    assert _con is not None and _env is not None, "start_pages first"
    slug = run_id[:16]
    folder = pages / slug
    folder.mkdir(exist_ok=True)
    recoverability = {
        subset: [(p[0] or 0.0, p[1], p[2], p[3]) for p in positions(found, subset)]
        for subset in ("shared", "individual")
        if positions(found, subset)
    }
    guidability: dict[str, list[tuple[float, float | None, None, None]]] = defaultdict(list)
    for subset, guide, fraction, value in _con.execute(
        "SELECT subset, guide, fraction, avg(correct::INT) FROM samples WHERE run_id = ? AND test = 'guidability' "
        "GROUP BY ALL ORDER BY subset, guide, fraction",
        [run_id],
    ).fetchall():
        guidability[f"{guide} ({subset})"].append((float(fraction), float(value), None, None))
    charts = {  # drawn once for the same data (``_chart_cache``): a rebuild reuses them
        "recoverability": cached_chart(
            line_chart, recoverability, "Recoverability by insertion position", "insertion position (%)"
        ),
        "guidability": cached_chart(line_chart, guidability, "Guidability by steer fraction", "steer fraction (%)"),
        "solve_rates": cached_chart(histogram, _solve_counts(_con, run_id), "Solo solve rates"),
    }
    for name, svg in charts.items():
        (folder / f"{name}.svg").write_text(svg, encoding="utf-8")
    stored = _con.execute("SELECT result, created, release_manifest_sha256 FROM runs WHERE run_id = ?", [run_id])
    text, created, manifest = stored.fetchone() or ("{}", "", "")
    result = json.loads(text)
    # The stored result.json, re-serialised (ASCII only): a browser shows it as text, never as a page.
    (folder / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    metrics = {
        (test, cell): (value, low, high, n, generations)
        for test, cell, value, low, high, n, generations in _con.execute(
            "SELECT test, cell, value, ci_low, ci_high, n, generations FROM metrics WHERE run_id = ?", [run_id]
        ).fetchall()
    }
    questions = f"releases/{questions_file(manifest)}"
    groups = write_chunks(_con, folder, run_id)
    page = _env.get_template("model.html").render(
        row=row,
        slug=slug,
        groups=groups,
        version=__version__,
        points=len(recoverability.get("shared", [])),
        model=model_facts(result, created),
        scores=score_table(metrics, row.not_run),
        settings=run_settings(result),
        variants=variants_of(_con, row.model, run_id),
        questions=f"../{questions}" if (pages.parent / questions).is_file() else "",
        remote=chunks_url(_con, run_id),
    )
    (pages / f"{slug}.html").write_text(page, encoding="utf-8")


def guarded_model_page(job: tuple[Path, str, Row, Found]) -> str | None:
    """``model_page``, or, when anything in it fails, a plain page saying so; returns why it failed, or None."""
    pages, run_id, row, _ = job
    try:
        model_page(job)
        return None
    except Exception as e:  # one run's page never stops the site
        why = f"the page of {row.model} could not be drawn ({type(e).__name__})"
        (pages / f"{run_id[:16]}.html").write_text(
            f"<!doctype html><meta charset=utf-8><title>{html.escape(row.model)}</title><p>{html.escape(why)}.</p>\n",
            encoding="utf-8",
        )
        return why


def _solve_counts(con: duckdb.DuckDBPyConnection, run_id: str) -> list[int]:
    """Questions by number of correct solo samples, 0 ... samples per question."""
    solved = con.execute(
        "SELECT sum(correct::INT), count(*) FROM samples WHERE run_id = ? AND test = 'solo' GROUP BY question_id",
        [run_id],
    ).fetchall()
    top = max((int(n) for _, n in solved), default=8)
    counts = [0] * (top + 1)
    for k, _ in solved:
        counts[min(int(k), top)] += 1
    return counts


def write_chunks(con: duckdb.DuckDBPyConnection, folder: Path, run_id: str) -> list[dict[str, Any]]:
    """Samples grouped by (test, subset, position or fraction, guide), each outcome in its own chunk files.

    ``g<group>-<c|w><k>.js`` holds the k-th chunk (``CHUNK`` samples or ``CHUNK_CHARS`` characters)
    of a group's correct (c) or wrong (w) samples. The site keeps ``SITE_SAMPLES_PER_TEST`` samples of
    each test; the full samples are published to a dataset repository (``suite.leaderboard._samples_hub``).
    """
    groups: list[dict[str, Any]] = []
    for index, outcome, chunk, data in group_chunks(con, run_id, groups, SITE_SAMPLES_PER_TEST):
        (folder / f"g{index}-{outcome}{chunk}.js").write_text(
            f'window.suiteChunk({index}, "{outcome}", {chunk}, {data});\n', encoding="utf-8"
        )
    return groups


def group_chunks(
    con: duckdb.DuckDBPyConnection, run_id: str, groups: list[dict[str, Any]], keep: int
) -> Iterator[tuple[int, str, int, str]]:
    """(group, outcome, chunk, samples as JSON) of at most ``keep`` samples per test; fills ``groups`` as it goes."""
    cursor = con.execute(_CHUNKS, {"run": run_id, "chunk": CHUNK, "chunk_chars": CHUNK_CHARS, "keep": keep})
    while rows := cursor.fetchmany(8):  # a few chunks in memory at a time, however large the run
        yield from _grouped(rows, groups)


def _grouped(rows: list[Any], groups: list[dict[str, Any]]) -> Iterator[tuple[int, str, int, str]]:
    for test, subset, cell, guide, correct, chunk, count, data in rows:
        label = " / ".join(str(x) for x in (test, subset, f"{100 * cell:g}%" if cell is not None else "", guide) if x)
        if not groups or groups[-1]["label"] != label:
            groups.append({"label": label, "c": 0, "w": 0, "count": 0})
        group, outcome = groups[-1], "c" if correct else "w"
        group[outcome] = max(group[outcome], chunk + 1)
        group["count"] += count
        yield len(groups) - 1, outcome, chunk, data


HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
HUB_REVISION = re.compile(r"[A-Za-z0-9._-]{1,100}")
SHA256 = re.compile(r"[0-9a-f]{64}")


def _get(node: Any, *keys: str) -> Any:
    """``node[k1][k2]...``, or None where a level is missing or not an object (``result.json`` is untrusted)."""
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _text(value: Any, limit: int = 200) -> str:
    """A setting as a reader sees it: lists joined, nothing longer than ``limit`` characters."""
    if value is None:
        return "none"
    if isinstance(value, list):
        value = ", ".join(_text(v, limit) for v in value)
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _percents(values: Any) -> str:
    """Proportions as percentages (``0, 20%, 40%``); anything else as plain text."""
    numbers = values if isinstance(values, list) else [values]
    if numbers and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
        return ", ".join(f"{100 * v:g}%" for v in numbers)
    return _text(values)


def _when(created: str) -> str:
    """A run's creation time as a reader reads it (``2026-11-26 00:00 UTC``); the raw text if it does not parse."""
    try:
        moment = datetime.fromisoformat(created).astimezone(UTC)
    except (ValueError, TypeError):
        return created
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _size_text(parameters: Any) -> str:
    """``30.53 B parameters (30,532,122,624)``; small models keep two significant digits; ``?`` when unknown."""
    size = size_in_billions(parameters)
    if size is None:
        return "?"
    return f"{size:{'.2f' if size >= 0.95 else '.2g'}} B parameters ({parameters:,})"


def model_facts(result: dict[str, Any], created: str) -> dict[str, str]:
    """What identifies a run: model, revision, date, release, engine, and a link to the model on the Hub.

    ``hub`` is the model's page at the run's revision, only for a Hub model whose id and revision follow the
    Hub's grammar (so the link cannot point anywhere else); else empty.
    """
    model, revision = str(_get(result, "model", "id") or ""), str(_get(result, "model", "revision") or "")
    hub = ""
    if _get(result, "model", "kind") == "hub" and HUB_ID.fullmatch(model) and HUB_REVISION.fullmatch(revision):
        hub = f"https://huggingface.co/{model}/tree/{revision}"
    versions = _get(result, "backend", "versions")
    engine = _text(_get(result, "backend", "name"))
    if isinstance(versions, dict) and versions:
        engine += " (" + ", ".join(f"{_text(k)} {_text(v)}" for k, v in sorted(versions.items())) + ")"
    commit = _get(result, "suite", "git_commit")
    return {
        "model": model,
        "revision": revision,
        "kind": _text(_get(result, "model", "kind")),
        "created": _when(created),
        "created_iso": created,
        "size": _size_text(_get(result, "model", "parameters")),
        "release": _text(_get(result, "release", "version")),
        "manifest": _text(_get(result, "release", "manifest_sha256")),
        "engine": engine,
        "suite": _text(_get(result, "suite", "version")) + (f" (commit {_text(commit)[:12]})" if commit else ""),
        "hub": hub,
    }


class ScoreLine(NamedTuple):
    """One line of a model page's score table."""

    label: str
    value: float | None
    """Proportion; None when the run has no such score."""
    low: float | None
    high: float | None
    items: int | None
    """Items (questions) the score averages over."""
    generations: int | None
    note: str = ""
    """Why the score is missing (the test was not run), or what the numbers count."""
    level: int = 0
    """0: a headline score; 1: a part of the one above (a benchmark of the solo score)."""


HEADLINES = (
    ("recoverability_shared", "recoverability/shared", "mean"),
    ("coverage", "recoverability/shared", "coverage"),
    ("benchmark", "solo", "macro"),
    ("recoverability_individual", "recoverability/individual", "mean"),
    ("guidability_shared", "guidability/shared", "mean"),
    ("guidability_individual", "guidability/individual", "mean"),
    ("control", "guidability/control", "mean"),
)
"""The score table's lines, in the index's order (each benchmark of the solo score follows it)."""

Metric = tuple[float | None, float | None, float | None, int | None, int | None]
"""(value, ci_low, ci_high, n, generations) of one (test, cell)."""


def score_table(metrics: Mapping[tuple[str, str], Metric], not_run: Mapping[str, str]) -> list[ScoreLine]:
    """A run's headline scores with 95% intervals, items and generations; a test not run says why."""
    lines = []
    for column, test, cell in HEADLINES:
        label = "coverage of the shared subset" if column == "coverage" else LABELS[column]
        found = metrics.get((test, cell))
        if found is None:
            lines.append(ScoreLine(label, None, None, None, None, None, not_run.get(column, "")))
        elif column == "coverage":
            value, _, _, total, covered = found
            lines.append(ScoreLine(label, value, None, None, total, None, f"{covered} of {total} shared items covered"))
        else:
            lines.append(ScoreLine(label, *found))
        if column == "benchmark":
            for (part_test, part), (value, low, high, n, generations) in sorted(metrics.items()):
                if part_test == "solo" and part.startswith("per_benchmark/"):
                    name = part.split("/", 1)[1]
                    lines.append(ScoreLine(name, value, low, high, n, generations, level=1))
    return lines


def run_settings(result: dict[str, Any]) -> list[tuple[str, str]]:
    """The settings a reader needs to judge a run: protocol, sampling, positions, grading, hardware."""
    config = _get(result, "config") or {}
    judge = _get(result, "grading", "judge")
    grader = _text(_get(result, "grading", "grader"))
    version = _get(result, "grading", "math_verify_version")
    gpus = _get(result, "hardware", "gpus")
    return [
        ("protocol", _text(config.get("protocol"))),
        ("samples per question (solo)", _text(config.get("samples"))),
        ("temperature", _text(_get(result, "sampling", "temperature"))),
        ("top-p", _text(_get(result, "sampling", "top_p"))),
        ("top-k", _text(_get(result, "sampling", "top_k"))),
        ("max tokens", _text(_get(result, "sampling", "max_tokens"))),
        (
            "context length",
            f"engine {_text(_get(result, 'backend', 'context_length'))} "
            f"(the model's own: {_text(_get(result, 'model', 'context_length'))})",
        ),
        ("seed", _text(config.get("seed"))),
        ("insertion positions", _percents(config.get("positions"))),
        ("distractor fraction", _percents(config.get("distractor_fraction"))),
        ("guide fractions", _percents(config.get("guide_fractions"))),
        ("transition phrase", _text(config.get("transition"))),
        ("question limit", _text(config.get("limit")) if config.get("limit") is not None else "none (whole release)"),
        ("benchmarks", _text(config.get("benchmarks")) if config.get("benchmarks") else "all of the release"),
        ("grading", f"{grader} {_text(version)}" + (f" + judge {_text(_get(judge, 'judge_model'))}" if judge else "")),
        ("GPUs", _text(gpus) if gpus else "none recorded"),
    ]


VARIANTS = """
SELECT v.run_id, v.model_name, v.created, v.provenance, v.differences,
       max(m.value) FILTER (m.test = 'recoverability/shared' AND m.cell = 'mean') AS recoverability_shared,
       max(m.value) FILTER (m.test = 'solo' AND m.cell = 'macro') AS benchmark
FROM variants v LEFT JOIN metrics m USING (run_id)
WHERE (v.model_name = $name OR v.ranked_instead = $run) AND v.run_id <> $run
GROUP BY ALL ORDER BY try_cast(any_value(v.created) AS TIMESTAMPTZ) DESC NULLS LAST, v.run_id
"""
"""The runs shown on a run's page: its name's runs that do not rank, and runs this one is ranked instead of."""


def variants_of(con: duckdb.DuckDBPyConnection, name: str, run_id: str) -> list[dict[str, Any]]:
    """The database's ``variants`` rows for a model page, each with what differs and its two headline scores."""
    cursor = con.execute(VARIANTS, {"name": name, "run": run_id})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def questions_file(manifest_sha256: str) -> str:
    """The name of a release's question file in ``releases/`` (from its manifest hash, never from its text)."""
    return f"{manifest_sha256[:16]}.js" if SHA256.fullmatch(manifest_sha256) else ""


def write_release_questions(site: Path, releases: Sequence[Release]) -> None:
    """``releases/<manifest16>.js``: each release's question text and gold answer, by question id.

    The sample browser looks a sample's question up here (samples carry only its id), so a question's
    text is stored once per release, not once per sample. Like the chunks, the file only calls
    ``window.suiteQuestions`` with JSON whose ``<``, ``>`` and ``&`` are escaped.
    """
    folder = site / "releases"
    folder.mkdir(exist_ok=True)
    for release in releases:
        name = questions_file(release.manifest_sha256)
        if name:
            rows = [{"q": q.id, "p": q.problem, "g": q.answer} for q in release.questions]
            (folder / name).write_text(f"window.suiteQuestions({json_for_script(rows)});\n", encoding="utf-8")
