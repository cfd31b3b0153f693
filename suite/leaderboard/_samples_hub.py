"""Samples hosted where they fit: each verified run's full samples in a Hugging Face dataset repository.

A real run holds about 12,000 solo generations of up to 32K tokens plus its steered runs: hundreds of MB
of text, and GitHub Pages holds 1 GB in all. So the site keeps only a small sample of each test
(``SITE_SAMPLES_PER_TEST``), and ``suite leaderboard publish-samples`` uploads every verified run's
samples, in one commit per call, to a dataset repository::

    runs/<run_id>/samples.parquet           every sample, grade fields flattened (pandas, DuckDB, datasets)
    runs/<run_id>/chunks/index.json         the sample browser's groups: label, chunks per outcome, count
    runs/<run_id>/chunks/g<i>-<c|w><k>.json the k-th chunk of group i's correct (c) or wrong (w) samples

JSON chunks sit beside the Parquet file because a browser has no Parquet reader; the chunks are the
same groups the site's own sample browser shows. The database remembers where each run went
(table ``published_samples``) and the model page reads the chunks from that commit, so the link is
pinned: ``<endpoint>/datasets/<repo>/resolve/<commit>/runs/<run_id>/chunks/``. A ``samples_base_url``
in ``leaderboard/site.toml`` replaces ``<endpoint>/datasets/<repo>/resolve/<commit>`` (a mirror).
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from suite._errors import SuiteError
from suite.leaderboard._intake import SAMPLE_COLUMNS, quoted
from suite.leaderboard._layout import site_settings

SITE_SAMPLES_PER_TEST = 20
"""Samples of each test a run's page keeps in the site's own files (spread over its groups)."""
ALL = 1 << 62
"""``$keep`` meaning every sample."""


def kept_samples(where: str) -> str:
    """SQL for the samples matching ``where``, at most ``$keep`` of each test of each run.

    The first sample of every group (position, guide, outcome...), then the second, and so on.
    """
    return f"""(SELECT * EXCLUDE (place) FROM (
        SELECT *, row_number() OVER (PARTITION BY run_id, test, subset, position, fraction, guide, correct
                                     ORDER BY question_id, sample) AS place
        FROM samples WHERE {where})
    QUALIFY row_number() OVER (
        PARTITION BY run_id, test ORDER BY place, subset NULLS FIRST, position NULLS FIRST, fraction NULLS FIRST,
                     guide NULLS FIRST, correct DESC, question_id, sample) <= $keep)"""


KEPT = kept_samples("run_id = $run")
"""The site's sample of one run (``$run``)."""
SITE_EXPORT = "SELECT * FROM " + kept_samples("run_id IN (SELECT run_id FROM ranked)").replace(
    "$keep", str(SITE_SAMPLES_PER_TEST)
)
"""The site's ``data/samples.parquet``: the site's sample of each ranked run (the full samples are on the Hub)."""
PUBLISHED = """
CREATE TABLE IF NOT EXISTS published_samples (
    run_id VARCHAR PRIMARY KEY,            -- the run (sha256 of its samples.jsonl.gz)
    repo VARCHAR NOT NULL,                 -- the dataset repository, OWNER/NAME
    commit_sha VARCHAR NOT NULL,           -- the commit that added the run's folder: links are pinned to it
    folder VARCHAR NOT NULL,               -- runs/<run_id>
    endpoint VARCHAR NOT NULL,             -- the Hub it went to (https://huggingface.co)
    samples INTEGER NOT NULL,              -- rows in samples.parquet
    published_at DOUBLE NOT NULL           -- seconds since the epoch
);
"""
RUN_ID = re.compile(r"[0-9a-f]{64}")
COMMIT = re.compile(r"[0-9a-f]{40}")
GRADE_FIELDS = {
    "answer": "VARCHAR",
    "method": "VARCHAR",
    "truncated": "BOOLEAN",
    "no_answer": "BOOLEAN",
    "timed_out": "BOOLEAN",
    "error": "VARCHAR",
    "judge_verdict": "VARCHAR",
}
"""The grade's fields, each its own Parquet column ``grade_<field>`` (``grade_details`` keeps the rest as JSON)."""


@dataclass(frozen=True)
class PublishedRun:
    """One run whose samples are in the dataset repository."""

    run_id: str
    """sha256 of the run's ``samples.jsonl.gz``."""
    model: str
    """The name a reader sees."""
    samples: int
    """Rows in its ``samples.parquet``."""
    url: str
    """Its folder at the pinned commit: ``<endpoint>/datasets/<repo>/resolve/<commit>/runs/<run_id>/``."""


def folder_url(endpoint: str, repo: str, commit: str, folder: str) -> str:
    """Where a run's folder is served, pinned by commit (a trailing ``/``)."""
    return f"{endpoint.rstrip('/')}/datasets/{repo}/resolve/{commit}/{folder}/"


def flattened(run_id: str) -> str:
    """SQL for a run's samples as the published Parquet rows: every sample column, the grade's fields apart."""
    columns = [k for k in SAMPLE_COLUMNS if k != "grade"]
    grade = [
        f"TRY_CAST(json_extract{'_string' if kind == 'VARCHAR' else ''}(grade, '$.{name}') AS {kind}) AS grade_{name}"
        for name, kind in GRADE_FIELDS.items()
    ]
    assert RUN_ID.fullmatch(run_id)
    return (
        f"SELECT run_id, {', '.join(columns)}, correct, {', '.join(grade)}, "
        "json_extract(grade, '$.details')::VARCHAR AS grade_details "
        f"FROM samples WHERE run_id = '{run_id}' ORDER BY test, subset, position, fraction, guide, question_id, sample"
    )


def write_run_folder(con: duckdb.DuckDBPyConnection, run_id: str, folder: Path) -> int:
    """``folder/samples.parquet`` and ``folder/chunks/`` of one run; returns the number of samples."""
    from suite.leaderboard._pages import group_chunks  # the site's own grouping, so both browsers agree

    (folder / "chunks").mkdir(parents=True)
    con.execute(f"COPY ({flattened(run_id)}) TO '{quoted(folder / 'samples.parquet')}' (FORMAT parquet)")
    groups: list[dict[str, Any]] = []
    for index, outcome, chunk, data in group_chunks(con, run_id, groups, ALL):
        (folder / "chunks" / f"g{index}-{outcome}{chunk}.json").write_text(data, encoding="utf-8")
    (folder / "chunks" / "index.json").write_text(json.dumps({"groups": groups}, ensure_ascii=True), encoding="utf-8")
    return sum(int(g["count"]) for g in groups)


def publish_samples(
    db: Path, repo: str, token: str | None = None, endpoint: str | None = None, wait_s: float = 60.0
) -> list[PublishedRun]:
    """Upload every verified run of ``db`` not yet published to dataset ``repo``, in one commit; record where.

    Returns the runs uploaded now (none: nothing to do, no commit made). The database is held for the
    whole call, so no build changes it meanwhile; a failed upload records nothing (the next call retries).
    """
    from huggingface_hub import CommitOperationAdd, HfApi, constants

    from suite.leaderboard._database import open_database
    from suite.release._publish import _hub_errors
    from suite.release._pull import check_repo

    check_repo(repo)
    hub = (endpoint or constants.ENDPOINT).rstrip("/")
    if not hub.startswith(("https://", "http://")) or any(c in hub for c in "\"'<> "):
        raise SuiteError(f"--endpoint {hub[:80]!r} is not an http(s) URL; pass the Hub's address.")
    if not db.is_file():
        raise SuiteError(f"{db} does not exist; run suite leaderboard build --db {db} first.")
    with open_database(db, wait_s) as con:
        con.execute(PUBLISHED)
        todo = con.execute(
            "SELECT r.run_id, c.model_name FROM runs r JOIN comparability c USING (run_id) "
            "WHERE r.provenance = 'verified' AND r.run_id NOT IN (SELECT run_id FROM published_samples) "
            "ORDER BY r.run_id"
        ).fetchall()
        if not todo:
            return []
        if constants.HF_HUB_OFFLINE:
            raise SuiteError(f"HF_HUB_OFFLINE is set, so nothing can be published to {hub}; unset it.")
        with tempfile.TemporaryDirectory(prefix="suite-samples-") as scratch:
            counts = {run_id: write_run_folder(con, run_id, Path(scratch) / run_id) for run_id, _ in todo}
            operations = [
                CommitOperationAdd(f"runs/{path.relative_to(scratch).as_posix()}", str(path))
                for path in sorted(Path(scratch).rglob("*"))
                if path.is_file()
            ]
            api = HfApi(endpoint=hub, token=token)
            with _hub_errors(repo, hub):
                api.create_repo(repo, repo_type="dataset", exist_ok=True)
                head = api.dataset_info(repo, revision="main").sha
                commit = api.create_commit(
                    repo,
                    operations,
                    commit_message=f"Samples of {len(todo)} verified run(s)",
                    repo_type="dataset",
                    revision="main",
                    parent_commit=head,  # refused if someone else committed since we looked
                )
        sha = str(commit.oid)
        if not COMMIT.fullmatch(sha):
            raise SuiteError(f"{hub} answered commit id {sha[:60]!r} for {repo}, not a 40-hex sha; check --endpoint.")
        now = time.time()
        con.executemany(
            "INSERT INTO published_samples VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(run_id, repo, sha, f"runs/{run_id}", hub, counts[run_id], now) for run_id, _ in todo],
        )
        con.execute("CHECKPOINT")
    return [
        PublishedRun(run_id, model, counts[run_id], folder_url(hub, repo, sha, f"runs/{run_id}"))
        for run_id, model in todo
    ]


@functools.cache
def _base_url() -> str:
    """``samples_base_url`` of ``leaderboard/site.toml`` (read once per process)."""
    return site_settings().samples_base_url


def chunks_url(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """Where the sample browser fetches a run's full chunks; empty when they are only in the site's own files.

    A published run's chunks at its pinned commit, or under ``samples_base_url`` when the site sets one.
    """
    if not _has_published_table(con):
        return ""
    row = con.execute(
        "SELECT repo, commit_sha, folder, endpoint FROM published_samples WHERE run_id = ?", [run_id]
    ).fetchone()
    if row is None:
        return ""
    repo, commit, folder, endpoint = (str(v) for v in row)
    base = _base_url()
    return f"{base.rstrip('/')}/{folder}/chunks/" if base else folder_url(endpoint, repo, commit, folder) + "chunks/"


def _has_published_table(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'published_samples'").fetchone()
    return bool(found and found[0])
