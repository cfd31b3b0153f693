"""One record per generation: what was asked, what came back, how it was graded."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, NamedTuple, Protocol

from suite.grading import Grade

Test = Literal["solo", "recoverability", "guidability", "control"]
Subset = Literal["individual", "shared"]


@dataclass(frozen=True)
class Sample:
    """One generation of a run (a line of ``samples.jsonl.gz``)."""

    test: Test
    question_id: str
    benchmark: str
    sample: int
    """Index among the request's ``n`` samples."""
    seed: int
    prompt_sha256: str
    completion: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    grade: Grade
    subset: Subset | None = None
    """Which item subset (recoverability/guidability); None for solo and control."""
    position: float | None = None
    """Recoverability insertion position m."""
    fraction: float | None = None
    """Guidability steer fraction n."""
    guide: str | None = None
    guide_sample: int | None = None
    """Guidability/control: which of the guide's trajectories of this question was the steer (its ``sample`` in the
    release's guide set; continuation k of an (item, guide, fraction) uses the k mod n-th of its n trajectories)."""
    distractor_question_id: str | None = None
    """Recoverability: the question whose trajectory is the distractor (never the item's own)."""
    distractor_sample: int | None = None
    """Which of that question's solo samples is the distractor."""
    distractor_model: str | None = None
    """Cross-model ablation: the model that wrote the distractor (None: M itself)."""
    own_sample: int | None = None
    """Which solo sample was M's own trajectory r_og (recoverability)."""
    steer_own: str | None = None
    """The steered thinking's parts: own prefix, transition, steer."""
    steer_transition: str | None = None
    steer_text: str | None = None
    steer_contains_answer: bool | None = None
    """Guidability: the steer itself already states the gold answer."""
    problem: str | None = None
    """The question's text as M saw it in the user turn (None in bundles written before it was recorded)."""
    answer: str | None = None
    """The question's gold answer (None in bundles written before it was recorded)."""

    @property
    def correct(self) -> bool:
        """The grade's verdict."""
        return self.grade.correct

    def to_json(self) -> dict[str, Any]:
        """The JSON line."""
        value = asdict(self)
        value["grade"] = self.grade.to_json()
        return value

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Sample:
        """Inverse of ``to_json``."""
        return cls(**{**value, "grade": Grade.from_json(value["grade"])})


class Outcome(Protocol):
    """What the metrics read of a generation: a ``Sample``, or an ``OutcomeRow`` read by a database."""

    @property
    def test(self) -> str: ...
    @property
    def subset(self) -> str | None: ...
    @property
    def question_id(self) -> str: ...
    @property
    def benchmark(self) -> str: ...
    @property
    def position(self) -> float | None: ...
    @property
    def fraction(self) -> float | None: ...
    @property
    def guide(self) -> str | None: ...
    @property
    def guide_sample(self) -> int | None: ...
    @property
    def steer_contains_answer(self) -> bool | None: ...
    @property
    def correct(self) -> bool: ...


class OutcomeRow(NamedTuple):
    """An ``Outcome`` as a plain row (its field names are the samples' keys, plus ``correct``)."""

    test: str
    subset: str | None
    question_id: str
    benchmark: str
    position: float | None
    fraction: float | None
    guide: str | None
    guide_sample: int | None
    steer_contains_answer: bool | None
    correct: bool
