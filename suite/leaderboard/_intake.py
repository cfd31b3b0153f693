"""Examining one bundle before it may enter the leaderboard (run in worker processes, one bundle at a time).

The checks are ``suite validate``'s: schema, sha256, a release this leaderboard knows, and every
metric recomputed from the samples by the same code (``check_metrics``). Only the reading differs:
DuckDB parses ``samples.jsonl.gz`` once, the metrics read the parsed rows, and the same rows are
staged as Parquet for the database, so no sample is parsed twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from suite._errors import SuiteError
from suite.evaluation._bundle import check_metrics, checked_result
from suite.evaluation._samples import OutcomeRow

SAMPLE_COLUMNS = {
    "test": "VARCHAR",
    "subset": "VARCHAR",
    "question_id": "VARCHAR",
    "benchmark": "VARCHAR",
    "sample": "INTEGER",
    "seed": "BIGINT",
    "position": "DOUBLE",
    "fraction": "DOUBLE",
    "guide": "VARCHAR",
    "guide_sample": "INTEGER",
    "distractor_question_id": "VARCHAR",
    "distractor_sample": "INTEGER",
    "distractor_model": "VARCHAR",
    "own_sample": "INTEGER",
    "prompt_sha256": "VARCHAR",
    "steer_own": "VARCHAR",
    "steer_transition": "VARCHAR",
    "steer_text": "VARCHAR",
    "steer_contains_answer": "BOOLEAN",
    "completion": "VARCHAR",
    "prompt_tokens": "INTEGER",
    "completion_tokens": "INTEGER",
    "finish_reason": "VARCHAR",
    "grade": "JSON",
}
"""Every key of a line of ``samples.jsonl.gz``, with its column type."""
STAGED_COLUMNS = ("run_id", *(k for k in SAMPLE_COLUMNS if k != "grade"), "correct", "grade")
"""The columns of the ``samples`` table, in order."""


@dataclass(frozen=True)
class Examined:
    """What the examination found for one bundle."""

    bundle: Path
    status: str
    """accepted, unchanged (already in the database) or rejected."""
    reason: str = ""
    result: dict[str, Any] | None = None
    staged: Path | None = None
    """Parquet file holding the accepted bundle's samples as ``samples`` rows."""

    @property
    def model(self) -> str:
        return str(self.result["model"]["id"]) if self.result else ""


_releases: frozenset[tuple[str, str]] = frozenset()
_known_runs: frozenset[str] = frozenset()
_staging = Path()
_con: duckdb.DuckDBPyConnection | None = None


def start_examiner(releases: Collection[tuple[str, str]], known_runs: Collection[str], staging: Path) -> None:
    """Set up this process: the known (release version, manifest sha256) pairs, runs already ingested, staging dir."""
    global _releases, _known_runs, _staging, _con
    _releases, _known_runs, _staging = frozenset(releases), frozenset(known_runs), staging
    _con = duckdb.connect(":memory:", config={"threads": 1})


def stop_examiner() -> None:
    """Close this process's connection."""
    global _con
    if _con is not None:
        _con.close()
        _con = None


def examine(bundle: Path) -> Examined:
    """Check one bundle; an accepted one's samples are staged in ``staging/<run_id>.parquet``."""
    try:
        result, samples_path = checked_result(bundle)
        release = (result["release"]["version"], result["release"]["manifest_sha256"])
        if release not in _releases:
            raise SuiteError(
                f"release {release[0]} (manifest {release[1][:12]}...) is not a release this leaderboard knows; "
                "pass its folder with --release"
            )
        run_id = result["samples"]["sha256"]
        if run_id in _known_runs:
            return Examined(bundle, "unchanged", "already in the database", result)
        staged = _staging / f"{run_id}.parquet"
        _stage(result, samples_path, staged)
        return Examined(bundle, "accepted", "", result, staged)
    except SuiteError as e:
        return Examined(bundle, "rejected", str(e))


def _stage(result: dict[str, Any], samples_path: Path, staged: Path) -> None:
    """Parse the samples once, recompute the metrics from the parsed rows, then write the rows as Parquet."""
    assert _con is not None, "start_examiner first"
    columns = ", ".join(f"'{k}': '{v}'" for k, v in SAMPLE_COLUMNS.items())
    try:
        _con.execute(
            f"""CREATE OR REPLACE TABLE staged AS
                SELECT *, CASE WHEN json_type(grade, '$.correct') = 'BOOLEAN'
                               THEN CAST(json_extract(grade, '$.correct') AS BOOLEAN) END AS correct
                FROM read_json(?, format = 'newline_delimited', compression = 'gzip', columns = {{{columns}}})""",
            [str(samples_path)],
        )
    except duckdb.Error as e:
        why = str(e).strip().splitlines()[0][:200]
        raise SuiteError(f"{samples_path} is not readable JSON Lines ({why}); re-run or re-download it.") from None
    incomplete = _con.execute(
        "SELECT count(*) FROM staged WHERE test IS NULL OR question_id IS NULL OR benchmark IS NULL OR correct IS NULL"
    ).fetchone()
    if incomplete and incomplete[0]:
        raise SuiteError(
            f"{samples_path}: {incomplete[0]} samples lack a test, a question id, a benchmark or a true/false grade."
        )
    rows = _con.execute(f"SELECT {', '.join(OutcomeRow._fields)} FROM staged").fetchall()
    check_metrics(result, samples_path, map(OutcomeRow._make, rows))
    select = ", ".join("? AS run_id" if c == "run_id" else c for c in STAGED_COLUMNS)
    _con.execute(
        f"COPY (SELECT {select} FROM staged) TO '{quoted(staged)}' (FORMAT parquet)",
        [result["samples"]["sha256"]],
    )
    _con.execute("DROP TABLE staged")


def quoted(path: Path) -> str:
    """A path inside a single-quoted SQL string literal."""
    return str(path).replace("'", "''")
