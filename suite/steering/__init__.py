"""Steering: trajectory units, cutting, splicing, and the steered prompt (PROTOCOL.md)."""

from suite.steering._prompt import SteeredPrompt, generation_prompt, opens_thinking, probe_template, steered_prompt
from suite.steering._trajectory import (
    DEFAULT_TRANSITION,
    SteeredThinking,
    cut,
    first_paragraph,
    guidability_steer,
    positions_valid,
    recoverability_steer,
    splice,
    unit_spans,
    words,
)

__all__ = [
    "DEFAULT_TRANSITION",
    "SteeredPrompt",
    "SteeredThinking",
    "cut",
    "first_paragraph",
    "generation_prompt",
    "guidability_steer",
    "opens_thinking",
    "positions_valid",
    "probe_template",
    "recoverability_steer",
    "splice",
    "steered_prompt",
    "unit_spans",
    "words",
]
