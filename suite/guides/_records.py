"""What a guide generation saves: ``generation.json`` (the run) and ``samples.jsonl`` (one line per sample).

``suite release add-guide --from-generated DIR`` reads exactly these two files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from suite._errors import SuiteError
from suite.grading import Grade

GENERATION = "generation.json"
SAMPLES = "samples.jsonl"

TEMPERATURE = 0.6
"""The protocol's sampling temperature (PROTOCOL.md, solo pass)."""
TOP_P = 0.95
"""The protocol's nucleus sampling."""

REASONING_FIELDS = ("reasoning_content", "reasoning")
"""Message fields that carry the reasoning apart from the answer: DeepSeek's API, then vLLM and OpenRouter."""


@dataclass(frozen=True)
class Sampling:
    """The sampling every request of a generation used."""

    temperature: float
    """Sampling temperature (the protocol: 0.6)."""
    top_p: float
    """Nucleus sampling (the protocol: 0.95)."""
    top_k: int | None
    """None: top-k off, as the protocol wants (sent as ``top_k: 0``, which vLLM and OpenRouter read as off;
    without it vLLM would apply the model's own default, e.g. Qwen3's 20)."""
    max_tokens: int
    """``max_tokens`` sent with every request (reasoning and answer together)."""


@dataclass(frozen=True)
class Plan:
    """What the arguments of ``suite guides generate`` decide; a rerun on the same folder must match it."""

    model: str
    """API model name, as sent in every request."""
    base_url: str
    """The endpoint's base URL (``.../v1``), without a trailing slash."""
    sampling: Sampling
    release_version: str
    """Version of the release the questions come from."""
    release_sha256: str
    """sha256 of that release's ``manifest.json``."""
    samples: int
    """Samples per question."""
    subset: str | None
    """Release subset the questions were taken from (``--questions-from``), or None for all."""
    limit: int | None
    """First N questions of each benchmark (``--limit``), or None for all."""
    question_ids: tuple[str, ...]
    """The questions asked, in release order."""


def plan_difference(recorded: Plan, current: Plan) -> str | None:
    """The first argument whose value differs between two plans, described; None if they agree."""
    for name in ("model", "base_url", "release_version", "release_sha256", "samples", "subset", "limit"):
        old, new = getattr(recorded, name), getattr(current, name)
        if old != new:
            return f"{name} ({old!r}, now {new!r})"
    for knob in fields(Sampling):
        old, new = getattr(recorded.sampling, knob.name), getattr(current.sampling, knob.name)
        if old != new:
            return f"{knob.name} ({old!r}, now {new!r})"
    if recorded.question_ids != current.question_ids:
        return f"question list ({len(recorded.question_ids)} questions, now {len(current.question_ids)})"
    return None


@dataclass(frozen=True)
class Generation:
    """The record of one generation: ``DIR/generation.json``."""

    plan: Plan
    date: str
    """ISO date (UTC) the generation started: an API model name may serve other weights later."""
    reasoning_field: str
    """Which message field held the reasoning: ``reasoning_content`` or ``reasoning``."""
    suite_version: str
    """Version of the suite that started the generation."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``generation.json``; ``release`` and ``sampling`` as add-guide reads them."""
        plan = self.plan
        return {
            "model": plan.model,
            "base_url": plan.base_url,
            "date": self.date,
            "sampling": asdict(plan.sampling),
            "release": {"version": plan.release_version, "manifest_sha256": plan.release_sha256},
            "reasoning_field": self.reasoning_field,
            "samples_per_question": plan.samples,
            "questions": {"subset": plan.subset, "limit": plan.limit, "ids": list(plan.question_ids)},
            "suite_version": self.suite_version,
        }

    @classmethod
    def from_json(cls, value: object) -> Generation:
        """Inverse of ``to_json``; anything else is a ValueError."""
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        sampling, release, questions = value.get("sampling"), value.get("release"), value.get("questions")
        if not (isinstance(sampling, dict) and isinstance(release, dict) and isinstance(questions, dict)):
            raise ValueError("sampling, release or questions is missing")
        if value.get("reasoning_field") not in REASONING_FIELDS:
            raise ValueError("reasoning_field is not one of " + ", ".join(REASONING_FIELDS))
        ids = questions.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError("questions.ids is not a list of ids")
        plan = Plan(
            model=_typed(value, "model", str),
            base_url=_typed(value, "base_url", str),
            sampling=Sampling(
                temperature=_typed(sampling, "temperature", float),
                top_p=_typed(sampling, "top_p", float),
                top_k=_typed(sampling, "top_k", int, optional=True),
                max_tokens=_typed(sampling, "max_tokens", int),
            ),
            release_version=_typed(release, "version", str),
            release_sha256=_typed(release, "manifest_sha256", str),
            samples=_typed(value, "samples_per_question", int),
            subset=_typed(questions, "subset", str, optional=True),
            limit=_typed(questions, "limit", int, optional=True),
            question_ids=tuple(ids),
        )
        return cls(plan, _typed(value, "date", str), value["reasoning_field"], _typed(value, "suite_version", str))


@dataclass(frozen=True)
class GuideSample:
    """One line of ``DIR/samples.jsonl``: one sample of the guide model on one question, graded."""

    question_id: str
    """Id of the release question."""
    sample: int
    """Sample index, 0 to samples per question - 1."""
    reasoning: str | None
    """The reasoning, verbatim from the message's reasoning field (None: the endpoint sent none for this sample)."""
    content: str | None
    """The answer, verbatim from ``message.content``: the text after the thinking (None: the endpoint sent no
    answer, e.g. the thinking never closed)."""
    finish_reason: str | None
    """``stop``, ``length``... as the endpoint reported it."""
    prompt_tokens: int | None
    """``usage.prompt_tokens``; None where the endpoint did not report it."""
    completion_tokens: int | None
    """``usage.completion_tokens`` (reasoning and answer); None where the endpoint did not report it."""
    correct: bool
    """The answer graded correct against the release's gold answer (the suite's grader)."""
    grade: Grade
    """The whole grade: extracted answer, method, truncation."""
    cost: float | None
    """``usage.cost`` where the endpoint reports it (OpenRouter: US dollars), else None."""
    attempts: int
    """HTTP attempts this sample took (1 + retries after 429, 5xx or connection errors)."""
    seconds: float
    """Wall time of the request, retries included."""
    served_model: str | None
    """The model name the reply carried (OpenRouter names the provider's model), else None."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object of one ``samples.jsonl`` line."""
        return {**asdict(self), "grade": self.grade.to_json()}

    @classmethod
    def from_json(cls, value: object) -> GuideSample:
        """Inverse of ``to_json``; anything else is a ValueError."""
        if not isinstance(value, dict) or not isinstance(value.get("grade"), dict):
            raise ValueError("not a sample object with a grade")
        try:
            grade = Grade.from_json(value["grade"])
        except TypeError:
            raise ValueError("grade has unknown fields") from None
        sample = cls(
            question_id=_typed(value, "question_id", str),
            sample=_typed(value, "sample", int),
            reasoning=_typed(value, "reasoning", str, optional=True),
            content=_typed(value, "content", str, optional=True),
            finish_reason=_typed(value, "finish_reason", str, optional=True),
            prompt_tokens=_typed(value, "prompt_tokens", int, optional=True),
            completion_tokens=_typed(value, "completion_tokens", int, optional=True),
            correct=_typed(value, "correct", bool),
            grade=grade,
            cost=_typed(value, "cost", float, optional=True),
            attempts=_typed(value, "attempts", int),
            seconds=_typed(value, "seconds", float),
            served_model=_typed(value, "served_model", str, optional=True),
        )
        if sample.correct != grade.correct:
            raise ValueError("correct disagrees with the grade")
        return sample


def _typed(value: dict[str, Any], name: str, kind: type, optional: bool = False) -> Any:
    """``value[name]`` if it has type ``kind`` (ints count as floats, bools never as ints); else ValueError."""
    item = value.get(name)
    if item is None and optional and name in value:
        return None
    if kind is float and isinstance(item, int) and not isinstance(item, bool):
        return float(item)
    if isinstance(item, kind) and (kind is bool or not isinstance(item, bool)):
        return item
    raise ValueError(f"{name} is missing or not {'null or ' if optional else ''}{kind.__name__}")


def not_a_record(path: object, problem: str) -> SuiteError:
    """The one sentence for a generation file this suite did not write."""
    return SuiteError(f"{path} is not a guide generation file this suite writes ({problem}); use another --out.")
