"""The static leaderboard site's index and compare view, and the rows both are made of.

Everything that comes from a bundle is untrusted: templates autoescape, data for scripts is
JSON with ``<``, ``>`` and ``&`` escaped in separate script files, only ever put on the page
with ``textContent``; file names are derived from hashes. Model pages: ``_pages.py``.
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

COLUMNS = (
    ("benchmark", "solo", "macro"),
    ("recoverability_shared", "recoverability/shared", "mean"),
    ("recoverability_individual", "recoverability/individual", "mean"),
    ("guidability_shared", "guidability/shared", "mean"),
    ("guidability_individual", "guidability/individual", "mean"),
    ("control", "guidability/control", "mean"),
)
Found = dict[tuple[str, str], tuple[Any, Any, Any]]
"""A run's metrics: (test, cell) -> (value, ci_low, ci_high)."""


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
    not_run: dict[str, str] = field(default_factory=dict)
    """column -> why the run did not run that test (``result.json``'s ``tests``)."""


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


def environment() -> jinja2.Environment:
    """The site's templates, autoescaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("suite.leaderboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def ranked_runs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, Row, Found]]:
    """(run_id, index row, metrics) of every ranked run, by model id."""
    runs = con.execute(
        "SELECT run_id, model_id, release_version, judged, provenance, result->'tests' FROM ranked "
        "ORDER BY model_id, run_id"
    ).fetchall()
    metrics: dict[str, Found] = defaultdict(dict)
    for run_id, test, cell, value, low, high in con.execute(
        "SELECT run_id, test, cell, value, ci_low, ci_high FROM metrics JOIN ranked USING (run_id)"
    ).fetchall():
        metrics[run_id][(test, cell)] = (value, low, high)
    out = []
    for run_id, model, release, judged, provenance, tests in runs:
        found = metrics[run_id]
        statuses = json.loads(tests) if tests else {}
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
            not_run={
                column: str(status.get("reason") or "not run")
                for column, status in ((c, statuses.get("solo" if c == "benchmark" else c)) for c, _, _ in COLUMNS)
                if isinstance(status, dict) and status.get("status") == "not run"
            },
        )
        out.append((run_id, row, found))
    return out


def write_index(site: Path, runs: list[tuple[str, Row, Found]]) -> list[Row]:
    """``index.html`` (ranked runs and the paper's rows), ``compare.html`` and the static files, into ``site``."""
    env = environment()
    for name in ("site.js", "style.css"):
        shutil.copyfile(str(resources.files("suite.leaderboard") / "static" / name), site / name)
    rows = [row for _, row, _ in runs]
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
    compare = [
        {
            "id": run_id[:16],
            "model": row.model,
            "shared": positions(found, "shared"),
            "individual": positions(found, "individual"),
        }
        for run_id, row, found in runs
    ]
    (site / "compare-data.js").write_text(f"window.suiteCompare = {json_for_script(compare)};\n", encoding="utf-8")
    (site / "compare.html").write_text(
        env.get_template("compare.html").render(runs=compare, version=__version__), encoding="utf-8"
    )
    return rows


def positions(found: Found, subset: str) -> list[list[float | None]]:
    """(position, value, ci_low, ci_high) of a recoverability subset, by position."""
    points = []
    for (test, cell), (value, low, high) in found.items():
        if test == f"recoverability/{subset}" and cell.startswith("per_position/"):
            points.append([float(cell.split("/", 1)[1]), value, low, high])
    return sorted(points, key=lambda p: p[0] or 0.0)
