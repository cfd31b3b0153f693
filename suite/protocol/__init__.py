"""The twin tests' protocol as pure functions: item selection, seeds and scores (PROTOCOL.md)."""

from suite.protocol._metrics import Score, item_score, macro_score
from suite.protocol._seeds import derive_seed, rng_for
from suite.protocol._selection import (
    Distractor,
    LengthRule,
    Solo,
    control_items,
    distractor_pool,
    draw_distractor,
    first_in_order,
    guidability_items,
    individual_subset,
    length_rule,
    own_trajectory,
    seeded_order,
    shared_coverage,
)

__all__ = [
    "Distractor",
    "LengthRule",
    "Score",
    "Solo",
    "control_items",
    "derive_seed",
    "distractor_pool",
    "draw_distractor",
    "first_in_order",
    "guidability_items",
    "individual_subset",
    "item_score",
    "length_rule",
    "macro_score",
    "own_trajectory",
    "rng_for",
    "seeded_order",
    "shared_coverage",
]
