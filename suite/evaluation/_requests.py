"""The protocol's requests: what each piece of scheduled work asks M for, with its steer, seed and fields.

One enumeration serves both sides: ``suite eval`` turns each ``Expected`` into a request for the engine
(``_run``), and ``suite validate`` checks that a bundle holds exactly the generations they imply
(``_rederive``). Pure: M's thinking and other models' thinking come in as functions and mappings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from suite.evaluation._config import EvalConfig
from suite.evaluation._samples import Sample, Test
from suite.evaluation._schedule import GuidabilityWork, RecoverabilityWork, SoloWork, Work
from suite.grading import Grade
from suite.protocol import derive_seed
from suite.release import GuideTrajectory, Question, Release
from suite.steering import Cutting, SteeredThinking, guidability_steer, recoverability_steer

Identity = tuple[str, str | None, str, float | None, float | None, str | None, int | None, int]
"""What names one generation: test, subset, question, position, fraction, guide, guide sample, sample index."""

Guides = Mapping[str, Mapping[str, tuple[GuideTrajectory, ...]]]
"""Each guide's correct trajectories by question, in their fixed order (``guide_steers``)."""


def identity(s: Sample) -> Identity:
    """The generation a sample claims to be."""
    return (s.test, s.subset, s.question_id, s.position, s.fraction, s.guide, s.guide_sample, s.sample)


def guide_steers(steers: Sequence[GuideTrajectory]) -> dict[str, tuple[GuideTrajectory, ...]]:
    """A guide's correct trajectories by question, each question's in a fixed order (by sample, then file order)."""
    by_question: dict[str, list[GuideTrajectory]] = {}
    for t in steers:
        if t.correct:
            by_question.setdefault(t.question_id, []).append(t)
    return {qid: tuple(sorted(ts, key=lambda t: t.sample)) for qid, ts in by_question.items()}


def release_guides(release: Release) -> dict[str, dict[str, tuple[GuideTrajectory, ...]]]:
    """Every guide of ``release``, its correct trajectories grouped by ``guide_steers``."""
    return {name: guide_steers(steers) for name, steers in release.guides.items()}


@dataclass(frozen=True)
class Expected:
    """One request the protocol implies: ``n`` generations that share ``template``'s fields."""

    request: str
    """The request key (``recoverability/shared/<question>/0.2``); the sample seed derives from it."""
    n: int
    template: Sample
    """A sample with every derived field set and ``sample``, ``completion``, grade and prompt left blank."""
    steered: SteeredThinking | None = field(default=None, compare=False)
    """The thinking put into M's mouth (None for a solo request): what the prompt is built from."""

    def identities(self) -> Iterator[Identity]:
        """The identity of each of the request's generations."""
        for k in range(self.n):
            yield identity(replace(self.template, sample=k))


def expected_requests(
    config: EvalConfig,
    work: Iterable[Work],
    questions: Mapping[str, Question],
    guides: Guides,
    thinking: Callable[[str, int], str],
    cutting: Cutting,
    foreign: Mapping[str, Mapping[tuple[str, int], str]] | None = None,
    note: Callable[[str], None] = lambda _: None,
) -> list[Expected]:
    """Every request ``work`` implies, with its derived steer, as ``suite eval`` makes them.

    ``thinking(question_id, sample)``: M's thinking in one of its solo samples; ``foreign``: other
    models' thinking by model name (the cross-model ablation). A steer that cuts to nothing is never
    run: ``note`` is told which.
    """
    out: list[Expected] = []
    for unit in work:
        if isinstance(unit, SoloWork):
            for question_id in unit.question_ids:
                key = f"solo/{question_id}"
                out.append(Expected(key, config.samples, _template(config, key, questions[question_id], "solo", None)))
        elif isinstance(unit, RecoverabilityWork):
            q = questions[unit.question_id]
            out.extend(_recoverability_requests(config, unit, q, thinking, cutting, foreign, note))
        else:
            out.extend(_guidability_requests(config, unit, questions[unit.question_id], guides, cutting, note))
    return out


def _template(
    config: EvalConfig, key: str, q: Question, test: Test, steered: SteeredThinking | None, **fields: Any
) -> Sample:
    return Sample(
        test=test,
        question_id=q.id,
        benchmark=q.benchmark,
        sample=0,
        seed=derive_seed(config.seed, key),
        prompt_sha256="",
        completion="",
        prompt_tokens=0,
        completion_tokens=0,
        finish_reason="",
        grade=Grade(False),
        steer_own=steered.own if steered else None,
        steer_transition=steered.transition if steered else None,
        steer_text=steered.steer if steered else None,
        **fields,
    )


def _recoverability_requests(
    config: EvalConfig,
    unit: RecoverabilityWork,
    q: Question,
    thinking: Callable[[str, int], str],
    cutting: Cutting,
    foreign: Mapping[str, Mapping[tuple[str, int], str]] | None,
    note: Callable[[str], None],
) -> list[Expected]:
    """One request per insertion position, each with the distractor drawn for it."""
    own = thinking(q.id, unit.own_sample)
    out = []
    for m, d in zip(config.positions, unit.distractors, strict=True):
        distractor = (
            thinking(d.question_id, d.sample)
            if d.source is None
            else (foreign or {})[d.source][(d.question_id, d.sample)]
        )
        steered = recoverability_steer(
            own,
            distractor,
            m,
            config.distractor_fraction,
            config.transition,
            config.keep_opening,
            cutting,
            unit.max_units,
        )
        if not steered.steer:
            note(f"{q.id}: the distractor cut at {m:g} is empty; not run")
            continue
        key = f"recoverability/{unit.subset}/{q.id}/{m:g}"
        fields = {
            "subset": unit.subset,
            "position": m,
            "distractor_question_id": d.question_id,
            "distractor_sample": d.sample,
            "distractor_model": d.source,
            "own_sample": unit.own_sample,
        }
        template = _template(config, key, q, "recoverability", steered, **fields)
        out.append(Expected(key, config.recoverability_continuations, template, steered))
    return out


def _guidability_requests(
    config: EvalConfig,
    unit: GuidabilityWork,
    q: Question,
    guides: Guides,
    cutting: Cutting,
    note: Callable[[str], None],
) -> list[Expected]:
    """Per (guide, fraction), continuation k takes the k mod n-th of the n guide trajectories whose cut is not empty.

    Each trajectory is one request of its share of the continuations.
    """
    continuations = config.guidability_continuations
    out = []
    for name, steers in sorted(guides.items()):
        for f in config.guide_fractions:
            cuts = []
            for t in steers.get(q.id, ()):
                steered = guidability_steer(t.thinking, f, cutting)
                if steered.steer:
                    cuts.append((t, steered))
                else:
                    note(f"{q.id}: the {f:g} cut of guide {name} (its sample {t.sample}) is empty; not run")
            for k, (t, steered) in enumerate(cuts[:continuations]):
                key = f"{unit.test}/{unit.subset or 'control'}/{q.id}/{name}/{f:g}/{t.sample}"
                fields = {"subset": unit.subset, "fraction": f, "guide": name, "guide_sample": t.sample}
                template = _template(config, key, q, unit.test, steered, **fields)
                out.append(Expected(key, len(range(k, continuations, len(cuts))), template, steered))
    return out
