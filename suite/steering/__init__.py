"""Steering: trajectory units, cutting, splicing, and the steered prompt (PROTOCOL.md)."""

from suite.steering._trajectory import (
    DEFAULT_TRANSITION,
    SteeredThinking,
    cut,
    first_paragraph,
    guidability_steer,
    recoverability_steer,
    splice,
    unit_spans,
    words,
)

__all__ = [
    "DEFAULT_TRANSITION",
    "SteeredThinking",
    "cut",
    "first_paragraph",
    "guidability_steer",
    "recoverability_steer",
    "splice",
    "unit_spans",
    "words",
]
