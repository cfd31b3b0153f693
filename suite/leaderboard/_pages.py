"""One page per ranked run: charts, the page itself, and its samples in chunks the browser loads on demand.

Runs in worker processes, each with its own read-only connection to the database. Sample chunks
are JSON written by DuckDB (``to_json``) with ``<``, ``>`` and ``&`` escaped, in script files
that only call ``window.suiteChunk``; the page puts their strings on screen with ``textContent``.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from suite import __version__
from suite.leaderboard._charts import histogram, line_chart
from suite.leaderboard._site import Found, Row, environment, positions

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
    FROM samples WHERE run_id = $run
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
"""

_con: duckdb.DuckDBPyConnection | None = None
_env: jinja2.Environment | None = None


def start_pages(db: Path) -> None:
    """Set up this process: a read-only connection to ``db`` and the templates."""
    global _con, _env
    _con = duckdb.connect(str(db), read_only=True, config={"threads": 1})
    _env = environment()


def stop_pages() -> None:
    """Close this process's connection."""
    global _con
    if _con is not None:
        _con.close()
        _con = None


def model_page(job: tuple[Path, str, Row, Found]) -> None:
    """Write ``pages/<slug>.html`` and ``pages/<slug>/`` (charts, sample chunks) for one run."""
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
    charts = {
        "recoverability": line_chart(recoverability, "Recoverability by insertion position", "insertion position (%)"),
        "guidability": line_chart(guidability, "Guidability by steer fraction", "steer fraction (%)"),
        "solve_rates": histogram(_solve_counts(_con, run_id), "Solo solve rates"),
    }
    for name, svg in charts.items():
        (folder / f"{name}.svg").write_text(svg, encoding="utf-8")
    groups = write_chunks(_con, folder, run_id)
    html = _env.get_template("model.html").render(
        row=row, slug=slug, groups=groups, version=__version__, points=len(recoverability.get("shared", []))
    )
    (pages / f"{slug}.html").write_text(html, encoding="utf-8")


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
    of a group's correct (c) or wrong (w) samples.
    """
    groups: list[dict[str, Any]] = []
    for test, subset, cell, guide, correct, chunk, count, data in con.execute(
        _CHUNKS, {"run": run_id, "chunk": CHUNK, "chunk_chars": CHUNK_CHARS}
    ).fetchall():
        label = " / ".join(str(x) for x in (test, subset, f"{100 * cell:g}%" if cell is not None else "", guide) if x)
        if not groups or groups[-1]["label"] != label:
            groups.append({"label": label, "c": 0, "w": 0, "count": 0})
        group, outcome = groups[-1], "c" if correct else "w"
        (folder / f"g{len(groups) - 1}-{outcome}{chunk}.js").write_text(
            f'window.suiteChunk({len(groups) - 1}, "{outcome}", {chunk}, {data});\n', encoding="utf-8"
        )
        group[outcome] = max(group[outcome], chunk + 1)
        group["count"] += count
    return groups
