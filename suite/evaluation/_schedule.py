"""Which work is ready when: the twin tests as a stream of dependencies, not three phases (pure, no I/O).

- Solo work is ready at once, in the seeded solo order, ``group`` questions per unit.
- A question's guidability work (individual: solved in at most 1/8; shared: listed)
  is ready as soon as its own solo samples are graded.
- Shared recoverability work is ready when every listed question is graded (the
  distractor length rule reads the unit counts of all the items' own trajectories)
  and the distractor pool is known (the first qualifying questions of the solo order).
- The control is known when the first ``control_size`` always-solved questions of
  the same order are; individual recoverability needs every solve-rate bucket, so
  every solo outcome.

Feeding the same solo outcomes in any order gives the same work, so a run is
scheduled by what finishes first and still selects exactly the same items.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from suite.evaluation._config import EvalConfig
from suite.protocol import (
    Distractor,
    LengthRule,
    Solo,
    control_items,
    distractor_pool,
    draw_distractor,
    guidability_items,
    individual_subset,
    length_rule,
    own_trajectory,
    seeded_order,
    shared_coverage,
)


@dataclass(frozen=True)
class SoloWork:
    """Solo samples of a few questions (one backend group)."""

    question_ids: tuple[str, ...]


@dataclass(frozen=True)
class RecoverabilityWork:
    """Every insertion position of one item: M's own trajectory ``own_sample`` and one distractor per position."""

    subset: Literal["individual", "shared"]
    question_id: str
    own_sample: int
    distractors: tuple[Distractor, ...]
    """Aligned with the run's positions: each (item, position) draws its own."""
    max_units: int | None
    """Distractors are truncated to this many units before they are cut (None: no truncation)."""


@dataclass(frozen=True)
class GuidabilityWork:
    """Every (guide, fraction) of one guidability or control item."""

    test: Literal["guidability", "control"]
    subset: Literal["individual", "shared"] | None
    question_id: str


Work = SoloWork | RecoverabilityWork | GuidabilityWork

UnitCount = Callable[[str, int], int]
"""Units of a solo trajectory: (question id, sample index) -> count."""


@dataclass(frozen=True)
class DistractorSource:
    """Another model's solo outcomes, whose trajectories serve as distractors (cross-model ablation)."""

    name: str
    """The model id, recorded on every sample it serves."""
    known: Mapping[str, Solo]
    units: UnitCount


@dataclass
class Schedule:
    """Feed it solo outcomes with :meth:`solo_done`; it hands back the work each one makes ready."""

    config: EvalConfig
    question_ids: Sequence[str]
    golds: Mapping[str, str]
    shared_recoverability: Sequence[str] = ()
    shared_guidability: Sequence[str] = ()
    group: int = 1
    """Questions per solo unit."""
    units: UnitCount = lambda question_id, sample: 0
    """Units of one of M's solo trajectories (read from the sample store)."""
    same_answer: Callable[[str, str], bool] | None = None
    """Whether two gold answers are the same answer (a distractor must have another)."""
    sources: Sequence[DistractorSource] = ()
    """Cross-model ablation: draw distractors from these models instead of M."""
    known: dict[str, Solo] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)
    _shared_done: bool = False
    _control: list[str] | None = None

    def __post_init__(self) -> None:
        self._order = seeded_order(self.question_ids, self.config.seed, "solo-order")
        self.shared_recoverability = [q for q in self.shared_recoverability if q in self.golds]
        self.shared_guidability = [q for q in self.shared_guidability if q in self.golds]

    @property
    def recoverability(self) -> bool:
        """The run includes recoverability."""
        return "recoverability" in self.config.tests

    @property
    def guidability(self) -> bool:
        """The run includes guidability (and its control)."""
        return "guidability" in self.config.tests

    @property
    def finished(self) -> bool:
        """Every solo outcome is in, so every piece of work has been handed out."""
        return len(self.known) == len(self.question_ids)

    def start(self) -> list[Work]:
        """The solo work, in solo order (so the distractor pool and the control are known early)."""
        size = max(1, self.group)
        return [SoloWork(tuple(self._order[i : i + size])) for i in range(0, len(self._order), size)]

    def solo_done(self, question_id: str, correct: Sequence[bool]) -> list[Work]:
        """Record one question's graded solo samples; the work that became ready."""
        outcome = Solo(question_id, self.golds[question_id], tuple(correct))
        self.known[question_id] = outcome
        ready: list[Work] = []
        if self.guidability:
            if outcome.solved * 8 <= self.config.samples:
                ready.append(GuidabilityWork("guidability", "individual", question_id))
            if question_id in self.shared_guidability:
                ready.append(GuidabilityWork("guidability", "shared", question_id))
            if self._control is None:
                self._control = control_items(self.known, self._order, self.config.samples, self.config.control_size)
                ready.extend(GuidabilityWork("control", None, q) for q in self._control or [])
        if self.recoverability:
            if not self._shared_done and all(q in self.known for q in self.shared_recoverability):
                covered, _ = shared_coverage(self.shared_recoverability, self.known)
                work = self._recoverability("shared", covered, excluded=set(self.shared_recoverability))
                if work is not None:
                    self._shared_done = True
                    ready.extend(work)

            if self.finished:
                chosen = individual_subset(
                    list(self.known.values()), self.config.seed, self.config.individual_subset_size
                )
                work = self._recoverability("individual", chosen, excluded=set(chosen))
                assert work is not None, "every solo outcome is known"
                ready.extend(work)
                self._count_recoverability(chosen)
        if self.finished and self.guidability:
            self._count_guidability()
        return ready

    def _recoverability(
        self, subset: Literal["individual", "shared"], ids: Sequence[str], excluded: Collection[str]
    ) -> list[Work] | None:
        """One unit of work per item; None while the distractor pool depends on an ungraded question."""
        config = self.config
        if not ids:
            return []
        own = {q: own_trajectory(self.known[q], config.seed, "recoverability") for q in ids}
        rule = length_rule(
            [self.units(q, own[q]) for q in ids],
            config.distractor_fraction,
            config.distractor_percentiles,
            unit_cut=config.protocol == "paper",
        )
        pools = self._pools(rule, excluded)
        if pools is None:
            return None
        if sum(len(p) for p in pools) < config.distractor_pool_size * max(1, len(self.sources)):
            self.notes.append(
                f"{subset} recoverability: {sum(len(p) for p in pools)} distractor questions qualified "
                f"(wanted {config.distractor_pool_size}{' per model' if self.sources else ''}; {_describe(rule)})"
            )
        ready: list[Work] = []
        skipped = 0
        for qid in ids:
            drawn = tuple(
                draw_distractor(self.known[qid], pools, config.seed, subset, m, same_answer=self.same_answer)
                for m in config.positions
            )
            if any(d is None for d in drawn):
                skipped += 1
                self.notes.append(
                    f"{qid}: no usable distractor with another answer; {subset} recoverability item not run"
                )
                continue
            ready.append(RecoverabilityWork(subset, qid, own[qid], tuple(d for d in drawn if d), rule.max_units))
        self.counts[f"{subset}_recoverability_no_distractor"] = skipped
        return ready

    def _pools(self, rule: LengthRule, excluded: Collection[str]) -> list[list[Distractor]] | None:
        """M's own distractor pool, or one per other model in the cross-model ablation."""
        size, seed = self.config.distractor_pool_size, self.config.seed
        if not self.sources:
            pool = distractor_pool(self.known, self._order, seed, self.units, rule, excluded, size)
            return None if pool is None else [pool]
        pools = []
        for source in self.sources:
            order = [q for q in self._order if q in source.known]
            pool = distractor_pool(source.known, order, seed, source.units, rule, excluded, size, source.name)
            assert pool is not None, "another model's outcomes are all known"
            pools.append(pool)
        return pools

    def _count_recoverability(self, individual: Sequence[str]) -> None:
        wanted = self.config.individual_subset_size
        if len(individual) < wanted:
            self.notes.append(
                f"individual recoverability subset: {len(individual)} questions qualified (fewer than {wanted})"
            )
        self.counts["individual_recoverability"] = len(individual)
        self.counts["shared_recoverability"] = len(self.shared_recoverability)
        covered, _ = shared_coverage(self.shared_recoverability, self.known)
        self.counts["shared_recoverability_covered"] = len(covered)

    def _count_guidability(self) -> None:
        solo = list(self.known.values())
        self.counts["guidability_individual"] = len(guidability_items(solo, self.config.samples))
        self.counts["guidability_shared"] = len(self.shared_guidability)
        self.counts["control_control"] = len(self._control or [])


def _describe(rule: LengthRule) -> str:
    if rule.max_units is None:
        return "any non-empty trajectory"
    return f"at least {rule.min_units:g} units, cut after {rule.max_units}"
