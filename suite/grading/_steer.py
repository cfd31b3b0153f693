r"""Whether a guide steer already states the gold answer (PROTOCOL.md "Guidability", without a judge).

A steer is a prefix of a guide model's thinking, so its answer can be anywhere in it,
stated in passing. The candidates are, in the order they appear:

* the content of every complete ``\boxed{...}`` / ``\fbox{...}``;
* every stated answer: ``answer`` followed by ``is``, ``should be``, ``would be``, ``must be``,
  ``will be``, ``=`` or ``:`` (optionally ``final answer``, any case), then either one math span
  (``$...$``, ``$$...$$``, ``\(...\)``, ``\[...\]``), or one bold ``**...**``, or one run of
  non-space characters, with more runs joined by a spaced operator (``6 - 5i``) and a leading
  ``x =``; punctuation ending the sentence is dropped (``12.``, ``3.5``, ``\frac{1}{2}``,
  ``x = 2``, ``6 - 5i`` are read whole).

Deliberately not candidates: ``= X`` at the end of a sentence and "so x is 5" style
sentences (intermediate results of the reasoning, not stated answers), and plural ``the answers
are ...``. Each candidate is graded against the gold like a final answer; for a gold with several
values, every run of that many consecutive candidates is also tried as one list.
"""

from __future__ import annotations

import re

from suite._latex import boxed_spans
from suite.grading._grade import (
    GradingConfig,
    NeedsMathVerify,
    compare_cheaply,
    math_verify_grade,
)
from suite.grading._normalise import several_values, split_top_level, strip_math_mode

STEER_ANSWER_METHOD = "boxed-and-stated"
"""How ``steer_states_answer`` finds candidates (recorded with results): boxed answers and stated answers."""

_STATED = re.compile(
    r"\b(?:final\s+)?answer\s*(?:(?:is|should\s+be|would\s+be|must\s+be|will\s+be)\b|=|:)\s*:?\s*"
    r"(?:"
    r"(?P<math>\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\])"
    r"|\*\*(?P<bold>[^*\n]{1,200})\*\*"
    r"|(?P<bare>(?:[A-Za-z]\s*=\s*)?[^\s$*]{1,200}(?:\s+[-+*/=^\u00b1]\s+[^\s$*]{1,200})*)"
    r")",
    re.IGNORECASE | re.DOTALL,
)


def steer_answer_candidates(steer: str) -> list[str]:
    """Every boxed answer and every stated answer in ``steer``, in order of appearance, repeats dropped.

    See the module docstring for the exact patterns.
    """
    found: list[tuple[int, str]] = list(boxed_spans(steer))
    for m in _STATED.finditer(steer):
        text = m.group("math") or m.group("bold") or m.group("bare") or ""
        text = strip_math_mode(text.rstrip(".,;:!?")).strip()
        if text and not text.startswith(("\\boxed", "\\fbox")):  # boxes are already candidates
            found.append((m.start(), text))
    candidates: list[str] = []
    for _, text in sorted(found, key=lambda item: item[0]):
        if text and text not in candidates:
            candidates.append(text)
    return candidates


def _matches(values: list[str], gold: str, multiple: bool, config: GradingConfig) -> bool:
    """One candidate (or run of candidates) against the gold, as a final answer would be graded."""
    answers = values if multiple else [", ".join(values)]
    if multiple and len(values) == 1:
        answers = split_top_level(values[0])
    first = compare_cheaply(answers, gold, multiple, "", "steer")
    if not isinstance(first, NeedsMathVerify):
        return first.correct
    return math_verify_grade(gold, first, multiple, config).correct


def steer_states_answer(steer: str, gold: str, multiple: bool = False, config: GradingConfig | None = None) -> bool:
    """True when some candidate of ``steer_answer_candidates`` grades correct against ``gold``.

    Grades in this process: call it on the main thread, where Math-Verify's timeouts work
    (a candidate that times out does not count).
    """
    config = config or GradingConfig()
    candidates = steer_answer_candidates(steer)
    runs = [[c] for c in candidates]
    wanted = len(split_top_level(gold)) if multiple or several_values(gold) else 1
    if wanted > 1:
        runs += [candidates[i : i + wanted] for i in range(len(candidates) - wanted + 1)]
    return any(_matches(run, gold, multiple, config) for run in runs)
