"""Trajectory units, cutting and splicing (PROTOCOL.md, "Unit" and the two tests).

All pure. A unit boundary is the end of a unit's text (before the blank lines
that follow it), so a cut is always an exact prefix of the original and
splicing appends the transition phrase right after the last kept sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

LONG_UNIT_WORDS = 60
"""A paragraph longer than this is split at sentence ends."""
SHORT_UNIT_WORDS = 30
"""A unit shorter than this is merged into the previous one."""
DEFAULT_TRANSITION = "\n\nWait. Let me think.\n\n"
"""The paper's transition phrase (decision: configurable; the authors' scripts used ``"\\nLet me think."``)."""

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

LengthFn = Callable[[str], int]
"""Length of a text: tokens of M's tokenizer, or words where none is at hand."""


def words(text: str) -> int:
    """Word count, the length measure used where no tokenizer is at hand."""
    return len(text.split())


def _spans(text: str, separator: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of the pieces of ``text[start:end]`` between separators, whitespace trimmed."""
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


def _sentence_chunks(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Consecutive sentences grouped into chunks of at least ``SHORT_UNIT_WORDS`` words."""
    chunks: list[tuple[int, int]] = []
    for a, b in sentences:
        if chunks and words(text[chunks[-1][0] : chunks[-1][1]]) < SHORT_UNIT_WORDS:
            chunks[-1] = (chunks[-1][0], b)
        else:
            chunks.append((a, b))
    return chunks


def unit_spans(thinking: str) -> list[tuple[int, int]]:
    """(start, end) of each unit: paragraphs, long ones split at sentence ends, short ones merged back."""
    pieces: list[tuple[int, int]] = []
    for a, b in _spans(thinking, _PARAGRAPH_BREAK, 0, len(thinking)):
        if words(thinking[a:b]) > LONG_UNIT_WORDS:
            pieces.extend(_sentence_chunks(thinking, _spans(thinking, _SENTENCE_END, a, b)))
        else:
            pieces.append((a, b))
    units: list[tuple[int, int]] = []
    for a, b in pieces:
        if units and words(thinking[a:b]) < SHORT_UNIT_WORDS:
            units[-1] = (units[-1][0], b)
        elif units and words(thinking[units[-1][0] : units[-1][1]]) < SHORT_UNIT_WORDS:
            units[-1] = (units[-1][0], b)  # only the first unit can be short here: it absorbs the next
        else:
            units.append((a, b))
    return units


def cut(thinking: str, fraction: float, length: LengthFn = words) -> str:
    """The longest prefix ending on a unit boundary whose length is at most ``fraction`` of the whole.

    Fraction 0 gives ``""``, fraction 1 gives the whole text; a larger fraction never
    gives a shorter prefix. Lengths are summed per unit, so they grow with every unit.
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be within [0, 1], got {fraction}")
    if fraction == 1:
        return thinking
    units = unit_spans(thinking)
    sizes = [length(thinking[a:b]) for a, b in units]
    target = fraction * sum(sizes)
    end, total = 0, 0
    for (_, b), size in zip(units, sizes, strict=True):
        total += size
        if total > target + 1e-9:
            break
        end = b
    return thinking[:end]


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


def recoverability_steer(
    original: str,
    distractor: str,
    position: float,
    distractor_fraction: float = 0.2,
    transition: str = DEFAULT_TRANSITION,
    keep_opening: bool = False,
    length: LengthFn = words,
) -> SteeredThinking:
    """M's own trajectory cut at ``position`` + transition + the distractor cut to ``distractor_fraction``.

    ``keep_opening`` (the paper's ablation): always keep the original's first
    paragraph and drop the distractor's first paragraph.
    """
    own = cut(original, position, length)
    if keep_opening:
        opening = first_paragraph(original)
        own = opening if len(own) < len(opening) else own
        distractor = without_first_paragraph(distractor) or distractor
    return splice(own, cut(distractor, distractor_fraction, length), transition)


def guidability_steer(guide_thinking: str, fraction: float, length: LengthFn = words) -> SteeredThinking:
    """The first ``fraction`` of a guide's thinking at the very start of M's thinking (no transition)."""
    return splice("", cut(guide_thinking, fraction, length))


def positions_valid(values: Sequence[float]) -> bool:
    """Fractions must lie in [0, 1] and be distinct."""
    return all(0 <= v <= 1 for v in values) and len(set(values)) == len(values)
