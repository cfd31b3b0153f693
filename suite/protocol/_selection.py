"""Which questions and trajectories each test uses (PROTOCOL.md): pure and seeded.

Inputs are the solo pass's outcomes; outputs are ids and trajectory indices, so
the same seed and the same solo outcomes always give the same items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
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


def distractor_pool(solo: Sequence[Solo], seed: int, size: int = DISTRACTOR_POOL_SIZE) -> list[Distractor]:
    """``size`` correct trajectories of distinct questions M solved, drawn with the seed."""
    solved = sorted((s for s in solo if s.solved > 0), key=lambda s: s.question_id)
    rng = rng_for(seed, "distractor-pool")
    picked = rng.sample(solved, min(size, len(solved)))
    return [Distractor(s.question_id, s.gold, own_trajectory(s, seed, "distractor")) for s in picked]


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


def control_items(solo: Sequence[Solo], samples: int, seed: int, size: int = CONTROL_SIZE) -> list[str]:
    """A seeded sample of up to ``size`` questions M solves in every sample (the guidability control)."""
    always = sorted(s.question_id for s in solo if s.solved == samples)
    return sorted(rng_for(seed, "control").sample(always, min(size, len(always))))


def shared_coverage(shared_ids: Sequence[str], solo: Mapping[str, Solo]) -> tuple[list[str], list[str]]:
    """(covered, not covered) ids of a frozen shared subset: covered means M has a correct trajectory."""
    covered = [q for q in shared_ids if q in solo and solo[q].solved > 0]
    return covered, [q for q in shared_ids if q not in covered]
