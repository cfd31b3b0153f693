r"""Pure answer extraction for reasoning models: what, after the thinking, is the final answer.

The answer region is the text after the last ``closer`` (``</think>`` by default; ``[/THINK]`` for
Mistral; ``<|end|>`` for gpt-oss's harmony format, where the answer is the ``final`` channel message;
``""`` for a model that writes no thinking markers, whose whole response is the region).

Inside the region, in this order:
1. every complete ``\boxed{...}`` / ``\fbox{...}`` (the caller picks the last one, or gathers them
   for a gold with several values);
2. the later of: markdown bold (a bold that is the answer, ``the answer is **42**``, or
   ``**Answer: 42**``; after a bold heading such as ``**Final Answer**``, ``**Answer:**``,
   ``**Conclusion:**``, what follows the heading on its line or the next one; a heading itself
   is never the answer) and "the answer is X" / "answer: X" at the end of a line;
3. nothing: Math-Verify may still find an answer in the tail of the region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from suite._latex import boxed_contents

THINK_END = "</think>"
HARMONY_END = "<|end|>"
"""gpt-oss (harmony) ends its analysis message with this; the answer then follows a final-channel header."""
ANSWER_REGION_CHARS = 20_000
"""Only the tail of the answer region is searched; a final answer is never further back."""

_HARMONY_FINAL = re.compile(r"<\|channel\|>\s*final\b[^<]{0,200}(?:<\|constrain\|>[^<]{0,200})?<\|message\|>")
_SPECIAL_TOKEN = re.compile(r"<\|(?:start|end|return|message|channel|constrain|call|im_end|endoftext|eot_id)\|>")
_END_MARKERS = (
    "<|return|>",
    "<|end|>",
    "<|call|>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "</s>",
    "<\uff5cend\u2581of\u2581sentence\uff5c>",
)

_BOLD = re.compile(r"\*\*([^*\n]{1,200})\*\*(\s*:)?")
_HEADING = re.compile(
    r"(?:the\s+)?(?:final|correct)?\s*(?:answer|answers|result|results|conclusion|solution|solutions|summary|"
    r"verification|explanation|reasoning|calculation|step\s*\d+\b.*)(?:\s*\(.*\))?",
    re.IGNORECASE,
)
_HEADING_WITH_ANSWER = re.compile(r"(?:the\s+)?(?:final\s+)?answer\s*(?:is\b|:|=)\s*(.+)", re.IGNORECASE)
_ANSWER_IS = re.compile(r"answer\s*(?:is|:)\s*:?\s*\$?([^\n$]{1,200}?)\$?\s*(?:\.\s*)?$", re.IGNORECASE | re.MULTILINE)
_MATH_SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_DISPLAY_OPEN = ("\\[", "$$")


@dataclass(frozen=True)
class Extraction:
    """The candidate final answer(s) of one response."""

    truncated: bool
    """No ``closer`` in the response: the model never finished thinking (never set when the closer is ``""``)."""
    region: str
    """The answer region (its last ``ANSWER_REGION_CHARS`` characters), markers removed."""
    answers: tuple[str, ...]
    """Final answers found, in order: every ``\\boxed{}`` or, failing that, one fallback answer."""
    how: str
    """``boxed``, ``bold``, ``heading``, ``answer-is`` or ``none`` (math-verify may still find one in ``region``)."""


def _strip_end_markers(text: str) -> str:
    """``text`` without the end-of-turn markers and whitespace it ends with."""
    while True:
        stripped = text.rstrip()
        for marker in _END_MARKERS:
            stripped = stripped.removesuffix(marker)
        if stripped == text:
            return text
        text = stripped


def answer_region(response: str, closer: str = THINK_END) -> tuple[bool, str]:
    """(truncated, answer region) of a response; a truncated response has no region.

    The region is the text after the last ``closer``; ``closer=""`` means no thinking markers (the
    whole response, never truncated). For harmony (``closer="<|end|>"``) it is the message after the
    last final-channel header that follows the first ``<|end|>`` (empty when the model finished
    thinking but wrote no final message). End-of-turn markers at its end and harmony's special
    tokens never reach the answer.
    """
    if not closer:
        region = response
    elif closer == HARMONY_END:
        first = response.find(closer)
        if first < 0:
            return True, ""
        headers = [m for m in _HARMONY_FINAL.finditer(response, first) if m.start() > first]
        region = response[headers[-1].end() :] if headers else ""
    else:
        end = response.rfind(closer)
        if end < 0:
            return True, ""
        region = response[end + len(closer) :]
    region = _strip_end_markers(region[-ANSWER_REGION_CHARS:])
    if "<|" in region:
        region = _SPECIAL_TOKEN.sub("\n", region)
    return False, region


def _display_block(text: str) -> str:
    r"""The first line of ``text``, or a whole ``\[ ... \]`` / ``$$ ... $$`` block that starts it."""
    for opening, closing in (("\\[", "\\]"), ("$$", "$$")):
        if text.startswith(opening):
            end = text.find(closing, len(opening))
            if end >= 0:
                return text[: end + len(closing)]
    return text.split("\n", 1)[0]


def _after_heading(region: str, end: int) -> str:
    """What a bold heading ending at ``end`` introduces: the rest of its line, else the next non-empty line."""
    rest = region[end:].lstrip(" \t:")
    if not rest.startswith("\n"):
        return _display_block(rest).strip()
    return _display_block(rest.lstrip()).strip()


def _heading_answer(text: str) -> str | None:
    r"""The answer in what a heading introduces: the whole text if short and math-like, else its last math span.

    Prose without math (``The sequence converges.``) gives None: Math-Verify reads it instead.
    """
    text = text.strip().rstrip(".").strip()
    if not text:
        return None
    spans = [next(g for g in m.groups() if g is not None) for m in _MATH_SPAN.finditer(text)]
    if spans and _MATH_SPAN.fullmatch(text) is None:
        return spans[-1].strip() or None
    if spans:
        return spans[0].strip() or None
    words = re.findall(r"[A-Za-z]{2,}", text)
    return text if len(words) <= 2 and len(text) <= 60 else None


def _from_bold(region: str) -> tuple[int, str, str] | None:
    """(position, answer, how) of the last bold answer or bold heading's answer, whichever is later."""
    best: tuple[int, str, str] | None = None
    for m in _BOLD.finditer(region):
        content = m.group(1).strip()
        label = content.rstrip(":.").strip()
        inline = _HEADING_WITH_ANSWER.fullmatch(label)
        if inline:  # **Answer: 42**
            best = (m.start(), inline.group(1).strip(), "bold")
        elif content.endswith(":") or m.group(2) or _HEADING.fullmatch(label):
            found = _heading_answer(_after_heading(region, m.end()))
            # A heading that introduces no readable answer still ends any earlier bold's claim.
            best = (m.start(), found, "heading") if found else None
        elif label:
            best = (m.start(), label, "bold")
    return best


def _from_answer_is(region: str) -> tuple[int, str, str] | None:
    """(position, answer, "answer-is") of the last "the answer is X" / "answer: X" ending a line."""
    found = list(_ANSWER_IS.finditer(region))
    if not found:
        return None
    answer = found[-1].group(1).strip().rstrip(".").strip().strip("*").strip()
    return (found[-1].start(), answer, "answer-is") if answer else None


def extract(response: str, closer: str = THINK_END) -> Extraction:
    """Find the final answer candidates of ``response`` in the text after the last ``closer``.

    Prefers every boxed answer, then the later of a bold answer (or what a bold heading
    introduces) and "the answer is X"; see the module docstring for the exact order.
    """
    truncated, region = answer_region(response, closer)
    if truncated:
        return Extraction(True, "", (), "none")
    boxes = tuple(b for b in boxed_contents(region) if b)
    if boxes:
        return Extraction(False, region, boxes, "boxed")
    found = [c for c in (_from_bold(region), _from_answer_is(region)) if c is not None]
    if found:
        _, answer, how = max(found, key=lambda c: c[0])  # the later statement is the final one
        return Extraction(False, region, (answer,), how)
    return Extraction(False, region, (), "none")
