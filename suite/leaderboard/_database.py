"""The leaderboard database (DuckDB): runs, metrics in long format, and every sample with its grade.

Re-ingesting a bundle is a no-op (runs are keyed by their samples' sha256, and one samples file
belongs to one model and revision). For each model, revision, release and grading configuration
one run is ranked (view ``ranked``): a verified run before any self-reported one, then the newest
by its parsed ``created`` time; older runs stay queryable.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock, Timeout

from suite._errors import SuiteError
from suite.leaderboard._intake import SAMPLE_COLUMNS, STAGED_COLUMNS, Examined

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,            -- sha256 of samples.jsonl.gz
    model_id VARCHAR NOT NULL,
    model_revision VARCHAR NOT NULL,
    model_kind VARCHAR NOT NULL,
    release_version VARCHAR NOT NULL,
    release_manifest_sha256 VARCHAR NOT NULL,
    grading_key VARCHAR NOT NULL,          -- sha256 of the grading config: never ranked across different ones
    judged BOOLEAN NOT NULL,
    suite_version VARCHAR NOT NULL,
    backend VARCHAR NOT NULL,
    created VARCHAR NOT NULL,              -- ISO 8601 UTC, parsed and checked at intake
    ingested_at DOUBLE NOT NULL,
    source VARCHAR NOT NULL,
    provenance VARCHAR NOT NULL,           -- "self-reported" or "verified"
    samples_count INTEGER NOT NULL,
    result JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id VARCHAR NOT NULL,
    test VARCHAR NOT NULL,                 -- solo, recoverability/shared, guidability/control, ...
    cell VARCHAR NOT NULL,                 -- macro, per_position/0.2, per_guide/oracle, mean, ...
    value DOUBLE,
    ci_low DOUBLE,
    ci_high DOUBLE,
    n INTEGER,
    generations INTEGER
);
CREATE TABLE IF NOT EXISTS samples (run_id VARCHAR NOT NULL, {sample_columns}, correct BOOLEAN, grade JSON);
CREATE OR REPLACE VIEW ranked AS
    SELECT * FROM runs
    QUALIFY row_number() OVER (
        PARTITION BY model_id, model_revision, release_version, grading_key
        ORDER BY provenance = 'verified' DESC, try_cast(created AS TIMESTAMPTZ) DESC NULLS LAST, ingested_at DESC
    ) = 1;
""".replace("{sample_columns}", ", ".join(f"{k} {v}" for k, v in SAMPLE_COLUMNS.items() if k != "grade"))


@contextmanager
def open_database(path: Path, wait_s: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database at ``path``, created if missing, held by this process only (``build_lock``)."""
    with build_lock(path, wait_s), connect(path) as con:
        yield con


@contextmanager
def build_lock(path: Path, wait_s: float = 60.0) -> Iterator[None]:
    """One build of the database at ``path`` at a time: others wait ``wait_s``, then fail with a clear message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path) + ".lock")
    try:
        lock.acquire(timeout=wait_s)
    except Timeout:
        raise SuiteError(
            f"another leaderboard build has been using {path} for over {wait_s:.0f} s; wait for it or use another --db."
        ) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the database (created with its tables if missing, unless ``read_only``)."""
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as e:
        raise SuiteError(f"{path} is not a DuckDB database this suite can open ({e}); use another --db.") from None
    try:
        if not read_only:
            con.execute(SCHEMA)
        yield con
    finally:
        con.close()


def grading_key(grading: dict[str, Any]) -> str:
    """sha256 of a result's grading configuration (canonical JSON)."""
    return hashlib.sha256(json.dumps(grading, sort_keys=True).encode()).hexdigest()


def metric_rows(metrics: dict[str, Any]) -> list[tuple[str, str, Any, Any, Any, Any, Any]]:
    """(test, cell, value, ci_low, ci_high, n, generations) for every score in a ``metrics`` object."""
    rows = []

    def walk(node: dict[str, Any], path: list[str]) -> None:
        if "value" in node and "n" in node:
            depth = 1 if path[0] == "solo" else 2  # solo/<cell>; recoverability/<subset>/<cell>
            test, cell = "/".join(path[:depth]), "/".join(path[depth:])
            rows.append(
                (test, cell, node["value"], node.get("ci_low"), node.get("ci_high"), node["n"], node.get("generations"))
            )
            return
        if "covered" in node and "total" in node:
            rows.append(
                (
                    "/".join(path[:2]),
                    "coverage",
                    node["covered"] / node["total"] if node["total"] else None,
                    None,
                    None,
                    node["total"],
                    node["covered"],
                )
            )
            return
        for key, child in node.items():
            if isinstance(child, dict):
                walk(child, [*path, key])

    walk(metrics, [])
    return rows


def ingest(
    con: duckdb.DuckDBPyConnection, accepted: Sequence[Examined], verified: Collection[Path] = ()
) -> dict[Path, str]:
    """Add accepted bundles (their samples staged as Parquet), each in its own transaction: all of it or none.

    Bundles in ``verified`` were run by the maintainers; the others are self-reported. Returns why each
    bundle that could not be added was not (any failure rejects that bundle only).
    """
    failed: dict[Path, str] = {}
    for examined in accepted:
        con.execute("BEGIN TRANSACTION")
        try:
            _insert(con, examined, examined.bundle in verified)
            con.execute("COMMIT")
        except Exception as e:
            con.execute("ROLLBACK")
            why = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
            failed[examined.bundle] = (
                (
                    f"{examined.bundle} could not be added to the database ({type(e).__name__}: {why}); "
                    "the bundle cannot be used."
                )
                .encode("utf-8", "backslashreplace")
                .decode("utf-8")
            )
    return failed


def _insert(con: duckdb.DuckDBPyConnection, examined: Examined, verified: bool) -> None:
    result = examined.result
    assert result is not None and examined.staged is not None
    run_id = result["samples"]["sha256"]
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            result["model"]["id"],
            result["model"]["revision"],
            result["model"]["kind"],
            result["release"]["version"],
            result["release"]["manifest_sha256"],
            grading_key(result["grading"]),
            result["grading"].get("judge") is not None,
            result["suite"]["version"],
            result["backend"]["name"],
            examined.created or result["created"],
            time.time(),
            str(examined.bundle),
            "verified" if verified else "self-reported",
            result["samples"]["count"],
            json.dumps(result),
        ],
    )
    rows = [(run_id, *row) for row in metric_rows(result["metrics"])]
    if rows:
        con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute(f"INSERT INTO samples SELECT {', '.join(STAGED_COLUMNS)} FROM read_parquet(?)", [str(examined.staged)])


def mark_verified(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """A run already held as self-reported, now also found among the maintainers' runs: verified from now on."""
    con.execute("UPDATE runs SET provenance = 'verified' WHERE run_id = ?", [run_id])


def known_runs(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """Every run already in the database: run_id -> (model id, revision)."""
    return {
        row[0]: (row[1], row[2]) for row in con.execute("SELECT run_id, model_id, model_revision FROM runs").fetchall()
    }
