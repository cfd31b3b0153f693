"""Which work is ready when: the twin tests as a stream of dependencies, not three phases (pure, no I/O).

- Solo work is ready at once, in the seeded solo order, ``group`` questions per unit.
- A question's guidability work (individual: solved in at most 1/8; shared: listed)
  is ready as soon as its own solo samples are graded.
- Shared recoverability work is ready when the question's solo samples are graded
  and the distractor pool is known (the first solved questions of the solo order).
- The control is known when the first ``control_size`` always-solved questions of
  the same order are; individual recoverability needs every solve-rate bucket, so
  every solo outcome.

Feeding the same solo outcomes in any order gives the same work, so a run is
scheduled by what finishes first and still selects exactly the same items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from suite.evaluation._config import EvalConfig
from suite.protocol import (
    Distractor,
    Solo,
    assign_distractor,
    control_items,
    distractor_pool,
    guidability_items,
    individual_subset,
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
    """Every insertion position of one item: M's own trajectory ``own_sample`` and a distractor."""

    subset: Literal["individual", "shared"]
    question_id: str
    own_sample: int
    distractor: Distractor


@dataclass(frozen=True)
class GuidabilityWork:
    """Every (guide, fraction) of one guidability or control item."""

    test: Literal["guidability", "control"]
    subset: Literal["individual", "shared"] | None
    question_id: str


Work = SoloWork | RecoverabilityWork | GuidabilityWork


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
    known: dict[str, Solo] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)
    _pool: list[Distractor] | None = None
    _waiting_for_pool: list[str] = field(default_factory=list)
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
            if question_id in self.shared_recoverability and outcome.solved:
                self._waiting_for_pool.append(question_id)
            if self._pool is None:
                self._pool = distractor_pool(
                    self.known, self._order, self.config.seed, self.config.distractor_pool_size
                )
            if self._pool is not None:
                ready.extend(self._recoverability("shared", self._waiting_for_pool))
                self._waiting_for_pool = []
            if self.finished:
                chosen = individual_subset(
                    list(self.known.values()), self.config.seed, self.config.individual_subset_size
                )
                ready.extend(self._recoverability("individual", chosen))
                self._count_recoverability(chosen)
        if self.finished and self.guidability:
            self._count_guidability()
        return ready

    def _recoverability(self, subset: Literal["individual", "shared"], ids: Sequence[str]) -> list[Work]:
        assert self._pool is not None
        ready: list[Work] = []
        for qid in ids:
            item = self.known[qid]
            distractor = assign_distractor(item, self._pool, self.config.seed)
            if distractor is None:
                self.notes.append(f"{qid}: no distractor with a different answer; {subset} item skipped")
                continue
            own = own_trajectory(item, self.config.seed, "recoverability")
            ready.append(RecoverabilityWork(subset, qid, own, distractor))
        return ready

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
