"""The recorded reference panel a release's shared subsets come from: its manifest record and the loader's checks.

``suite release subsets`` writes it (see ``suite.evaluation._shared_subsets``); ``schemas/release.schema.json``
describes the same shape under ``panel``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite.release._records import Subset


@dataclass(frozen=True)
class PanelModel:
    """One reference model of the panel: which run of it the subsets were computed from."""

    id: str
    """Model id as its run recorded it (Hugging Face id, or the local folder it was run from)."""
    revision: str
    """Full commit sha (Hub) or ``sha256:<hash of the folder's files>`` (local)."""
    result_sha256: str
    """sha256 of the run's ``result.json``."""
    samples_sha256: str
    """sha256 of the run's ``samples.jsonl.gz`` (the run's id on the leaderboard)."""
    release_manifest_sha256: str
    """sha256 of the manifest of the release the run cites: the one the subsets were computed on, or one it
    derives from (same questions)."""
    solo_samples: int
    """Solo samples the run holds: every release question times the protocol's 8."""
    max_tokens: int
    """Most new tokens a solo sample could have in that run."""
    solved_every_sample: int
    """Questions this model solves in every solo sample."""
    solved_at_most_one: int
    """Questions this model solves in at most 1 of its 8 solo samples."""

    def to_json(self) -> dict[str, Any]:
        """The manifest's ``panel.models`` entry."""
        return asdict(self)


@dataclass(frozen=True)
class Panel:
    """The reference panel and the rule the release's two shared subsets follow from."""

    rule: str
    """The rule, in words (``suite.protocol._panel.RULE``)."""
    seed: int
    """Seed of the recoverability draw."""
    size: int
    """Questions asked for in the recoverability draw."""
    samples: int
    """Solo samples per question of every panel run (the protocol's 8)."""
    release_version: str
    """Version of the release the subsets were computed on (this release's parent)."""
    release_manifest_sha256: str
    """sha256 of that release's ``manifest.json``."""
    guides: tuple[str, ...]
    """Guide sets whose correct trajectories decided which unsolved questions are in guidability_shared."""
    recoverability_eligible: int
    """Questions every panel model solves in every sample; recoverability_shared is drawn from them."""
    unsolved: int
    """Questions every panel model solves in at most 1 of 8, with or without a guide trajectory."""
    models: tuple[PanelModel, ...]
    """The panel, in the order it was given."""

    def to_json(self) -> dict[str, Any]:
        """The manifest's ``panel`` object."""
        value = asdict(self)
        value["guides"] = list(self.guides)
        value["models"] = [m.to_json() for m in self.models]
        return value


def check_panel(root: Path, manifest: dict[str, Any], subsets: dict[str, Subset], guides: set[str]) -> None:
    """The manifest's ``panel`` (already schema-checked) agrees with the release's subsets and guide sets."""
    panel = manifest.get("panel")
    if panel is None:
        return
    fix = "recompute them with `suite release subsets`"
    for name in ("recoverability_shared", "guidability_shared"):
        if name not in subsets:
            raise SuiteError(f"the manifest of {root} records a panel but no subset {name}; {fix}.")
    drawn, expected = len(subsets["recoverability_shared"].ids), min(panel["size"], panel["recoverability_eligible"])
    if drawn != expected:
        raise SuiteError(
            f"{root}/subsets/recoverability_shared.json lists {drawn} questions, its panel draws {expected}; {fix}."
        )
    if len(subsets["guidability_shared"].ids) > panel["unsolved"]:
        raise SuiteError(
            f"{root}/subsets/guidability_shared.json lists more questions than its panel leaves unsolved; {fix}."
        )
    unknown = sorted(set(panel["guides"]) - guides)
    if unknown:
        raise SuiteError(f"the panel of {root} names guide set {unknown[0]!r}, which the release lacks; {fix}.")
    seen: dict[Any, str] = {}
    for model in panel["models"]:
        for key in ((model["id"], model["revision"]), model["samples_sha256"]):
            if key in seen:
                raise SuiteError(f"the panel of {root} lists the run of {model['id']} twice; {fix}.")
            seen[key] = model["id"]
