"""``suite release subsets``: both shared subsets of a new release version, from a reference panel's solo runs.

Each panel bundle is validated, must cite the release's manifest sha256 (or that of a release it derives from,
which has the same questions) and hold a complete protocol solo pass (every question x 8 samples, the protocol's
sampling); the rule itself is ``suite.protocol._panel``. The panel is recorded in the new release's manifest.
Releases are immutable: the result is a new folder with a new version.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite._files import sha256_file
from suite.evaluation._add_guide import next_minor
from suite.evaluation._bundle import RESULT, read_samples, validate_bundle
from suite.protocol._panel import (
    PANEL_SAMPLES,
    RECOVERABILITY_SHARED_SIZE,
    RULE,
    SharedSubsets,
    incomplete_solo,
    missing_solo,
    shared_subsets,
    solve_counts,
)
from suite.release import Release, Subset, load_release
from suite.release._derive import check_new_version, write_derived_release
from suite.release._panel import Panel, PanelModel

RECOVERABILITY, GUIDABILITY = "recoverability_shared", "guidability_shared"


@dataclass(frozen=True)
class PanelRun:
    """One panel bundle, checked, with its model's correct solo samples per question."""

    path: Path
    model: PanelModel
    kind: str
    """``hub`` or ``local`` (a local model's revision is the hash of its files, whatever its path)."""
    counts: Counter[str]


def release_subsets(
    release_dir: Path,
    bundles: Sequence[Path],
    out: Path,
    *,
    size: int = RECOVERABILITY_SHARED_SIZE,
    seed: int = 0,
    version: str | None = None,
) -> tuple[Path, Panel, SharedSubsets]:
    """Write a copy of the release whose two shared subsets follow from the panel ``bundles``, under a new version.

    Nothing is written unless every bundle is a distinct model's complete solo pass on this release and the
    whole new release verifies.
    """
    release = load_release(release_dir)
    if not bundles:
        raise SuiteError("no panel given; pass the reference models' solo bundles with --panel BUNDLE [BUNDLE ...].")
    if size < 1:
        raise SuiteError(f"--size must be at least 1 (got {size}); the paper draws 200.")
    new_version = version or next_minor(release.version)
    check_new_version(release, new_version, out)
    given: set[Path] = set()
    for bundle in bundles:
        if bundle.resolve() in given:
            raise SuiteError(f"panel bundle {bundle} is given twice; list each bundle once.")
        given.add(bundle.resolve())
    runs = [read_panel_run(release, bundle) for bundle in bundles]
    _refuse_repeated_models(runs)
    guided = {t.question_id for trajectories in release.guides.values() for t in trajectories if t.correct}
    ids = [q.id for q in release.questions]
    subsets = shared_subsets(ids, [r.counts for r in runs], guided, seed, size)
    panel = Panel(
        rule=RULE,
        seed=seed,
        size=size,
        samples=PANEL_SAMPLES,
        release_version=release.version,
        release_manifest_sha256=release.manifest_sha256,
        guides=tuple(release.guides),
        recoverability_eligible=subsets.recoverability_eligible,
        unsolved=subsets.unsolved,
        models=tuple(r.model for r in runs),
    )
    return write_subsets(release, panel, subsets, out, new_version), panel, subsets


def read_panel_run(release: Release, bundle: Path) -> PanelRun:
    """A validated bundle of ``release`` holding a complete protocol solo pass, and its solve counts."""
    result = validate_bundle(bundle)
    cited = result["release"]
    if not release.has_questions_of(cited["manifest_sha256"]):
        raise SuiteError(
            f"panel bundle {bundle} was run on release {cited['version']} ({cited['manifest_sha256'][:12]}), not on "
            f"{release.path} (release {release.version}, {release.manifest_sha256[:12]}) nor a release it derives "
            "from; run every panel model on the release the subsets are for."
        )
    benchmarks = {b["name"] for b in release.manifest["benchmarks"]}
    why = incomplete_solo(result["config"], result["sampling"], benchmarks)
    if why:
        raise SuiteError(
            f"panel bundle {bundle} is not a complete solo pass: it was run with {', '.join(why)}; run "
            f"`suite eval MODEL --tests solo` on the whole release with {PANEL_SAMPLES} samples and default sampling."
        )
    solo = [s for s in read_samples(bundle / result["samples"]["file"]) if s.test == "solo"]
    ids = [q.id for q in release.questions]
    missing, unexpected = missing_solo(ids, ((s.question_id, s.sample) for s in solo))
    if missing:
        qid, sample = missing[0]
        raise SuiteError(
            f"panel bundle {bundle} is not a complete solo pass: {len(missing)} of {len(ids) * PANEL_SAMPLES} solo "
            f"samples are missing (e.g. sample {sample} of {qid!r}); resume or rerun it."
        )
    if unexpected:
        qid, sample = unexpected[0]
        raise SuiteError(
            f"panel bundle {bundle} holds {len(unexpected)} solo samples outside one pass of release "
            f"{release.version} (e.g. sample {sample!r} of {qid!r}, repeated or unknown); rerun it."
        )
    counts = solve_counts((s.question_id, s.correct) for s in solo)
    model = PanelModel(
        id=result["model"]["id"],
        revision=result["model"]["revision"],
        result_sha256=sha256_file(bundle / RESULT),
        samples_sha256=result["samples"]["sha256"],
        release_manifest_sha256=cited["manifest_sha256"],
        solo_samples=len(solo),
        max_tokens=result["sampling"]["max_tokens"],
        solved_every_sample=sum(1 for q in ids if counts[q] == PANEL_SAMPLES),
        solved_at_most_one=sum(1 for q in ids if counts[q] <= 1),
    )
    return PanelRun(bundle, model, result["model"]["kind"], counts)


def _refuse_repeated_models(runs: Sequence[PanelRun]) -> None:
    """One run per model: the same run twice, or two runs of one model and revision, is refused."""
    by_samples: dict[str, PanelRun] = {}
    by_model: dict[tuple[str, ...], PanelRun] = {}
    for run in runs:
        same = by_samples.setdefault(run.model.samples_sha256, run)
        if same is not run:
            raise SuiteError(
                f"panel bundles {same.path} and {run.path} are the same run (samples sha256 "
                f"{run.model.samples_sha256[:12]}); list each bundle once."
            )
        key = (run.kind, run.model.revision) if run.kind == "local" else (run.model.id, run.model.revision)
        same = by_model.setdefault(key, run)
        if same is not run:
            raise SuiteError(
                f"panel bundles {same.path} and {run.path} are both runs of the same model and revision "
                f"({run.model.id} at {run.model.revision}); a panel holds one run per model, so keep one of them."
            )


def write_subsets(release: Release, panel: Panel, subsets: SharedSubsets, out: Path, version: str) -> Path:
    """Copy the release with both shared subsets replaced and the panel recorded, verify, rename it to ``out``."""
    models = f"{len(panel.models)} model{'s' * (len(panel.models) != 1)}"
    how = "all" if len(subsets.recoverability) == subsets.recoverability_eligible else "a seeded draw of"
    records = [
        Subset(
            RECOVERABILITY,
            f"Questions every model of the reference panel (manifest: panel, {models}) solves in all "
            f"{PANEL_SAMPLES} solo samples: {how} {len(subsets.recoverability)} of {subsets.recoverability_eligible} "
            f"(seed {panel.seed}).",
            subsets.recoverability,
        ),
        Subset(
            GUIDABILITY,
            f"Questions every model of the reference panel (manifest: panel, {models}) solves in at most 1 "
            f"of {PANEL_SAMPLES} solo samples and a guide set of the release has a correct trajectory for: "
            f"{len(subsets.guidability)} of {subsets.unsolved}.",
            subsets.guidability,
        ),
    ]

    def write(root: Path) -> None:
        (root / "subsets").mkdir(exist_ok=True)
        for subset in records:
            text = json.dumps(subset.to_json(), ensure_ascii=False, indent=2) + "\n"
            (root / "subsets" / f"{subset.name}.json").write_text(text, encoding="utf-8")

    names = [*release.manifest["subsets"], *(s.name for s in records if s.name not in release.manifest["subsets"])]
    manifest: dict[str, Any] = {**release.manifest, "subsets": names, "panel": panel.to_json()}
    return write_derived_release(release, out, version, manifest, write)
