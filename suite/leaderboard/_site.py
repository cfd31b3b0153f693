"""The static leaderboard site: index, one page per ranked run, a compare view, lazily loaded samples.

Everything that comes from a bundle is untrusted: templates autoescape, sample data is
written as JSON with ``<``, ``>`` and ``&`` escaped into separate script files and is
only ever put on the page with ``textContent``; file names are derived from hashes.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from suite import __version__
from suite.leaderboard._charts import histogram, line_chart

CHUNK = 100
"""Samples per lazily loaded chunk."""
COLUMNS = (
    ("benchmark", "solo", "macro"),
    ("recoverability_shared", "recoverability/shared", "mean"),
    ("recoverability_individual", "recoverability/individual", "mean"),
    ("guidability_shared", "guidability/shared", "mean"),
    ("guidability_individual", "guidability/individual", "mean"),
    ("control", "guidability/control", "mean"),
)


@dataclass
class Row:
    """One line of the index: a ranked run, or a model as the paper reported it."""

    model: str
    page: str | None
    reported: bool
    release: str
    grading: str
    provenance: str
    size_b: float | None
    scores: dict[str, tuple[float | None, float | None, float | None]] = field(default_factory=dict)
    """column -> (value, ci_low, ci_high), proportions."""
    coverage: float | None = None
    rank_change: int | None = None


def json_for_script(value: Any) -> str:
    """JSON safe to place in a script file or element: no ``<``, ``>``, ``&``, U+2028 or U+2029 left raw."""
    return (
        json.dumps(value, ensure_ascii=True, allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def model_size(name: str) -> float | None:
    """Billions of parameters when the name says so (``...-7B``, ``1.5B``), else None."""
    found = re.findall(r"(?<![\d.])(\d+(?:\.\d+)?)[bB](?![a-zA-Z])", name)
    return float(found[-1]) if found else None


def _ranks(rows: list[Row]) -> None:
    """Rank change: benchmark rank minus recoverability (shared) rank, within suite rows and within paper rows."""
    for reported in (False, True):
        group = [
            r
            for r in rows
            if r.reported == reported
            and r.scores.get("benchmark", (None,))[0] is not None
            and r.scores.get("recoverability_shared", (None,))[0] is not None
        ]
        by_bench = sorted(group, key=lambda r: -(r.scores["benchmark"][0] or 0))
        by_recov = sorted(group, key=lambda r: -(r.scores["recoverability_shared"][0] or 0))
        for row in group:
            row.rank_change = by_bench.index(row) - by_recov.index(row)


def paper_rows(path: Path) -> list[Row]:
    """The paper's Table 1 (percentages) as rows marked reported."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for record in csv.DictReader(f):

            def pct(key: str, record: dict[str, str] = record) -> tuple[float | None, None, None]:
                return (float(record[key]) / 100 if record.get(key) else None, None, None)

            rows.append(
                Row(
                    record["hf_id"] or record["model"],
                    None,
                    True,
                    "paper",
                    "math-verify + judge",
                    "reported",
                    model_size(record["model"]),
                    {
                        "benchmark": pct("bench_avg"),
                        "recoverability_shared": pct("recov_shared"),
                        "recoverability_individual": pct("recov_individual"),
                        "guidability_shared": pct("guid_shared"),
                        "guidability_individual": pct("guid_individual"),
                        "control": (None, None, None),
                    },
                )
            )
    return rows


def build_site(con: duckdb.DuckDBPyConnection, site: Path) -> list[Row]:
    """Write the whole site into ``site`` (its ``data/`` downloads are left in place)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("suite.leaderboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    for name in ("site.js", "style.css"):
        shutil.copyfile(str(resources.files("suite.leaderboard") / "static" / name), site / name)
    runs = con.execute(
        "SELECT run_id, model_id, release_version, judged, provenance FROM ranked ORDER BY model_id, run_id"
    ).fetchall()
    metrics: dict[str, dict[tuple[str, str], tuple[Any, Any, Any]]] = defaultdict(dict)
    for run_id, test, cell, value, low, high in con.execute(
        "SELECT run_id, test, cell, value, ci_low, ci_high FROM metrics JOIN ranked USING (run_id)"
    ).fetchall():
        metrics[run_id][(test, cell)] = (value, low, high)
    rows: list[Row] = []
    pages = site / "models"
    if pages.exists():
        shutil.rmtree(pages)
    pages.mkdir(parents=True)
    for run_id, model, release, judged, provenance in runs:
        found = metrics[run_id]
        row = Row(
            model,
            f"models/{run_id[:16]}.html",
            False,
            release,
            "math-verify + judge" if judged else "math-verify",
            provenance,
            model_size(model),
            {column: found.get((test, cell), (None, None, None)) for column, test, cell in COLUMNS},
            found.get(("recoverability/shared", "coverage"), (None, None, None))[0],
        )
        rows.append(row)
        _model_page(con, env, pages, run_id, row, found)
    rows.extend(paper_rows(Path(str(resources.files("suite.leaderboard") / "paper_table1_math.csv"))))
    _ranks(rows)
    context = {
        "rows": rows,
        "columns": [c for c, _, _ in COLUMNS],
        "version": __version__,
        "releases": sorted({r.release for r in rows}),
        "gradings": sorted({r.grading for r in rows}),
    }
    (site / "index.html").write_text(env.get_template("index.html").render(**context), encoding="utf-8")
    compare = []
    for run_id, model, *_ in runs:
        compare.append(
            {
                "id": run_id[:16],
                "model": model,
                "shared": _positions(metrics[run_id], "shared"),
                "individual": _positions(metrics[run_id], "individual"),
            }
        )
    (site / "compare-data.js").write_text(f"window.suiteCompare = {json_for_script(compare)};\n", encoding="utf-8")
    (site / "compare.html").write_text(
        env.get_template("compare.html").render(runs=compare, version=__version__), encoding="utf-8"
    )
    return rows


def _positions(found: dict[tuple[str, str], tuple[Any, Any, Any]], subset: str) -> list[list[float | None]]:
    points = []
    for (test, cell), (value, low, high) in found.items():
        if test == f"recoverability/{subset}" and cell.startswith("per_position/"):
            points.append([float(cell.split("/", 1)[1]), value, low, high])
    return sorted(points, key=lambda p: p[0] or 0.0)


def _model_page(
    con: duckdb.DuckDBPyConnection,
    env: jinja2.Environment,
    pages: Path,
    run_id: str,
    row: Row,
    found: dict[tuple[str, str], tuple[Any, Any, Any]],
) -> None:
    slug = run_id[:16]
    folder = pages / slug
    folder.mkdir()
    recoverability = {
        subset: [(p[0] or 0.0, p[1], p[2], p[3]) for p in _positions(found, subset)]
        for subset in ("shared", "individual")
        if _positions(found, subset)
    }
    guid: dict[str, list[tuple[float, float | None, None, None]]] = defaultdict(list)
    for guide, fraction, value in con.execute(
        "SELECT guide, fraction, avg(correct::INT) FROM samples WHERE run_id = ? AND test = 'guidability' "
        "AND subset = 'individual' GROUP BY ALL ORDER BY guide, fraction",
        [run_id],
    ).fetchall():
        guid[str(guide)].append((float(fraction), float(value), None, None))
    solved = con.execute(
        "SELECT solved, count(*) FROM (SELECT question_id, sum(correct::INT) AS solved, count(*) AS n FROM samples "
        "WHERE run_id = ? AND test = 'solo' GROUP BY question_id) GROUP BY solved ORDER BY solved",
        [run_id],
    ).fetchall()
    samples_per_question = con.execute(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM samples WHERE run_id = ? AND test = 'solo' "
        "GROUP BY question_id)",
        [run_id],
    ).fetchone()
    top = int(samples_per_question[0] or 8) if samples_per_question else 8
    counts = [0] * (top + 1)
    for k, n in solved:
        counts[min(int(k), top)] = int(n)
    charts = {
        "recoverability": line_chart(recoverability, "Recoverability by insertion position", "insertion position (%)"),
        "guidability": line_chart(guid, "Guidability (individual) by steer fraction", "steer fraction (%)"),
        "solve_rates": histogram(counts, "Solo solve rates"),
    }
    for name, svg in charts.items():
        (folder / f"{name}.svg").write_text(svg, encoding="utf-8")
    groups = _write_chunks(con, folder, run_id)
    html = env.get_template("model.html").render(
        row=row, slug=slug, groups=groups, version=__version__, points=len(recoverability.get("shared", []))
    )
    (pages / f"{slug}.html").write_text(html, encoding="utf-8")


def _write_chunks(con: duckdb.DuckDBPyConnection, folder: Path, run_id: str) -> list[dict[str, Any]]:
    """Samples grouped by (test, subset, position or fraction, guide), in chunk files loaded on demand."""
    cursor = con.execute(
        "SELECT test, coalesce(subset, ''), coalesce(position, fraction), coalesce(guide, ''), question_id, sample, "
        "correct, json_extract_string(grade, '$.answer'), coalesce(steer_own, ''), coalesce(steer_transition, ''), "
        "coalesce(steer_text, ''), completion FROM samples WHERE run_id = ? "
        "ORDER BY test, subset, coalesce(position, fraction), guide, question_id, sample",
        [run_id],
    )
    groups: list[dict[str, Any]] = []
    batch: list[list[Any]] = []

    def flush() -> None:
        group = groups[-1]
        index = len(groups) - 1
        (folder / f"g{index}-{group['chunks']}.js").write_text(
            f"window.suiteChunk({index}, {group['chunks']}, {json_for_script(batch)});\n", encoding="utf-8"
        )
        group["chunks"] += 1
        batch.clear()

    while rows := cursor.fetchmany(2000):
        for test, subset, cell, guide, qid, sample, correct, answer, own, transition, steer, completion in rows:
            label = " / ".join(
                str(x) for x in (test, subset, f"{100 * cell:g}%" if cell is not None else "", guide) if x
            )
            if not groups or groups[-1]["label"] != label:
                if batch:
                    flush()
                groups.append({"label": label, "chunks": 0, "count": 0})
            batch.append([qid, sample, bool(correct), answer, own, transition, steer, completion])
            groups[-1]["count"] += 1
            if len(batch) == CHUNK:
                flush()
    if batch:
        flush()
    return groups
