"""``suite leaderboard build``: validate every bundle, merge the valid ones into DuckDB, export the ranked table."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from suite._errors import SuiteError
from suite.evaluation import validate_bundle
from suite.leaderboard._database import ingest, open_database
from suite.leaderboard._site import build_site
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
    patterns: Sequence[str], db: Path, releases: Sequence[Release], site: Path, wait_s: float = 60.0
) -> list[Verdict]:
    """Validate and ingest every bundle, write the exports into ``site/data`` and build the site in ``site``.

    One verdict per bundle; a rejected bundle never stops the build.
    """
    known = {(r.version, r.manifest_sha256) for r in releases}
    verdicts: list[Verdict] = []
    with open_database(db, wait_s) as con:
        for bundle in bundle_folders(patterns):
            try:
                result = validate_bundle(bundle)
                release = (result["release"]["version"], result["release"]["manifest_sha256"])
                if release not in known:
                    raise SuiteError(
                        f"release {release[0]} (manifest {release[1][:12]}...) is not a release this leaderboard knows"
                    )
            except SuiteError as e:
                verdicts.append(Verdict(bundle, "rejected", str(e)))
                continue
            added = ingest(con, bundle, result)
            verdicts.append(
                Verdict(
                    bundle,
                    "accepted" if added else "unchanged",
                    "" if added else "already in the database",
                    result["model"]["id"],
                )
            )
        exports = site / "data"
        exports.mkdir(parents=True, exist_ok=True)
        for name, query in EXPORTS.items():
            con.execute(f"COPY ({query}) TO '{_quoted(exports / name)}'")
        build_site(con, site)
    return verdicts


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


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
