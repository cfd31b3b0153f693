"""The typed records a release is made of; ``schemas/release.schema.json`` describes the same shapes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT = "off-trajectory-suite/release"
FORMAT_VERSION = 1
"""Manifest format this suite reads and writes; a newer one is refused."""


@dataclass(frozen=True)
class Question:
    """One benchmark question as the suite asks it."""

    id: str
    """Stable id, ``<benchmark>/<id in the source>``, unique within the release."""
    benchmark: str
    """Benchmark name, e.g. ``math500``."""
    problem: str
    """The problem text given to the model as the user turn."""
    answer: str
    """Gold final answer (normalised: no ``$``, no AIME leading zeros)."""
    answer_type: str | None = None
    """Answer kind where the source says (OlympiadBench: Numerical, Expression, Tuple, Interval)."""
    is_multiple_answer: bool = False
    """True when ``answer`` lists several answers that compare as a set."""
    unit: str | None = None
    """Unit the answer is expressed in, where the source gives one."""
    source: str = ""
    """Where the row came from (dataset and revision, or mirror file)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Other source fields kept as is (subject, level, url, ...)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to ``questions.jsonl``."""
        return asdict(self)


@dataclass(frozen=True)
class GuideTrajectory:
    """One trajectory of a stronger guide model, used as a guidability steer."""

    question_id: str
    """Id of the release question it answers."""
    guide_model: str
    """Hugging Face id of the guide model."""
    guide_revision: str
    """Full commit sha of the guide model."""
    thinking: str
    """The guide's whole thinking (text before ``</think>``)."""
    answer: str
    """The guide's final answer text (after ``</think>``)."""
    correct: bool
    """Whether the final answer was graded correct against the gold answer."""
    num_tokens: int
    """Tokens the guide generated for this trajectory (its whole completion)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to ``steers/guides/<guide>.jsonl``."""
        return asdict(self)


@dataclass(frozen=True)
class Subset:
    """A frozen list of question ids (the shared recoverability or guidability subset)."""

    name: str
    """File stem, e.g. ``recoverability_shared``."""
    description: str
    """What the subset is and how it was chosen."""
    ids: tuple[str, ...]
    """Question ids, in a fixed order."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to ``subsets/<name>.json``."""
        return {"name": self.name, "description": self.description, "ids": list(self.ids)}


SHARED_SUBSETS = {
    "recoverability_shared": "Questions every reference model solves 8/8 (the paper's shared recoverability subset).",
    "guidability_shared": "Questions every reference model solves in at most 1 of 8 samples (shared guidability).",
}
"""The subsets every release carries, possibly empty."""
