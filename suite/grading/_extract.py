r"""Pure answer extraction for reasoning models: what after the last ``</think>`` is the final answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from suite._latex import boxed_contents

THINK_END = "</think>"
ANSWER_REGION_CHARS = 20_000
"""Only the tail of the text after ``</think>`` is searched; a final answer is never further back."""

_BOLD = re.compile(r"\*\*([^*\n]{1,200})\*\*")
_ANSWER_IS = re.compile(r"answer\s*(?:is|:)\s*:?\s*\$?([^\n$]{1,200}?)\$?\s*(?:\.\s*)?$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Extraction:
    """The candidate final answer(s) of one response."""

    truncated: bool
    """No ``</think>`` in the response: the model never finished thinking."""
    region: str
    """Text after the last ``</think>`` (its last ``ANSWER_REGION_CHARS`` characters)."""
    answers: tuple[str, ...]
    """Final answers found, in order: every ``\\boxed{}`` or, failing that, one fallback answer."""
    how: str
    """``boxed``, ``bold``, ``answer-is`` or ``none`` (math-verify may still find one in ``region``)."""


def answer_region(response: str) -> tuple[bool, str]:
    """(truncated, text after the last ``</think>``); a truncated response has no region."""
    end = response.rfind(THINK_END)
    if end < 0:
        return True, ""
    return False, response[end + len(THINK_END) :][-ANSWER_REGION_CHARS:]


def extract(response: str) -> Extraction:
    """Find the final answer candidates; prefers boxed answers, then bold, then "the answer is X"."""
    truncated, region = answer_region(response)
    if truncated:
        return Extraction(True, "", (), "none")
    boxes = tuple(b for b in boxed_contents(region) if b)
    if boxes:
        return Extraction(False, region, boxes, "boxed")
    bold = _BOLD.findall(region)
    if bold:
        return Extraction(False, region, (bold[-1].strip(),), "bold")
    said = _ANSWER_IS.findall(region)
    if said:
        return Extraction(False, region, (said[-1].strip().rstrip("."),), "answer-is")
    return Extraction(False, region, (), "none")
