"""Trajectory units, cutting and splicing (PROTOCOL.md, "Unit" and the two tests).

All pure. Two cutting rules, one per protocol variant:

- ``paper`` (the authors' scripts, ``equal_chunk`` with granularity 30): the
  thinking is split into units at blank lines, a paragraph over 60 words at line
  breaks (a line still over 60 words at sentence ends), and a unit under 30 words
  is merged into the previous one; a cut at f keeps the first
  ``int(len(units) * f)`` units.
- ``paper-text`` (the paper's prose): a cut at f keeps the sentences whose end is
  nearest to f of the tokens.

A cut is always an exact prefix of the original text, ending where its last
kept unit (or sentence) ends: the scripts glued kept chunks with ``""``; we keep
the original separators (decision, recorded with every result).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

LONG_UNIT_WORDS = 60
"""A paragraph (or line) longer than this is split further."""
SHORT_UNIT_WORDS = 30
"""A unit shorter than this is merged into the previous one (the scripts' granularity)."""
SCRIPTS_TRANSITION = "\nLet me think."
"""The transition phrase of the authors' scripts (protocol ``paper``)."""
PAPER_TEXT_TRANSITION = "\n\nWait. Let me think.\n\n"
"""The transition phrase of the paper's prose, "Wait. Let me think" (protocol ``paper-text``)."""
DEFAULT_TRANSITION = SCRIPTS_TRANSITION

_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_LINE_BREAK = re.compile(r"\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SENTENCE_OR_PARAGRAPH = re.compile(r"(?<=[.!?])\s+|\n{2,}")

LengthFn = Callable[[str], int]
"""Length of a text: tokens of M's tokenizer, or words where none is at hand."""
Span = tuple[int, int]


def words(text: str) -> int:
    """Word count, the unit of the scripts' granularity."""
    return len(text.split())


def _spans(text: str, separator: re.Pattern[str], start: int, end: int) -> list[Span]:
    """(start, end) of the pieces of ``text[start:end]`` between separators, whitespace trimmed, empty ones dropped."""
    spans, position = [], start
    for m in separator.finditer(text, start, end):
        spans.append((position, m.start()))
        position = m.end()
    spans.append((position, end))
    trimmed = []
    for a, b in spans:
        piece = text[a:b]
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip())
        if b > a:
            trimmed.append((a, b))
    return trimmed


def _pieces(text: str, span: Span, separators: Sequence[re.Pattern[str]]) -> list[Span]:
    """``span`` as is when short enough, else split at the first separator (recursing with the rest).

    Consecutive parts are grouped until a group has ``SHORT_UNIT_WORDS`` words, so a long
    paragraph of short lines or sentences becomes chunks of about 30-60 words, not one unit.
    """
    a, b = span
    if words(text[a:b]) <= LONG_UNIT_WORDS or not separators:
        return [span]
    chunks: list[Span] = []
    for part in _spans(text, separators[0], a, b):
        for piece in _pieces(text, part, separators[1:]):
            if chunks and words(text[chunks[-1][0] : chunks[-1][1]]) < SHORT_UNIT_WORDS:
                chunks[-1] = (chunks[-1][0], piece[1])
            else:
                chunks.append(piece)
    return chunks


def unit_spans(thinking: str) -> list[Span]:
    """(start, end) of each unit by the scripts' rule (see the module docstring)."""
    units: list[Span] = []
    for paragraph in _spans(thinking, _PARAGRAPH_BREAK, 0, len(thinking)):
        for a, b in _pieces(thinking, paragraph, (_LINE_BREAK, _SENTENCE_END)):
            if units and words(thinking[a:b]) < SHORT_UNIT_WORDS:
                units[-1] = (units[-1][0], b)
            else:
                units.append((a, b))
    return units


def sentence_spans(thinking: str) -> list[Span]:
    """(start, end) of each sentence (or paragraph without a sentence end): the paper-text grain."""
    return _spans(thinking, _SENTENCE_OR_PARAGRAPH, 0, len(thinking))


def _check(fraction: float) -> None:
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be within [0, 1], got {fraction}")


def cut_units(thinking: str, fraction: float, max_units: int | None = None) -> str:
    """The first ``int(len(units) * fraction)`` units (of at most the first ``max_units``), as a prefix."""
    _check(fraction)
    units = unit_spans(thinking)[:max_units]
    keep = int(len(units) * fraction)
    return thinking[: units[keep - 1][1]] if keep else ""


def cut_tokens(thinking: str, fraction: float, length: LengthFn = words) -> str:
    """The prefix ending at the sentence end nearest to ``fraction`` of the length (paper-text).

    Fraction 0 gives ``""``; any larger fraction keeps at least one sentence; 1 keeps all.
    """
    _check(fraction)
    sentences = sentence_spans(thinking)
    if fraction == 0 or not sentences:
        return ""
    ends, total = [], 0
    for a, b in sentences:
        total += length(thinking[a:b])
        ends.append((total, b))
    target = fraction * total
    _, end = min(ends, key=lambda e: (abs(e[0] - target), e[0]))
    return thinking[:end]


@dataclass(frozen=True)
class Cutting:
    """How a protocol variant cuts trajectories; ``length`` is only used by token cuts."""

    variant: str
    """``paper`` (units) or ``paper-text`` (tokens to the nearest sentence end)."""
    length: LengthFn = words

    def __call__(self, thinking: str, fraction: float, max_units: int | None = None) -> str:
        """Cut ``thinking`` at ``fraction``; ``max_units`` first truncates a unit cut (distractors)."""
        if self.variant == "paper":
            return cut_units(thinking, fraction, max_units)
        return cut_tokens(thinking, fraction, self.length)


PAPER = Cutting("paper")


def cut(thinking: str, fraction: float) -> str:
    """The scripts' cut: the first ``int(len(units) * fraction)`` units."""
    return cut_units(thinking, fraction)


def first_paragraph(thinking: str) -> str:
    """The opening paragraph (usually the restatement of the question), as a prefix."""
    spans = _spans(thinking, _PARAGRAPH_BREAK, 0, len(thinking))
    return thinking[: spans[0][1]] if spans else ""


def without_first_paragraph(thinking: str) -> str:
    """Everything after the opening paragraph."""
    spans = _spans(thinking, _PARAGRAPH_BREAK, 0, len(thinking))
    return thinking[spans[1][0] :] if len(spans) > 1 else ""


@dataclass(frozen=True)
class SteeredThinking:
    """The thinking put into M's mouth: own prefix + transition + steer (each part recorded)."""

    own: str
    """The kept prefix of M's own trajectory (empty at insertion position 0)."""
    transition: str
    """The transition phrase (empty when there is no own prefix)."""
    steer: str
    """The spliced text: a distractor or a guide's partial reasoning."""

    @property
    def text(self) -> str:
        """The spliced thinking, exactly ``own + transition + steer``."""
        return self.own + self.transition + self.steer


def splice(own: str, steer: str, transition: str = DEFAULT_TRANSITION) -> SteeredThinking:
    """Splice ``steer`` after ``own``; with no own prefix there is no transition phrase."""
    return SteeredThinking(own, transition if own else "", steer)


def distractor_steer(
    distractor: str,
    fraction: float,
    cutting: Cutting = PAPER,
    max_units: int | None = None,
    keep_opening: bool = False,
) -> str:
    """The part of a distractor trajectory that is spliced: its first ``fraction`` (after truncation).

    ``keep_opening`` (ablation) drops the distractor's first paragraph first.
    """
    if keep_opening:
        distractor = without_first_paragraph(distractor) or distractor
    return cutting(distractor, fraction, max_units)


def recoverability_steer(
    original: str,
    distractor: str,
    position: float,
    distractor_fraction: float = 0.2,
    transition: str = DEFAULT_TRANSITION,
    keep_opening: bool = False,
    cutting: Cutting = PAPER,
    max_units: int | None = None,
) -> SteeredThinking:
    """M's own trajectory cut at ``position`` + transition + the distractor cut to ``distractor_fraction``.

    ``max_units`` truncates the distractor before it is cut (the scripts' 90th-percentile rule).
    ``keep_opening`` (the paper's ablation): always keep the original's first
    paragraph and drop the distractor's first paragraph.
    """
    own = cutting(original, position)
    if keep_opening:
        opening = first_paragraph(original)
        own = opening if len(own) < len(opening) else own
    steer = distractor_steer(distractor, distractor_fraction, cutting, max_units, keep_opening)
    return splice(own, steer, transition)


def guidability_steer(guide_thinking: str, fraction: float, cutting: Cutting = PAPER) -> SteeredThinking:
    """The first ``fraction`` of a guide's thinking at the very start of M's thinking (no transition)."""
    return splice("", cutting(guide_thinking, fraction))


def positions_valid(values: Sequence[float]) -> bool:
    """Fractions must lie in [0, 1] and be distinct."""
    return all(0 <= v <= 1 for v in values) and len(set(values)) == len(values)
