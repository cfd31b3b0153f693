"""Which questions and trajectories each test uses (PROTOCOL.md): pure and seeded.

Inputs are the solo pass's outcomes; outputs are ids and trajectory indices, so
the same seed and the same solo outcomes always give the same items.

The distractor pool and the control are drawn as "the first ``size`` qualifying
questions of a seeded order of all questions": a uniform draw without replacement,
like ``random.sample``, that is known as soon as the solo outcomes of a prefix of
that order are, so a streaming run need not wait for the whole solo pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from suite.protocol._seeds import rng_for

INDIVIDUAL_SUBSET_SIZE = 200
DISTRACTOR_POOL_SIZE = 50
CONTROL_SIZE = 50


@dataclass(frozen=True)
class Solo:
    """One question's solo outcomes: which of its samples were correct."""

    question_id: str
    gold: str
    correct: tuple[bool, ...]

    @property
    def solved(self) -> int:
        """Correct samples."""
        return sum(self.correct)

    @property
    def correct_samples(self) -> tuple[int, ...]:
        """Indices of the correct samples (M's correct trajectories)."""
        return tuple(i for i, ok in enumerate(self.correct) if ok)


def individual_subset(solo: Sequence[Solo], seed: int, size: int = INDIVIDUAL_SUBSET_SIZE) -> list[str]:
    """Questions M solved, drawn with weight 1 / (size of their solve-count bucket), without replacement.

    Every solve rate 1/n ... n/n is then about equally represented. Fewer than
    ``size`` come back when fewer questions qualify.
    """
    solved = sorted((s for s in solo if s.solved > 0), key=lambda s: s.question_id)
    buckets = Counter(s.solved for s in solved)
    rng = rng_for(seed, "individual-subset")
    # Weighted sampling without replacement (Efraimidis-Spirakis): the largest u ** (1 / w) win.
    keyed = [(rng.random() ** buckets[s.solved], s.question_id) for s in solved]
    chosen = sorted(keyed, reverse=True)[:size]
    return sorted(qid for _, qid in chosen)


def own_trajectory(item: Solo, seed: int, purpose: str) -> int:
    """Which of M's correct samples on ``item`` is used (seeded)."""
    return rng_for(seed, purpose, item.question_id).choice(item.correct_samples)


@dataclass(frozen=True)
class Distractor:
    """A correct trajectory on another question, used as a distracting steer."""

    question_id: str
    gold: str
    sample: int
    """Which solo sample of that question."""
    units: int = 0
    """How many units the trajectory has (the scripts' eligibility rule reads it)."""
    source: str | None = None
    """The model whose trajectory it is, when not M's own (the cross-model ablation)."""


def seeded_order(question_ids: Iterable[str], seed: int, purpose: str) -> list[str]:
    """All ``question_ids`` in an order fixed by the seed and ``purpose``."""
    order = sorted(question_ids)
    rng_for(seed, purpose).shuffle(order)
    return order


def first_in_order(
    order: Sequence[str], known: Mapping[str, Solo], qualifies: Callable[[Solo], bool], size: int
) -> list[str] | None:
    """The first ``size`` ids of ``order`` whose solo outcome qualifies; None while that depends on an unknown one."""
    picked: list[str] = []
    for qid in order:
        if len(picked) == size:
            break
        outcome = known.get(qid)
        if outcome is None:
            return None
        if qualifies(outcome):
            picked.append(qid)
    return picked


@dataclass(frozen=True)
class LengthRule:
    """The scripts' distractor length rule, from the unit counts of the test items' own trajectories.

    A distractor is eligible when it has at least ``min_units`` units (80th
    percentile of the originals); it is truncated to ``max_units`` (90th
    percentile) before its first ``fraction`` is kept. With ``unit_cut`` (protocol
    ``paper``) that cut keeps ``int(units * fraction)`` units, which must not be 0;
    a token cut (``paper-text``) of a non-empty trajectory is never empty.
    """

    fraction: float
    min_units: float = 0.0
    max_units: int | None = None
    unit_cut: bool = True

    def eligible(self, units: int) -> bool:
        """The trajectory is long enough and its cut is not empty."""
        if units < max(1.0, self.min_units):
            return False
        kept = min(units, self.max_units) if self.max_units is not None else units
        return not self.unit_cut or int(kept * self.fraction) >= 1


def length_rule(
    original_units: Sequence[int], fraction: float, percentiles: tuple[float, float] | None, unit_cut: bool = True
) -> LengthRule:
    """The rule for one subset: ``percentiles`` (e.g. 80, 90) of its originals' unit counts, or none."""
    if percentiles is None or not original_units:
        return LengthRule(fraction, unit_cut=unit_cut)
    import numpy as np

    low, high = (float(np.percentile(np.asarray(original_units, dtype=float), p)) for p in percentiles)
    return LengthRule(fraction, low, int(high), unit_cut)


def distractor_pool(
    known: Mapping[str, Solo],
    order: Sequence[str],
    seed: int,
    units: Callable[[str, int], int],
    rule: LengthRule,
    excluded: Collection[str],
    size: int = DISTRACTOR_POOL_SIZE,
    source: str | None = None,
) -> list[Distractor] | None:
    """``size`` distinct distractor questions: the first of ``order`` that qualify (None: not known yet).

    A question qualifies when it is not ``excluded`` (the test items), was solved,
    and its seeded correct trajectory passes ``rule``; ``units(question_id, sample)``
    counts that trajectory's units.
    """
    chosen: dict[str, Distractor] = {}

    def qualifies(s: Solo) -> bool:
        if s.question_id in excluded or not s.solved:
            return False
        sample = own_trajectory(s, seed, "distractor")
        n = units(s.question_id, sample)
        if not rule.eligible(n):
            return False
        chosen[s.question_id] = Distractor(s.question_id, s.gold, sample, n, source)
        return True

    picked = first_in_order(order, known, qualifies, size)
    return None if picked is None else [chosen[q] for q in picked]


def draw_distractor(
    item: Solo,
    pools: Sequence[Sequence[Distractor]],
    seed: int,
    *draw: object,
    same_answer: Callable[[str, str], bool] | None = None,
) -> Distractor | None:
    """One distractor for (item, ``draw``...): a random pool (a model), then a random question of it.

    Only questions other than the item's, whose gold differs from the item's
    (``same_answer`` decides; by default stripped strings are compared), are drawn.
    None when no pool has one.
    """
    same = same_answer or (lambda a, b: a.strip() == b.strip())
    eligible = [
        [d for d in pool if d.question_id != item.question_id and not same(item.gold, d.gold)] for pool in pools
    ]
    eligible = [pool for pool in eligible if pool]
    if not eligible:
        return None
    rng = rng_for(seed, "draw-distractor", item.question_id, *draw)
    return rng.choice(rng.choice(eligible))


def guidability_items(solo: Sequence[Solo], samples: int) -> list[str]:
    """Questions M cannot solve: solve rate at most 1/8 (at most 1 of 8 samples)."""
    return sorted(s.question_id for s in solo if s.solved * 8 <= samples)


def control_items(
    known: Mapping[str, Solo], order: Sequence[str], samples: int, size: int = CONTROL_SIZE
) -> list[str] | None:
    """The first ``size`` questions of a seeded ``order`` that M solves in every sample (None: not known yet)."""
    picked = first_in_order(order, known, lambda s: s.solved == samples, size)
    return None if picked is None else sorted(picked)


def shared_coverage(shared_ids: Sequence[str], solo: Mapping[str, Solo]) -> tuple[list[str], list[str]]:
    """(covered, not covered) ids of a frozen shared subset: covered means M has a correct trajectory."""
    covered = [q for q in shared_ids if q in solo and solo[q].solved > 0]
    return covered, [q for q in shared_ids if q not in covered]
