"""Scores with 95% bootstrap confidence intervals, from plain per-item values (pure, seeded).

The bootstrap resamples *items* (questions), not generations: the 8 samples of
one question, or the 5 positions of one recoverability item, move together.
Values are proportions in [0, 1]; an empty cell has value None, never NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from suite.protocol._seeds import derive_seed

BOOTSTRAP_RESAMPLES = 1000


@dataclass(frozen=True)
class Score:
    """One cell of the results: a proportion, its 95% CI and how many items it rests on."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    """Items (questions) behind the value."""
    generations: int
    """Generations behind the value."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (no NaN: empty cells are null)."""
        return asdict(self)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _generator(seed: int, name: str) -> np.random.Generator:
    """The cell's own random stream (PCG64: the same integers on every platform and numpy version)."""
    return np.random.Generator(np.random.PCG64(derive_seed(seed, "bootstrap", name)))


def _resampled(totals: Sequence[tuple[int, int]], rng: np.random.Generator) -> np.ndarray:
    """Pass@1 of each of ``BOOTSTRAP_RESAMPLES`` resamples of the items, with replacement.

    Correct and total counts are summed as integers, so each draw is one exact division.
    """
    correct = np.fromiter((c for c, _ in totals), dtype=np.int64, count=len(totals))
    total = np.fromiter((n for _, n in totals), dtype=np.int64, count=len(totals))
    picked = rng.integers(0, len(totals), size=(BOOTSTRAP_RESAMPLES, len(totals)))
    return correct[picked].sum(axis=1) / total[picked].sum(axis=1)


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile of already sorted values."""
    position = q * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def item_score(per_item: Mapping[str, Sequence[bool]], seed: int, name: str) -> Score:
    """Micro-average over all generations; CI by resampling items.

    ``per_item`` maps an item id to the outcomes of its generations.
    """
    items = sorted((k, v) for k, v in per_item.items() if v)
    if not items:
        return Score(None, None, None, 0, 0)
    totals = [(sum(v), len(v)) for _, v in items]
    value = sum(c for c, _ in totals) / sum(n for _, n in totals)
    draws = sorted(_resampled(totals, _generator(seed, name)).tolist())
    return Score(
        round(value, 6),
        round(_percentile(draws, 0.025), 6),
        round(_percentile(draws, 0.975), 6),
        len(items),
        sum(n for _, n in totals),
    )


def macro_score(per_group: Mapping[str, Mapping[str, Sequence[bool]]], seed: int, name: str) -> Score:
    """Mean over groups (benchmarks) of each group's mean Pass@1; CI resamples items within each group."""
    groups = sorted((g, sorted((k, v) for k, v in items.items() if v)) for g, items in per_group.items())
    groups = [(g, items) for g, items in groups if items]
    if not groups:
        return Score(None, None, None, 0, 0)

    def macro(per: list[list[tuple[int, int]]]) -> float:
        return _mean([sum(c for c, _ in t) / sum(n for _, n in t) for t in per])

    totals = [[(sum(v), len(v)) for _, v in items] for _, items in groups]
    rng = _generator(seed, name)
    summed = np.zeros(BOOTSTRAP_RESAMPLES)
    for group in totals:  # groups added one after another: the same float operations on every platform
        summed = summed + _resampled(group, rng)
    draws = sorted((summed / len(totals)).tolist())
    return Score(
        round(macro(totals), 6),
        round(_percentile(draws, 0.025), 6),
        round(_percentile(draws, 0.975), 6),
        sum(len(t) for t in totals),
        sum(n for t in totals for _, n in t),
    )
