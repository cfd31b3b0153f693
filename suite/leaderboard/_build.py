"""``suite leaderboard build``: validate every bundle, merge the valid ones into DuckDB, export the ranked table."""

from __future__ import annotations

import csv
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

from suite.leaderboard._database import build_lock, connect, ingest, known_runs, mark_verified
from suite.leaderboard._intake import (
    borrowed,
    examine,
    quoted,
    remember_verdicts,
    remembered_verdicts,
    start_examiner,
    stop_examiner,
)
from suite.leaderboard._pages import guarded_model_page, start_pages, stop_pages, write_release_questions
from suite.leaderboard._samples_hub import SITE_EXPORT
from suite.leaderboard._site import ranked_runs, unranked_models, variant_runs, write_index
from suite.release import Release


@dataclass(frozen=True)
class Verdict:
    """What happened to one bundle."""

    bundle: Path
    status: str
    """accepted, already in the database, or rejected."""
    reason: str
    model: str = ""
    regraded: int = 0
    """Completions graded again to examine it (0 when its verdict was remembered from an earlier build)."""


BUNDLE_DEPTH = 2
"""A folder of bundles is searched this many levels down (``results/verified/<owner--name>/<commit12>/``)."""


def bundle_folders(patterns: Sequence[str]) -> list[Path]:
    """Folders holding a ``result.json``, from paths and globs (a folder of bundles is searched two levels down)."""
    found: list[Path] = []
    for pattern in patterns:
        matches = [Path(m) for m in sorted(glob.glob(pattern)) if Path(m).is_dir()] or [Path(pattern)]
        for match in matches:
            if (match / "result.json").is_file() or not match.is_dir():
                found.append(match)  # a bundle, or a path that is not one (rejected with its reason)
                continue
            for depth in range(1, BUNDLE_DEPTH + 1):
                found.extend(sorted(p.parent for p in match.glob("/".join(["*"] * depth + ["result.json"]))))
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
    ``verified`` (maintainer runs) are marked "verified" and examined first, the others "self-reported".
    The site is written into a temporary folder next to ``site`` and then swapped in whole.
    """
    jobs = jobs or len(os.sched_getaffinity(0))
    trusted = bundle_folders(verified) if verified else []
    bundles = list(dict.fromkeys([*trusted, *bundle_folders(patterns)]))
    with build_lock(db, wait_s):
        verdicts = _ingest(bundles, set(trusted), db, list(releases), jobs)
        site.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=f".{site.name}-", dir=site.parent))
        try:
            _write_site(fresh, db, jobs, releases)
            _swap_in(fresh, site)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
    return verdicts


def _write_site(site: Path, db: Path, jobs: int, releases: Sequence[Release] = ()) -> None:
    """Exports, the releases' questions, model pages and the index into the (new, empty) folder ``site``."""
    with connect(db, read_only=True) as con:
        exports = site / "data"
        exports.mkdir(parents=True)
        for name, query in EXPORTS.items():
            con.execute(f"COPY ({query}) TO '{quoted(exports / name)}'")
        write_csv(con, RANKED_TABLE, exports / "results.csv")
        write_csv(con, VARIANTS_TABLE, exports / "variants.csv")
        runs = ranked_runs(con)
        variants = variant_runs(con, runs)
    write_release_questions(site, releases)
    pages = site / "models"
    pages.mkdir()
    every_run = [(pages, *run) for run in [*runs, *variants]]
    list(_in_workers(guarded_model_page, every_run, jobs, start_pages, (db,), stop_pages))
    write_index(site, runs, unranked_models(variants, runs))


def _swap_in(fresh: Path, site: Path) -> None:
    """Replace ``site`` by ``fresh`` with renames: readers see the old site or the new one, never a mix."""
    fresh.chmod(0o755)
    if not site.exists():
        os.replace(fresh, site)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{site.name}-old-", dir=site.parent))
    os.replace(site, old / site.name)
    os.replace(fresh, site)
    shutil.rmtree(old, ignore_errors=True)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting with one of these as a formula (``=HYPERLINK(...)``)."""


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading ``'``; other values stay."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(con: Any, query: str, path: Path) -> None:
    """The rows of ``query`` as CSV with a header, every text cell made ``spreadsheet_safe``."""
    cursor = con.execute(query)
    header = [d[0] for d in cursor.description]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([spreadsheet_safe(v) for v in row] for row in cursor.fetchall())


def _ingest(bundles: list[Path], trusted: set[Path], db: Path, releases: list[Release], jobs: int) -> list[Verdict]:
    """Examine every bundle in workers (verified ones first), then ingest each accepted one in its own transaction."""
    with connect(db) as con, tempfile.TemporaryDirectory(prefix=".staging-", dir=db.parent) as tmp:
        verdicts, accepted = [], []
        held = known_runs(con)
        seen: dict[str, tuple[str, str]] = {}
        setup = (releases, held, Path(tmp), remembered_verdicts(con))
        examined_all = list(_in_workers(examine, bundles, jobs, start_examiner, setup, stop_examiner))
        remember_verdicts(con, examined_all)
        for examined in examined_all:
            result = examined.result
            if result and examined.status != "rejected":
                run_id = result["samples"]["sha256"]
                owner = (result["model"]["id"], result["model"]["revision"])
                if examined.status == "unchanged" and examined.bundle in trusted:
                    mark_verified(con, run_id)
                if run_id in seen and seen[run_id] != owner:
                    examined = replace(examined, status="rejected", reason=borrowed(examined.bundle, seen[run_id]))
                elif examined.status == "accepted" and run_id in seen:
                    examined = replace(
                        examined, status="unchanged", reason="same samples as another bundle of this build"
                    )
                else:
                    seen[run_id] = owner
            if examined.status == "accepted":
                accepted.append(examined)
            verdicts.append(
                Verdict(examined.bundle, examined.status, examined.reason, examined.model, examined.regraded)
            )
        failed = ingest(con, accepted, verified=trusted)
        verdicts = [
            replace(v, status="rejected", reason=failed[v.bundle])
            if v.status == "accepted" and v.bundle in failed
            else v
            for v in verdicts
        ]
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

VARIANTS_TABLE = """
SELECT v.model_name, v.model_id, v.model_revision, v.release_version, v.provenance, v.created, v.run_id,
       v.differences, v.ranked_instead,
       max(m.value) FILTER (m.test = 'solo' AND m.cell = 'macro') AS benchmark,
       max(m.value) FILTER (m.test = 'recoverability/shared' AND m.cell = 'mean') AS recoverability_shared
FROM variants v LEFT JOIN metrics m USING (run_id)
GROUP BY ALL ORDER BY v.model_name, v.run_id
"""
"""Every run that is not ranked, with what differs (``data/variants.csv``)."""

EXPORTS = {
    "results.parquet": RANKED_TABLE,
    "samples.parquet": SITE_EXPORT,  # a small sample of each test; the full samples go to the Hub
}
