"""Examining one bundle before it may enter the leaderboard (run in worker processes, one bundle at a time).

The checks are ``suite validate``'s (``checked_result`` and ``check_samples``: strict JSON within size
limits, schema, sha256, every steer real and its own part the run's own, every metric recomputed),
then the bundle re-derived from its release (``suite.evaluation._rederive``: every completion re-graded,
every generation the protocol implies present once, items, steers and counts as the seed and the solo
grades give them), plus what a public ranking needs: a release this leaderboard knows, a Hub model id and revision, a
``created`` time that parses and is not in the future, a path DuckDB cannot read as a glob, and a
samples file not already held by another model or revision. DuckDB then parses ``samples.jsonl.gz``
once more, checks the metrics from its rows by the same code, and stages the rows as Parquet.
Any failure, of any kind, rejects the bundle with a reason; it never stops the build.

Re-deriving re-grades every completion, so it runs once per bundle: its verdict (accepted, or rejected
and why) is remembered in the database's ``verdicts`` table, keyed by the sha256 of the samples file
and of ``result.json``, and a rebuild reads the verdict instead of grading again.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from suite._errors import SuiteError
from suite._files import sha256_file
from suite.evaluation._bundle import RESULT, check_metrics, check_samples, checked_result
from suite.evaluation._rederive import GraderVersionError, Tally, rederive
from suite.evaluation._samples import OutcomeRow
from suite.release import Release
from suite.submission._names import model_id_problem, revision_problem

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
    created: str = ""
    """``result.json``'s ``created``, parsed and written as ISO 8601 UTC (``2026-11-26T00:00:00Z``)."""
    verdict: tuple[str, str, str, str] | None = None
    """(samples sha256, result.json sha256, status, reason) of re-deriving, when this examination did: remembered."""
    regraded: int = 0
    """Completions this examination handed to the grader (0 when a remembered verdict was used)."""

    @property
    def model(self) -> str:
        return str(self.result["model"]["id"]) if self.result else ""


_releases: dict[tuple[str, str], Release] = {}
_known_runs: dict[str, tuple[str, str]] = {}
_remembered: dict[tuple[str, str], tuple[str, str]] = {}
_grading_workers = 1
_staging = Path()
_con: duckdb.DuckDBPyConnection | None = None


GLOB_CHARACTERS = frozenset("*?[]{}")
"""Characters DuckDB reads as a pattern in a path: a folder named ``[g]ood`` would read ``good/``'s samples."""
FUTURE_SLACK_S = 300.0
"""A ``created`` this far past the build's clock (clock skew) is still accepted; later ones are refused."""


def start_examiner(
    releases: Collection[Release],
    known_runs: Mapping[str, tuple[str, str]],
    staging: Path,
    remembered: Mapping[tuple[str, str], tuple[str, str]] | None = None,
    grading_workers: int = 1,
) -> None:
    """Set up this process: the known releases, ingested runs' (model, revision), staging, remembered verdicts.

    ``remembered``: (samples sha256, result.json sha256) -> (status, reason) of bundles re-derived before;
    ``grading_workers``: grader processes of this examiner's re-grading.
    """
    global _releases, _known_runs, _staging, _con, _remembered, _grading_workers
    _releases = {(r.version, r.manifest_sha256): r for r in releases}
    _known_runs, _staging, _remembered = dict(known_runs), staging, dict(remembered or {})
    _grading_workers = grading_workers
    _con = duckdb.connect(":memory:", config={"threads": 1})


def stop_examiner() -> None:
    """Close this process's connection."""
    global _con
    if _con is not None:
        _con.close()
        _con = None


def examine(bundle: Path) -> Examined:
    """Check one bundle; an accepted one's samples are staged in ``staging/<run_id>.parquet``.

    Whatever goes wrong with one bundle (any exception) rejects that bundle with a reason, never the build.
    """
    try:
        return _examined(bundle)
    except SuiteError as e:
        return Examined(bundle, "rejected", printable(str(e)))
    except Exception as e:  # a hostile bundle found a failure nobody foresaw: it is rejected, the build goes on
        return Examined(
            bundle,
            "rejected",
            printable(
                f"{bundle} could not be examined ({type(e).__name__}: {str(e)[:200]}); the bundle cannot be used."
            ),
        )


def _examined(bundle: Path) -> Examined:
    if GLOB_CHARACTERS & set(str(bundle)):
        raise SuiteError(
            f"{bundle}: a bundle path may not hold any of {''.join(sorted(GLOB_CHARACTERS))} "
            "(the database would read it as a pattern); rename the folder."
        )
    result, samples_path = checked_result(bundle)
    problem = model_problem(result["model"])
    if problem:
        raise SuiteError(f"{bundle}: {problem}; a leaderboard run names its model by its Hugging Face id and revision.")
    created = parsed_created(result["created"], time.time(), bundle)
    release = (result["release"]["version"], result["release"]["manifest_sha256"])
    if release not in _releases:
        raise SuiteError(
            f"release {release[0]} (manifest {release[1][:12]}...) is not a release this leaderboard knows; "
            "pass its folder with --release"
        )
    run_id = result["samples"]["sha256"]
    owner = (result["model"]["id"], result["model"]["revision"])
    if run_id in _known_runs:
        if _known_runs[run_id] != owner:
            raise SuiteError(borrowed(bundle, _known_runs[run_id]))
        return Examined(bundle, "unchanged", "already in the database", result, created=created)
    if not result["samples"]["count"]:
        raise SuiteError(f"{bundle} holds no samples; a run with no generations cannot be ranked.")
    # suite validate's own reading: strict JSON within the size limits, every steer real, every metric recomputed.
    check_samples(result, samples_path)
    key = (run_id, sha256_file(bundle / RESULT))
    verdict, regraded = _remembered.get(key), 0
    if verdict is None:
        tally = Tally()
        try:
            rederive(result, samples_path, _releases[release], _grading_workers, allow_foreign=False, tally=tally)
            verdict = ("accepted", "")
        except GraderVersionError:
            raise  # a fact about this machine, not about the bundle: not remembered
        except SuiteError as e:
            verdict = ("rejected", printable(str(e)))
        regraded = tally.regraded
    remembered = (*key, *verdict) if key not in _remembered else None
    if verdict[0] == "rejected":
        return Examined(bundle, "rejected", verdict[1], result, created=created, verdict=remembered, regraded=regraded)
    staged = _staging / f"{run_id}.parquet"
    _stage(result, samples_path, staged)
    return Examined(bundle, "accepted", "", result, staged, created, verdict=remembered, regraded=regraded)


VERDICTS = """
CREATE TABLE IF NOT EXISTS verdicts (
    samples_sha256 VARCHAR NOT NULL,       -- sha256 of samples.jsonl.gz
    result_sha256 VARCHAR NOT NULL,        -- sha256 of result.json
    status VARCHAR NOT NULL,               -- accepted or rejected
    reason VARCHAR NOT NULL,               -- why it was rejected ("" when accepted)
    regraded INTEGER NOT NULL,             -- completions graded again to reach the verdict
    examined_at DOUBLE NOT NULL,           -- unix time of the re-derivation
    PRIMARY KEY (samples_sha256, result_sha256)
)
"""
"""Re-derivation verdicts, one per (samples, result.json) pair ever examined: a rebuild grades nothing it has seen."""


def remembered_verdicts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, str]]:
    """(samples sha256, result.json sha256) -> (status, reason) of every bundle re-derived before."""
    con.execute(VERDICTS)
    rows = con.execute("SELECT samples_sha256, result_sha256, status, reason FROM verdicts").fetchall()
    return {(samples, result): (status, reason) for samples, result, status, reason in rows}


def remember_verdicts(con: duckdb.DuckDBPyConnection, examined: Sequence[Examined]) -> None:
    """Record the verdict of every bundle re-derived in this build (before its samples are ingested)."""
    rows = [(*e.verdict, e.regraded, time.time()) for e in examined if e.verdict is not None]
    con.execute(VERDICTS)
    if rows:
        con.executemany("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?)", rows)


def model_problem(model: dict[str, Any]) -> str | None:
    """Why a bundle's model cannot be shown: a Hub model needs a Hub id and revision, a local one a plain ASCII name."""
    if "name" in model:  # --model-name: what the leaderboard shows, in the Hub grammar
        problem = model_id_problem(str(model["name"]))
        if problem:
            return f"model.name: {problem}"
    if model["kind"] == "hub":
        return model_id_problem(model["id"]) or revision_problem(model["revision"])
    name = str(model["id"])
    if not name or len(name) > 300 or not all(" " <= c <= "~" for c in name):
        return f"the local model name {name[:80]!r} is not 1-300 printable ASCII characters"
    return None


def borrowed(bundle: Path, owner: tuple[str, str]) -> str:
    """Why a bundle whose samples file is already held by another (model, revision) is refused."""
    return (
        f"{bundle}: its samples file is already held by {owner[0]} at revision {owner[1][:12]}; "
        "a run's samples cannot be submitted under another model id or revision."
    )


def parsed_created(text: str, now: float, bundle: Path) -> str:
    """``created`` as ISO 8601 UTC (``...Z``); refused when unparseable, not UTC, or in the future."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() != timedelta(0):
        raise SuiteError(
            f"{bundle}: created {text[:40]!r} is not an ISO 8601 UTC time such as 2026-11-26T00:00:00Z; "
            "regenerate the bundle with suite eval."
        )
    if moment.timestamp() > now + FUTURE_SLACK_S:
        raise SuiteError(f"{bundle}: created {text[:40]!r} is in the future; regenerate the bundle with suite eval.")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def printable(text: str) -> str:
    """``text`` with anything that is not Unicode text (a lone surrogate from a file name) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
