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
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    """One of M's own correct trajectories, on another question, used as a distracting steer."""

    question_id: str
    gold: str
    sample: int


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


def distractor_pool(
    known: Mapping[str, Solo], order: Sequence[str], seed: int, size: int = DISTRACTOR_POOL_SIZE
) -> list[Distractor] | None:
    """One correct trajectory each of the first ``size`` solved questions of ``order`` (None: not known yet)."""
    picked = first_in_order(order, known, lambda s: s.solved > 0, size)
    if picked is None:
        return None
    return [Distractor(q, known[q].gold, own_trajectory(known[q], seed, "distractor")) for q in picked]


def assign_distractor(
    item: Solo, pool: Sequence[Distractor], seed: int, same_answer: Mapping[tuple[str, str], bool] | None = None
) -> Distractor | None:
    """A random distractor from another question whose answer differs from ``item``'s gold.

    ``same_answer`` may say that two different gold strings are the same answer
    (graded equivalence); by default golds are compared as strings.
    """
    eligible = [
        d
        for d in pool
        if d.question_id != item.question_id
        and d.gold.strip() != item.gold.strip()
        and not (same_answer or {}).get((item.gold, d.gold), False)
    ]
    return rng_for(seed, "assign-distractor", item.question_id).choice(eligible) if eligible else None


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
