"""The static leaderboard site's index and compare view, and the rows both are made of.

Everything that comes from a bundle is untrusted: templates autoescape, data for scripts is
JSON with ``<``, ``>`` and ``&`` escaped in separate script files, only ever put on the page
with ``textContent``; file names are derived from hashes. Model pages: ``_pages.py``.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from suite import __version__
from suite.leaderboard._layout import paper_rows_file

COLUMNS = (
    ("recoverability_shared", "recoverability/shared", "mean"),
    ("benchmark", "solo", "macro"),
    ("recoverability_individual", "recoverability/individual", "mean"),
    ("guidability_shared", "guidability/shared", "mean"),
    ("guidability_individual", "guidability/individual", "mean"),
    ("control", "guidability/control", "mean"),
)
Found = dict[tuple[str, str], tuple[Any, Any, Any]]
"""A run's metrics: (test, cell) -> (value, ci_low, ci_high)."""


LABELS = {
    "recoverability_shared": "recoverability (shared)",
    "benchmark": "benchmark",
    "recoverability_individual": "recoverability (individual)",
    "guidability_shared": "guidability (shared)",
    "guidability_individual": "guidability (individual)",
    "control": "control",
}
"""Column headings as a reader sees them, in the paper's words."""
MAX_PARAMETERS = 10**15
"""A parameter count at or above this is not believed (the largest models hold about 10**12)."""


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
    """Billions of parameters, from ``result.json``'s ``model.parameters`` (safetensors headers); None: unknown."""
    scores: dict[str, tuple[float | None, float | None, float | None]] = field(default_factory=dict)
    """column -> (value, ci_low, ci_high), proportions."""
    coverage: float | None = None
    rank_change: int | None = None
    not_run: dict[str, str] = field(default_factory=dict)
    """column -> why the run did not run that test (``result.json``'s ``tests``)."""
    rank: int | None = None
    """Place by shared recoverability among the suite's runs (ties share a place); None for the paper's rows."""
    differences: str = ""
    """Why the run is not ranked (what differs from the standard run, or which run ranks instead); '' when ranked."""
    ranked_page: str | None = None
    """For a run that is not ranked: the page of the run ranked in its place or under its name, when there is one."""
    runs: int = 1
    """Runs of this model the row stands for (an unranked model's row stands for all its runs)."""


def json_for_script(value: Any) -> str:
    """JSON safe to place in a script file or element: no ``<``, ``>``, ``&``, U+2028 or U+2029 left raw."""
    return (
        json.dumps(value, ensure_ascii=True, allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def size_in_billions(parameters: Any) -> float | None:
    """Billions of parameters from a recorded count; None when it is absent or not a believable count.

    The count is what the safetensors headers of the weights add up to (``model.parameters``); a model's
    name is never read for it (``Qwen3-30B-A3B`` has 30.5 B parameters, not 3).
    """
    if isinstance(parameters, bool) or not isinstance(parameters, int) or not 0 < parameters < MAX_PARAMETERS:
        return None
    return parameters / 1e9


def _score(row: Row, column: str) -> float | None:
    return row.scores.get(column, (None, None, None))[0]


def leaderboard_order(rows: list[Row]) -> list[Row]:
    """Rows by shared recoverability (highest first, rows without it last), then benchmark score, then name."""

    def key(row: Row) -> tuple[bool, float, bool, float, str]:
        recoverability, benchmark = _score(row, "recoverability_shared"), _score(row, "benchmark")
        return (recoverability is None, -(recoverability or 0.0), benchmark is None, -(benchmark or 0.0), row.model)

    return sorted(rows, key=key)


def assign_ranks(rows: list[Row]) -> None:
    """Place by shared recoverability among the suite's own rows of the same release and grading: 1, 2, 2, 4 ...

    Equal scores share a place; runs of different releases or grading modes are never ranked against each other.
    """
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        if not row.reported and _score(row, "recoverability_shared") is not None:
            groups[(row.release, row.grading)].append(row)
    for group in groups.values():
        ranked = leaderboard_order(group)
        for i, row in enumerate(ranked):
            before = ranked[i - 1] if i else None
            tied = before is not None and _score(before, "recoverability_shared") == _score(
                row, "recoverability_shared"
            )
            row.rank = before.rank if tied and before is not None else i + 1


def rank_changes(rows: list[Row]) -> None:
    """Rank change: benchmark rank minus recoverability (shared) rank, within suite rows and within paper rows."""
    for reported in (False, True):
        group = [
            r
            for r in rows
            if r.reported == reported
            and _score(r, "benchmark") is not None
            and _score(r, "recoverability_shared") is not None
        ]
        by_bench = sorted(group, key=lambda r: -(_score(r, "benchmark") or 0))
        by_recov = sorted(group, key=lambda r: -(_score(r, "recoverability_shared") or 0))
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
                    None,  # the paper gives no parameter counts; names are never parsed for one
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


def environment() -> jinja2.Environment:
    """The site's templates, autoescaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("suite.leaderboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


RUNS = """
SELECT c.run_id, c.model_name, c.release_version, c.judged, c.provenance, c.result->'tests',
       json_extract(c.result, '$.model.parameters'), {why}
FROM {runs} ORDER BY c.model_name, c.created_at DESC NULLS LAST, c.run_id
"""
"""Runs (``c``) with what their index rows and pages need; newest first within a name."""


def ranked_runs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, Row, Found]]:
    """(run_id, index row, metrics) of every ranked run, by the name a reader sees (``model_name``)."""
    out = _runs(con, "ranked c", "'', NULL")
    assign_ranks([row for _, row, _ in out])
    return out


def variant_runs(con: duckdb.DuckDBPyConnection, ranked: list[tuple[str, Row, Found]]) -> list[tuple[str, Row, Found]]:
    """(run_id, row, metrics) of every run that is not ranked (view ``variants``), each with what differs.

    ``ranked_page`` links the run ranked in its place, else a ranked run of the same name, when there is one.
    """
    out = _runs(con, "compared c JOIN variants v USING (run_id)", "v.differences, v.ranked_instead")
    by_name: dict[str, str] = {}
    for run_id, row, _ in ranked:
        by_name.setdefault(row.model, run_id[:16])
    for _, row, _ in out:
        if row.ranked_page is None and row.model in by_name:
            row.ranked_page = f"{by_name[row.model]}.html"
    return out


def unranked_models(variants: list[tuple[str, Row, Found]], ranked: list[tuple[str, Row, Found]]) -> list[Row]:
    """One index row per model name that has runs but no ranked run: its newest run's, counting its runs."""
    names = {row.model for _, row, _ in ranked}
    rows: dict[str, Row] = {}
    for _, row, _ in variants:  # newest first within a name
        if row.model in names:
            continue
        if row.model in rows:
            rows[row.model].runs += 1
        else:
            rows[row.model] = replace(row)
    return list(rows.values())


def _runs(con: duckdb.DuckDBPyConnection, runs: str, why: str) -> list[tuple[str, Row, Found]]:
    """Rows of the runs ``runs`` (a FROM clause naming them ``c``); ``why``: why not ranked, and the run instead."""
    found_runs = con.execute(RUNS.format(runs=runs, why=why)).fetchall()
    metrics: dict[str, Found] = defaultdict(dict)
    for run_id, test, cell, value, low, high in con.execute(
        f"SELECT run_id, test, cell, value, ci_low, ci_high FROM metrics WHERE run_id IN (SELECT c.run_id FROM {runs})"
    ).fetchall():
        metrics[run_id][(test, cell)] = (value, low, high)
    out = []
    for run_id, model, release, judged, provenance, tests, parameters, differences, instead in found_runs:
        found = metrics[run_id]
        statuses = json.loads(tests) if tests else {}
        row = Row(
            model,
            f"models/{run_id[:16]}.html",
            False,
            release,
            "math-verify + judge" if judged else "math-verify",
            provenance,
            size_in_billions(json.loads(parameters) if parameters else None),
            {column: found.get((test, cell), (None, None, None)) for column, test, cell in COLUMNS},
            found.get(("recoverability/shared", "coverage"), (None, None, None))[0],
            not_run={
                column: str(status.get("reason") or "not run")
                for column, status in ((c, statuses.get("solo" if c == "benchmark" else c)) for c, _, _ in COLUMNS)
                if isinstance(status, dict) and status.get("status") == "not run"
            },
            differences=differences,
            ranked_page=f"{instead[:16]}.html" if instead else None,
        )
        out.append((run_id, row, found))
    return out


def write_index(site: Path, runs: list[tuple[str, Row, Found]], unranked: Sequence[Row] = ()) -> list[Row]:
    """``index.html`` (ranked runs and the paper's rows), ``compare.html`` and the static files, into ``site``.

    Rows come ranked by shared recoverability, highest first; the paper's rows sit among them unranked.
    ``unranked`` (``unranked_models``) are listed below the ranking: models none of whose runs is standard.
    """
    env = environment()
    for name in ("site.js", "style.css"):
        shutil.copyfile(str(resources.files("suite.leaderboard") / "static" / name), site / name)
    paper = paper_rows(paper_rows_file())
    rows = leaderboard_order([row for _, row, _ in runs] + paper)
    assign_ranks(rows)
    rank_changes(rows)
    context = {
        "rows": rows,
        "columns": [c for c, _, _ in COLUMNS],
        "labels": LABELS,
        "version": __version__,
        "releases": sorted({r.release for r in rows}),
        "gradings": sorted({r.grading for r in rows}),
        "paper_count": len(paper),
        "unranked": sorted(unranked, key=lambda row: row.model),
    }
    (site / "index.html").write_text(env.get_template("index.html").render(**context), encoding="utf-8")
    compare = compare_data(runs, paper)
    (site / "compare-data.js").write_text(f"window.suiteCompare = {json_for_script(compare)};\n", encoding="utf-8")
    (site / "compare.html").write_text(
        env.get_template("compare.html").render(
            runs=compare["runs"], measures=compare["measures"], version=__version__
        ),
        encoding="utf-8",
    )
    return rows


COMPARED = (
    "benchmark",
    "recoverability_shared",
    "recoverability_individual",
    "guidability_shared",
    "guidability_individual",
)
"""The headline scores the compare view sets side by side (the paper's Table 1 columns)."""
SHORT_LABELS = {
    "benchmark": "benchmark",
    "recoverability_shared": "recov. shared",
    "recoverability_individual": "recov. indiv.",
    "guidability_shared": "guid. shared",
    "guidability_individual": "guid. indiv.",
}
"""Headings short enough for the compare chart's axis."""


def compare_data(runs: list[tuple[str, Row, Found]], paper: list[Row]) -> dict[str, Any]:
    """What the compare view draws: each run's curves and headline scores with 95% intervals, and the paper's rows.

    ``runs`` are ordered by rank (best first); a paper row has headline scores without intervals and no curve.
    """
    order = {id(row): i for i, row in enumerate(leaderboard_order([row for _, row, _ in runs]))}
    chosen = sorted(runs, key=lambda run: order[id(run[1])])
    return {
        "measures": [SHORT_LABELS[c] for c in COMPARED],
        "runs": [
            {
                "id": run_id[:16],
                "model": row.model,
                "rank": row.rank,
                "shared": positions(found, "shared"),
                "individual": positions(found, "individual"),
                "scores": [list(row.scores.get(c, (None, None, None))) for c in COMPARED],
            }
            for run_id, row, found in chosen
        ],
        "paper": [
            {"model": row.model, "scores": [list(row.scores.get(c, (None, None, None))) for c in COMPARED]}
            for row in paper
        ],
    }


def positions(found: Found, subset: str) -> list[list[float | None]]:
    """(position, value, ci_low, ci_high) of a recoverability subset, by position."""
    points = []
    for (test, cell), (value, low, high) in found.items():
        if test == f"recoverability/{subset}" and cell.startswith("per_position/"):
            points.append([float(cell.split("/", 1)[1]), value, low, high])
    return sorted(points, key=lambda p: p[0] or 0.0)
