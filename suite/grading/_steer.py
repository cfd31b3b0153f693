r"""Whether a guide steer already states the gold answer (PROTOCOL.md "Guidability").

With a judge configured (``SteerAnswers`` with a ``Judge``), the paper's method: the judge lists
every candidate final answer stated anywhere in the steer, and the suite's grader compares each
with the gold (``JUDGE_STEER_ANSWER_METHOD``). Without one, or when the judge's reply fails or
cannot be parsed, the judge-free method below (``STEER_ANSWER_METHOD``).

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

import hashlib
import json
import re
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from typing import Any

from suite._errors import SuiteError
from suite._latex import boxed_spans
from suite.grading._grade import (
    GradingConfig,
    NeedsMathVerify,
    compare_cheaply,
    math_verify_grade,
)
from suite.grading._judge import Judge
from suite.grading._normalise import several_values, split_top_level, strip_math_mode

STEER_ANSWER_METHOD = "boxed-and-stated"
"""How ``steer_states_answer`` finds candidates (recorded with results): boxed answers and stated answers."""
JUDGE_STEER_ANSWER_METHOD = "judge-candidates"
"""The method recorded when a judge lists the candidates (``STEER_CANDIDATES_PROMPT``)."""

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
    return candidates_state_answer(steer_answer_candidates(steer), gold, multiple, config)


def candidates_state_answer(
    candidates: Sequence[str], gold: str, multiple: bool = False, config: GradingConfig | None = None
) -> bool:
    """True when some candidate (or, for a gold with several values, some run of that many) grades correct.

    The comparison of both methods: each candidate as a final answer, then every run of
    consecutive candidates as one list. Call it on the main thread, as ``steer_states_answer``.
    """
    config = config or GradingConfig()
    candidates = list(candidates)
    runs = [[c] for c in candidates]
    wanted = len(split_top_level(gold)) if multiple or several_values(gold) else 1
    if wanted > 1:
        runs += [candidates[i : i + wanted] for i in range(len(candidates) - wanted + 1)]
    return any(_matches(run, gold, multiple, config) for run in runs)


class SteerAnswers:
    """Answer in steer for one run: the judge's candidates when a judge is given, else the judge-free method.

    The judge is asked once per distinct (problem, steer) in ``executor``'s threads, started by
    ``prefetch`` when the steer's continuations are handed to the engine; ``decide`` (main
    thread, where Math-Verify's timeouts work) waits for the reply only if it is slower than
    those continuations, then grades the candidates against the gold, once per distinct steer.
    A judge that fails or replies without a parseable candidates block leaves that steer to the
    judge-free method, counted in ``fallbacks``.
    """

    def __init__(self, judge: Judge | None, executor: Executor, config: GradingConfig | None = None) -> None:
        self.judge, self.executor, self.config = judge, executor, config or GradingConfig()
        # Keyed by digests: a run's memory does not grow with the steers' texts.
        self._asked: dict[str, Future[list[str] | None]] = {}
        self._decided: dict[str, bool] = {}
        self.judged = 0
        """Distinct steers decided from the judge's candidates."""
        self.fallbacks = 0
        """Distinct steers the judge-free method decided because the judge failed or was unparseable."""

    @property
    def method(self) -> str:
        """The method results record: ``judge-candidates`` with a judge, else ``boxed-and-stated``."""
        return JUDGE_STEER_ANSWER_METHOD if self.judge else STEER_ANSWER_METHOD

    def now(self, steer: str, gold: str, multiple: bool = False) -> bool | None:
        """What a job records when it is made: without a judge the verdict itself; with one None (see ``decide``)."""
        return None if self.judge else steer_states_answer(steer, gold, multiple, self.config)

    def prefetch(self, problem: str, steer: str) -> None:
        """Start the judge's candidate list for ``steer`` in the background (once per steer); no-op without a judge."""
        judge, key = self.judge, _digest(problem, steer)
        if judge is not None and key not in self._asked:
            self._asked[key] = self.executor.submit(lambda: judge.steer_candidates(problem, steer)[0])

    def decide(self, problem: str, steer: str, gold: str, multiple: bool = False) -> bool:
        """Whether ``steer`` states ``gold``: waits for its judge reply (prefetched, else asked now)."""
        key = _digest(problem, steer, gold, multiple)
        if key not in self._decided:
            self._decided[key] = self._decide(problem, steer, gold, multiple)
        return self._decided[key]

    def _decide(self, problem: str, steer: str, gold: str, multiple: bool) -> bool:
        if self.judge is None:
            return steer_states_answer(steer, gold, multiple, self.config)
        self.prefetch(problem, steer)
        try:
            candidates = self._asked[_digest(problem, steer)].result()
        except SuiteError:
            candidates = None
        if candidates is None:
            self.fallbacks += 1
            return steer_states_answer(steer, gold, multiple, self.config)
        self.judged += 1
        return candidates_state_answer(candidates, gold, multiple, self.config)

    def to_json(self) -> dict[str, Any]:
        """What results record in ``grading``: the method and, with a judge, how many steers fell back."""
        return {
            "steer_answer_method": self.method,
            "steer_answer_judged": self.judged,
            "steer_answer_fallbacks": self.fallbacks,
        }


def _digest(*parts: str | bool) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
