"""The twin tests' protocol as pure functions: item selection, seeds and scores (PROTOCOL.md)."""

from suite.protocol._metrics import Score, item_score, macro_score
from suite.protocol._seeds import derive_seed, rng_for
from suite.protocol._selection import (
    Distractor,
    Solo,
    assign_distractor,
    control_items,
    distractor_pool,
    first_in_order,
    guidability_items,
    individual_subset,
    own_trajectory,
    seeded_order,
    shared_coverage,
)

__all__ = [
    "Distractor",
    "Score",
    "Solo",
    "assign_distractor",
    "control_items",
    "derive_seed",
    "distractor_pool",
    "first_in_order",
    "guidability_items",
    "individual_subset",
    "item_score",
    "macro_score",
    "own_trajectory",
    "rng_for",
    "seeded_order",
    "shared_coverage",
]
