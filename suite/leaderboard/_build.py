"""``suite leaderboard build``: validate every bundle, merge the valid ones into DuckDB, export the ranked table."""

from __future__ import annotations

import glob
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from suite.leaderboard._database import build_lock, connect, ingest, run_ids
from suite.leaderboard._intake import examine, quoted, start_examiner, stop_examiner
from suite.leaderboard._pages import model_page, start_pages, stop_pages
from suite.leaderboard._site import ranked_runs, write_index
from suite.release import Release


@dataclass(frozen=True)
class Verdict:
    """What happened to one bundle."""

    bundle: Path
    status: str
    """accepted, already in the database, or rejected."""
    reason: str
    model: str = ""


def bundle_folders(patterns: Sequence[str]) -> list[Path]:
    """Folders holding a ``result.json``, from paths and globs (a folder of bundles is searched one level down)."""
    found: list[Path] = []
    for pattern in patterns:
        matches = [Path(m) for m in sorted(glob.glob(pattern)) if Path(m).is_dir()] or [Path(pattern)]
        for match in matches:
            if (match / "result.json").is_file() or not match.is_dir():
                found.append(match)  # a bundle, or a path that is not one (rejected with its reason)
            else:
                found.extend(sorted(p.parent for p in match.glob("*/result.json")))
    return list(dict.fromkeys(found))


def build_database(
    patterns: Sequence[str],
    db: Path,
    releases: Sequence[Release],
    site: Path,
    wait_s: float = 60.0,
    jobs: int | None = None,
    verified: Sequence[str] = (),
) -> list[Verdict]:
    """Validate and ingest every bundle, write the exports into ``site/data`` and build the site in ``site``.

    One verdict per bundle; a rejected bundle never stops the build. ``jobs`` worker processes
    (default: one per available core) examine bundles and write model pages. Bundles found through
    ``verified`` (maintainer runs) are marked "verified", the others "self-reported".
    """
    jobs = jobs or len(os.sched_getaffinity(0))
    trusted = bundle_folders(verified) if verified else []
    bundles = list(dict.fromkeys([*bundle_folders(patterns), *trusted]))
    known_releases = [(r.version, r.manifest_sha256) for r in releases]
    with build_lock(db, wait_s):
        verdicts = _ingest(bundles, set(trusted), db, known_releases, jobs)
        with connect(db, read_only=True) as con:
            exports = site / "data"
            exports.mkdir(parents=True, exist_ok=True)
            for name, query in EXPORTS.items():
                con.execute(f"COPY ({query}) TO '{quoted(exports / name)}'")
            runs = ranked_runs(con)
        pages = site / "models"
        if pages.exists():
            shutil.rmtree(pages)
        pages.mkdir(parents=True)
        list(_in_workers(model_page, [(pages, *run) for run in runs], jobs, start_pages, (db,), stop_pages))
    write_index(site, runs)
    return verdicts


def _ingest(
    bundles: list[Path], trusted: set[Path], db: Path, releases: list[tuple[str, str]], jobs: int
) -> list[Verdict]:
    """Examine every bundle in workers, then ingest the accepted ones in one transaction."""
    with connect(db) as con, tempfile.TemporaryDirectory(prefix=".staging-", dir=db.parent) as tmp:
        verdicts, accepted = [], []
        seen: set[str] = set()
        setup = (releases, run_ids(con), Path(tmp))
        for examined in _in_workers(examine, bundles, jobs, start_examiner, setup, stop_examiner):
            run_id = examined.result["samples"]["sha256"] if examined.result else None
            if examined.status == "accepted" and run_id in seen:
                examined = replace(examined, status="unchanged", reason="same samples as another bundle of this build")
            if examined.status == "accepted":
                seen.add(str(run_id))
                accepted.append(examined)
            verdicts.append(Verdict(examined.bundle, examined.status, examined.reason, examined.model))
        ingest(con, accepted, verified=trusted)
        con.execute("CHECKPOINT")
    return verdicts


def _in_workers(
    work: Callable[[Any], Any],
    items: Sequence[Any],
    jobs: int,
    start: Callable[..., None],
    args: tuple[Any, ...],
    stop: Callable[[], None],
) -> Iterator[Any]:
    """``work`` on every item, in order, in ``jobs`` fresh worker processes each set up by ``start(*args)``.

    With one job or one item it runs here, between ``start(*args)`` and ``stop()``.
    """
    if jobs <= 1 or len(items) <= 1:
        start(*args)
        try:
            yield from map(work, items)
        finally:
            stop()
        return
    # spawn, not fork: a forked DuckDB connection or matplotlib state is not safe to use.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(jobs, len(items)), mp_context=context, initializer=start, initargs=args) as pool:
        yield from pool.map(work, items)


RANKED_TABLE = """
SELECT r.model_id, r.model_revision, r.release_version, r.judged, r.provenance, r.created, r.run_id,
       max(m.value) FILTER (m.test = 'solo' AND m.cell = 'macro') AS benchmark,
       max(m.value) FILTER (m.test = 'recoverability/shared' AND m.cell = 'mean') AS recoverability_shared,
       max(m.value) FILTER (m.test = 'recoverability/individual' AND m.cell = 'mean') AS recoverability_individual,
       max(m.value) FILTER (m.test = 'guidability/shared' AND m.cell = 'mean') AS guidability_shared,
       max(m.value) FILTER (m.test = 'guidability/individual' AND m.cell = 'mean') AS guidability_individual,
       max(m.value) FILTER (m.test = 'guidability/control' AND m.cell = 'mean') AS control,
       max(m.value) FILTER (m.test = 'recoverability/shared' AND m.cell = 'coverage') AS coverage
FROM ranked r LEFT JOIN metrics m USING (run_id)
GROUP BY ALL ORDER BY recoverability_shared DESC NULLS LAST, model_id
"""

EXPORTS = {
    "results.parquet": RANKED_TABLE,
    "results.csv": RANKED_TABLE,
    "samples.parquet": "SELECT s.* FROM samples s JOIN ranked USING (run_id)",
}
