"""The typed records a release is made of; ``schemas/release.schema.json`` describes the same shapes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

FORMAT = "off-trajectory-suite/release"
FORMAT_VERSION = 1
"""Manifest format this suite reads and writes; a newer one is refused.

Guide sets gained ``source``, ``sampling`` and counts without a new format: they are optional, so
releases written before them still read (their guide sets simply say less)."""


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
    """Full commit sha of the guide model (an API's date, or ``unknown`` where the source does not say)."""
    thinking: str
    """The guide's whole thinking (text before ``</think>``)."""
    answer: str
    """The guide's final answer text (after ``</think>``)."""
    correct: bool
    """Whether the final answer was graded correct against the gold answer."""
    num_tokens: int | None
    """Tokens the guide generated for this trajectory (its whole completion); None where the source does not say."""
    sample: int = 0
    """Which of the guide's samples of this question it is (its index in the source); unique per question."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to ``steers/guides/<guide>.jsonl``."""
        return asdict(self)


@dataclass(frozen=True)
class Sampling:
    """How a guide's trajectories were sampled; None where the source does not say."""

    temperature: float | None
    """Sampling temperature."""
    top_p: float | None
    """Nucleus sampling threshold."""
    top_k: int | None
    """Top-k cut-off (None: off, or not said)."""
    max_tokens: int | None
    """Most new tokens a trajectory could have."""

    def to_json(self) -> dict[str, Any]:
        """The manifest's ``sampling`` object."""
        return asdict(self)


UNKNOWN_SAMPLING = Sampling(None, None, None, None)
"""A source that does not say how it sampled (public trace files)."""


@dataclass(frozen=True)
class BundleSource:
    """Guide trajectories from the guide model's own ``suite eval --tests solo`` result bundle."""

    kind: ClassVar[Literal["bundle"]] = "bundle"
    sha256: str
    """sha256 of the bundle's ``samples.jsonl.gz`` (the run's id on the leaderboard)."""
    result_sha256: str
    """sha256 of the bundle's ``result.json``."""
    created: str
    """When the run finished (its ``result.json`` ``created``)."""

    def to_json(self) -> dict[str, Any]:
        """The manifest's ``source`` object."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class EndpointSource:
    """Guide trajectories generated through an OpenAI-compatible chat endpoint (``suite guides generate``)."""

    kind: ClassVar[Literal["endpoint"]] = "endpoint"
    base_url: str
    """The endpoint's base URL (never with credentials)."""
    api_model: str
    """The model name the endpoint was asked for."""
    date: str
    """ISO date of the generation (an API's model may change behind its name)."""
    sha256: str
    """sha256 of the generation's ``samples.jsonl``."""

    def to_json(self) -> dict[str, Any]:
        """The manifest's ``source`` object."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class TracesSource:
    """Guide trajectories from a public file of real model outputs, pinned by repository commit and sha256."""

    kind: ClassVar[Literal["traces"]] = "traces"
    repository: str
    """``owner/name`` of the public GitHub repository."""
    commit: str
    """Full commit sha the file was taken at."""
    file: str
    """The file's path in the repository."""
    sha256: str
    """sha256 of the file's bytes."""
    url: str
    """Where the file can be downloaded at that commit."""
    ids_file: str | None = None
    """Path in the repository of the file the question ids came from, when the trace file has none."""
    ids_sha256: str | None = None
    """sha256 of that file."""

    def to_json(self) -> dict[str, Any]:
        """The manifest's ``source`` object."""
        return {"kind": self.kind, **asdict(self)}


GuideSource = BundleSource | EndpointSource | TracesSource
"""Where a guide set's trajectories came from."""
_SOURCES: dict[str, type[GuideSource]] = {"bundle": BundleSource, "endpoint": EndpointSource, "traces": TracesSource}


@dataclass(frozen=True)
class GuideSet:
    """One entry of the manifest's ``guides``: a guide model's steer set and where it came from."""

    name: str
    """Guide name, used in results (``per_guide.<name>``)."""
    model: str
    """Guide model id (Hugging Face id, or the API's model name)."""
    revision: str
    """Model revision (commit sha; an API's date; ``unknown`` where the source does not say)."""
    file: str
    """``steers/guides/<name>.jsonl``."""
    source: GuideSource | None = None
    """Where the trajectories came from; None in releases made before sources were recorded."""
    sampling: Sampling | None = None
    """How they were sampled (fields None where the source does not say)."""
    trajectories: int | None = None
    """Trajectories in the file."""
    questions: int | None = None
    """Release questions with at least one trajectory."""
    per_question: int | None = None
    """Most trajectories kept for any one question."""
    per_question_limit: int | None = None
    """The cap asked for (``--per-question``); None: every correct trajectory was kept."""

    def to_json(self) -> dict[str, Any]:
        """The manifest entry (a set without a source is written as releases before sources were)."""
        entry: dict[str, Any] = {"name": self.name, "model": self.model, "revision": self.revision, "file": self.file}
        if self.source is not None:
            assert self.sampling is not None
            entry |= {
                "source": self.source.to_json(),
                "sampling": self.sampling.to_json(),
                "trajectories": self.trajectories,
                "questions": self.questions,
                "per_question": self.per_question,
                "per_question_limit": self.per_question_limit,
            }
        return entry

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> GuideSet:
        """Inverse of ``to_json`` (``entry`` already checked against the schema)."""
        source = entry.get("source")
        sampling = entry.get("sampling")
        return cls(
            name=entry["name"],
            model=entry["model"],
            revision=entry["revision"],
            file=entry["file"],
            source=_SOURCES[source["kind"]](**{k: v for k, v in source.items() if k != "kind"}) if source else None,
            sampling=Sampling(**sampling) if sampling else None,
            trajectories=entry.get("trajectories"),
            questions=entry.get("questions"),
            per_question=entry.get("per_question"),
            per_question_limit=entry.get("per_question_limit"),
        )


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
