"""The cross-model ablation (the paper's section 6): distractors from other models' result bundles.

Each bundle must be valid and made on the same release; its solo samples give that
model's solve outcomes, and the trajectory the protocol would pick for each solved
question (the same seeded choice as for M's own distractors) is read once.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite.evaluation._bundle import validate_bundle
from suite.evaluation._schedule import DistractorSource
from suite.protocol import Solo, own_trajectory
from suite.release import Release
from suite.steering import format_named, unit_spans


@dataclass(frozen=True)
class ForeignDistractors:
    """Another model's solo outcomes and the trajectories that may serve as distractors."""

    source: DistractorSource
    thinking: Mapping[tuple[str, int], str]
    """(question id, sample) -> that model's thinking, for the sample the protocol picks per solved question."""
    bundle: str
    """Where it was read from, for the notes."""


def _solo_lines(bundle: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(bundle / "samples.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            sample = json.loads(line)
            if sample.get("test") == "solo":
                yield sample


def _counter(units: Mapping[tuple[str, int], int]) -> Callable[[str, int], int]:
    return lambda question_id, sample: units.get((question_id, sample), 0)


def load_distractors(
    bundles: Sequence[str], release: Release, model: str, golds: Mapping[str, str], seed: int
) -> list[ForeignDistractors]:
    """Read every bundle of ``--distractors-from``; refuse one that is invalid, of another release or of M."""
    loaded: list[ForeignDistractors] = []
    for given in bundles:
        path = Path(given)
        result = validate_bundle(path)
        if result["release"]["manifest_sha256"] != release.manifest_sha256:
            raise SuiteError(
                f"--distractors-from {given} was run on release {result['release']['version']}, not on "
                f"{release.version} (manifest sha256 differs); pass bundles of the same release."
            )
        name = str(result["model"]["id"])
        if name == model or any(d.source.name == name for d in loaded):
            raise SuiteError(
                f"--distractors-from {given} is a run of {name}, which is M or another bundle's model; "
                "pass one bundle per other model."
            )
        fmt = format_named(str((result.get("thinking") or {}).get("format", "think")))
        outcomes: dict[str, dict[int, bool]] = defaultdict(dict)
        for s in _solo_lines(path):
            if s["question_id"] in golds:
                outcomes[s["question_id"]][int(s["sample"])] = bool(s["grade"]["correct"])
        known = {q: Solo(q, golds[q], tuple(flags[i] for i in sorted(flags))) for q, flags in outcomes.items()}
        wanted = {(q, own_trajectory(s, seed, "distractor")) for q, s in known.items() if s.solved}
        thinking = {
            (s["question_id"], int(s["sample"])): fmt.split(s["completion"], s["finish_reason"])[0]
            for s in _solo_lines(path)
            if (s["question_id"], int(s["sample"])) in wanted
        }
        units = {key: len(unit_spans(text)) for key, text in thinking.items()}
        source = DistractorSource(name, known, _counter(units))
        loaded.append(ForeignDistractors(source, thinking, given))
    return loaded
