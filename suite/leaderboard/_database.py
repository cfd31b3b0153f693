"""The leaderboard database (DuckDB): runs, metrics in long format, and every sample with its grade.

Re-ingesting a bundle is a no-op (runs are keyed by their samples' sha256, and one samples file
belongs to one model and revision). Only standard runs are ranked (``suite.leaderboard._comparable``):
for each model (the name a reader sees, and its kind), revision, release and grading configuration one
run (view ``ranked``): a verified run before any self-reported one, then the newest by its parsed
``created`` time. The same weights (the same set of weight sha256s) under two names rank once: a
verified run first, then the name that appeared first. Every other run is kept and listed in the view
``variants`` beside its model, with what differs from the standard run or why another run is ranked.
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
from suite.evaluation._weights import weights_identity
from suite.leaderboard._comparable import differences_from_standard, display_name
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
CREATE TABLE IF NOT EXISTS comparability (
    run_id VARCHAR PRIMARY KEY,
    model_name VARCHAR NOT NULL,           -- what a reader sees: --model-name, the Hub id, or a folder's name and hash
    standard BOOLEAN NOT NULL,             -- the standard measurement (ranked); otherwise a variant
    differences VARCHAR NOT NULL,          -- what differs from the standard run, '; '-separated ('' when standard)
    weights VARCHAR,                       -- sha256 of the sorted weight sha256s; NULL when none is recorded
    parameters BIGINT                      -- from the safetensors headers; NULL when unknown
);
CREATE OR REPLACE VIEW compared AS
    SELECT r.*, c.model_name, c.standard, c.differences, c.weights, c.parameters,
           try_cast(r.created AS TIMESTAMPTZ) AS created_at,
           min(try_cast(r.created AS TIMESTAMPTZ)) OVER (
               PARTITION BY r.model_kind, c.model_name, coalesce(c.weights, r.run_id)
           ) AS name_since                -- when this name first ran these weights
    FROM runs r JOIN comparability c USING (run_id);
CREATE OR REPLACE VIEW newest AS
    SELECT *, first_value(run_id) OVER (
        PARTITION BY model_kind, model_name, model_revision, release_version, grading_key
        ORDER BY provenance = 'verified' DESC, created_at DESC NULLS LAST, ingested_at DESC, run_id
    ) AS model_winner
    FROM compared WHERE standard;
CREATE OR REPLACE VIEW weights_winners AS
    SELECT *, first_value(run_id) OVER (
        PARTITION BY coalesce(weights, run_id), release_version, grading_key
        ORDER BY provenance = 'verified' DESC, name_since ASC NULLS LAST, model_name, run_id
    ) AS winner
    FROM newest WHERE run_id = model_winner;
CREATE OR REPLACE VIEW ranked AS
    SELECT * EXCLUDE (model_winner, winner) FROM weights_winners WHERE run_id = winner;
CREATE OR REPLACE VIEW variants AS
    SELECT c.model_id, c.model_name, c.model_kind, c.model_revision, c.release_version, c.grading_key, c.run_id,
           c.provenance, c.created, c.standard,
           CASE WHEN NOT c.standard THEN c.differences
                WHEN n.model_winner IS NOT NULL AND n.model_winner <> c.run_id
                    THEN 'a newer or verified run of the same model is ranked (' || left(n.model_winner, 12) || ')'
                ELSE 'the same weights are ranked as ' || coalesce(w.model_name, '?')
           END AS differences,
           coalesce(nullif(n.model_winner, c.run_id), w.run_id) AS ranked_instead
    FROM compared c
    LEFT JOIN newest n USING (run_id)
    LEFT JOIN weights_winners ww ON ww.run_id = c.run_id
    LEFT JOIN compared w ON w.run_id = ww.winner
    WHERE c.run_id NOT IN (SELECT run_id FROM ranked);
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
            compare_held_runs(con)
        yield con
    finally:
        con.close()


GRADING_IDENTITY = ("grader", "math_verify_version", "float_rounding", "timeout_s", "retry_timeout_s")
"""The grading settings that decide grades; runs that differ in one are never ranked together."""
JUDGE_IDENTITY = ("judge_model", "judge_prompt_sha256", "steer_candidates_prompt_sha256")
"""What makes two judges the same judge (not its URL, which differs from machine to machine)."""


def grading_key(grading: dict[str, Any]) -> str:
    """sha256 of what decides a run's grades: the grader and its settings, and the judge (or none).

    Counts a run records about its own grading (``steer_answer_judged``...) are not part of it.
    """
    judge = grading.get("judge")
    identity = {key: grading.get(key) for key in GRADING_IDENTITY} | {
        "judge": {key: judge.get(key) for key in JUDGE_IDENTITY} if isinstance(judge, dict) else None
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def comparability_row(run_id: str, result: dict[str, Any]) -> tuple[str, str, bool, str, str | None, int | None]:
    """The ``comparability`` row of a run: its shown name, standard or not, what differs, weights, parameters."""
    model = result.get("model") if isinstance(result.get("model"), dict) else {}
    assert isinstance(model, dict)
    differences = differences_from_standard(result)
    weights = model.get("weights")
    parameters = model.get("parameters")
    return (
        run_id,
        display_name(model),
        not differences,
        "; ".join(differences),
        weights_identity(weights) if isinstance(weights, list) else None,
        parameters if type(parameters) is int and 0 <= parameters < 1 << 62 else None,
    )


def compare_held_runs(con: duckdb.DuckDBPyConnection) -> None:
    """Decide ``comparability`` again for every held run, by this version's rules (never a stale verdict).

    Cheap (``result.json`` only, no sample); it also fills a database written before the table existed.
    """
    rows = [
        comparability_row(run_id, json.loads(result))
        for run_id, result in con.execute("SELECT run_id, result FROM runs").fetchall()
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM comparability")
        if rows:
            con.executemany("INSERT INTO comparability VALUES (?, ?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


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
    con.execute("INSERT INTO comparability VALUES (?, ?, ?, ?, ?, ?)", list(comparability_row(run_id, result)))
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
