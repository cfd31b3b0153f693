"""Grade one response against a gold answer: extraction, exact match, then Math-Verify.

``grade`` runs Math-Verify in the calling process. Math-Verify's own timeouts use
``signal.alarm``, which works only on a main thread; off it they are skipped and
a pathological input can stall. Runs therefore use ``GraderPool``, which calls
``grade`` on the main thread of killable worker processes.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from suite.grading._extract import THINK_END, extract
from suite.grading._normalise import (
    case_conflict,
    e_notation_to_latex,
    normalise,
    same_direction,
    several_values,
    split_top_level,
    strip_math_mode,
    strip_unit,
)

Method = Literal["math_verify", "string_match", "judge"]


@dataclass(frozen=True)
class GradingConfig:
    """The knobs that decide grades; recorded in every result."""

    timeout_s: float = 5.0
    """Limit per answer; past it the answer is graded once more with ``retry_timeout_s``."""
    float_rounding: int = 6
    """Math-Verify's float rounding."""
    retry_timeout_s: float = 60.0
    """Limit of the one retry an answer gets after timing out (timeouts depend on machine load);
    an answer that times out again is graded wrong with ``timed_out``. 0 turns retries off."""

    def to_json(self) -> dict[str, Any]:
        """The grading config as results record it."""
        return {"grader": "math-verify", "math_verify_version": _math_verify_version(), **asdict(self)}


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one response; stored with every sample."""

    correct: bool
    """The final answer matches the gold answer."""
    answer: str | None = None
    """The extracted final answer (several joined by ``, ``), or None."""
    method: Method | None = None
    """What decided ``correct``: math_verify, string_match or judge; None when nothing was compared."""
    truncated: bool = False
    """No thinking closer in the response: scored wrong and flagged."""
    no_answer: bool = False
    """No final answer could be extracted."""
    timed_out: bool = False
    """Grading exceeded the per-answer timeout, and its retry's; scored wrong."""
    error: str | None = None
    """Why grading itself failed (bad input, unparseable gold), else None."""
    judge_verdict: str | None = None
    """CORRECT, WRONG or UNPARSEABLE when an LLM judge re-checked the answer."""
    details: dict[str, Any] = field(default_factory=dict)
    """Extraction route (boxed, bold, heading, answer-is, math-verify) and similar notes."""

    def to_json(self) -> dict[str, Any]:
        """A plain JSON object."""
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Grade:
        """Inverse of ``to_json``."""
        return cls(**value)


@dataclass(frozen=True)
class NeedsMathVerify:
    """What is left to do for an answer the cheap checks could not decide."""

    answers: tuple[str, ...]
    region: str
    how: str


def final_answers(found: tuple[str, ...], gold: str, multiple: bool) -> list[str]:
    """The answers to compare with ``gold``, picked from every answer found in the region, in order.

    A gold with one value: the last answer. A gold with several values (``multiple``, or a
    comma-separated list): the last answer alone when it holds at least as many values as the
    gold, else the values of every answer gathered in order, repeats dropped. ``multiple``
    returns them as separate values (compared as a set); otherwise as one comma list (compared as
    Math-Verify compares comma lists; it reads a bare list as a set).
    """
    if not found:
        return []
    if not (multiple or several_values(gold)):
        return [found[-1]]
    wanted = len(split_top_level(gold))
    last = split_top_level(found[-1])
    if len(last) >= wanted or len(found) == 1:
        values = last
    else:
        values, seen = [], set()
        for answer in found:
            for value in split_top_level(answer):
                if normalise(value) not in seen:
                    seen.add(normalise(value))
                    values.append(value)
    return values if multiple else [", ".join(values)]


def compare_cheaply(answers: list[str], gold: str, multiple: bool, region: str, how: str) -> Grade | NeedsMathVerify:
    """Exact match of normalised strings, and the count check of set answers; else what Math-Verify must do."""
    if answers and _string_match(gold, answers, multiple):
        return Grade(True, ", ".join(answers), "string_match", details={"how": how})
    if multiple and answers and len(answers) != len(split_top_level(gold)):
        # A set answer with the wrong number of elements is wrong, whatever Math-Verify's set relations say.
        return Grade(False, ", ".join(answers), "string_match", details={"how": how})
    return NeedsMathVerify(tuple(answers), region, how)


def quick_grade(
    response: object, gold: str, multiple: bool = False, closer: str = THINK_END
) -> Grade | NeedsMathVerify:
    """Every check that cannot hang: input checks, extraction and exact match.

    ``closer`` ends the thinking (``""``: the response has none and is never truncated).
    Returns the final Grade, or what Math-Verify still has to compare.
    """
    if not isinstance(response, str):
        return Grade(False, no_answer=True, error=f"response is {type(response).__name__}, not text")
    if not response.strip():
        return Grade(False, no_answer=True, truncated=bool(closer), error="response is empty")
    found = extract(response, closer)
    if found.truncated:
        return Grade(False, truncated=True, details={"how": "none"})
    return compare_cheaply(final_answers(found.answers, gold, multiple), gold, multiple, found.region, found.how)


def grade(
    response: object,
    gold: str,
    multiple: bool = False,
    config: GradingConfig | None = None,
    closer: str = THINK_END,
) -> Grade:
    """Grade ``response`` against ``gold``; ``multiple`` compares answer sets (OlympiadBench).

    The answer is searched after the last ``closer`` (``""``: the whole response, never
    truncated). On a main thread a Math-Verify timeout is retried once with
    ``config.retry_timeout_s``. Never raises for bad input: every outcome is a Grade with a reason.
    """
    first = quick_grade(response, gold, multiple, closer)
    if isinstance(first, Grade):
        return first
    config = config or GradingConfig()
    result = math_verify_grade(gold, first, multiple, config)
    if result.timed_out and config.retry_timeout_s > 0 and _on_main_thread():
        result = math_verify_grade(gold, first, multiple, config, config.retry_timeout_s)
        result = dataclasses.replace(result, details={**result.details, "retried": True})
    return result


def _string_match(gold: str, answers: list[str], multiple: bool) -> bool:
    if multiple:
        return {normalise(g) for g in split_top_level(gold)} == {normalise(a) for a in answers}
    return normalise(gold) == normalise(answers[-1]) or same_direction(gold, answers[-1])


def _latex(text: str) -> str:
    """Wrap bare LaTeX in ``$...$`` (Math-Verify parses bare LaTeX to nothing)."""
    return text if "$" in text or "\\(" in text or "\\[" in text else f"${text}$"


def _for_math_verify(answer: str) -> str:
    """Drop presentation Math-Verify trips on: math delimiters, a trailing unit, currency, e-notation."""
    text = strip_math_mode(answer)
    if "$" in text.replace("\\$", ""):
        text = f"${text}$"  # several math spans ("a$, $b" as OlympiadBench stores them): restore the outer pair
    text = strip_unit(text).replace("\\$", "").replace("\\!", "")
    return e_notation_to_latex(text)


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def math_verify_grade(
    gold: str, pending: NeedsMathVerify, multiple: bool, config: GradingConfig, timeout_s: float | None = None
) -> Grade:
    r"""Compare with Math-Verify (gold first: ``verify`` is not symmetric), limited to ``timeout_s``.

    ``timeout_s`` defaults to ``config.timeout_s``; Math-Verify's limits are whole seconds and
    work only on a main thread (elsewhere it runs without limits). Math-Verify lower-cases
    symbols, so an answer that differs from the gold only in the case of a symbol (``\Delta``
    for ``\delta``) is wrong whatever it says.
    """
    from math_verify import verify
    from math_verify.errors import TimeoutException

    answers, region, how = list(pending.answers), pending.region, pending.how
    # signal.alarm exists only on a main thread; elsewhere Math-Verify refuses to run with a timeout.
    limit = config.timeout_s if timeout_s is None else timeout_s
    timeout = max(1, int(limit)) if _on_main_thread() else None
    gold_text = gold if multiple else _for_math_verify(gold)
    try:
        gold_parsed = _parse(_latex(gold_text), timeout)
        if answers:
            predicted = _parse(_latex(", ".join(_for_math_verify(a) for a in answers)), timeout)
        else:
            how = "math-verify"
            predicted = _parse(region[-2000:], timeout)
    except TimeoutException:
        shown_so_far = ", ".join(answers) or None
        return Grade(
            False, shown_so_far, None, timed_out=True, error="math-verify timed out parsing", details={"how": how}
        )
    if not gold_parsed:
        return Grade(
            False,
            ", ".join(answers) or None,
            None,
            no_answer=not answers,
            error="gold answer does not parse",
            details={"how": how},
        )
    if not predicted:
        return Grade(False, ", ".join(answers) or None, None, no_answer=True, details={"how": how})
    shown = ", ".join(answers) if answers else str(predicted[-1])
    try:
        correct = verify(
            gold_parsed,
            predicted,
            float_rounding=config.float_rounding,
            timeout_seconds=timeout,
            raise_on_error=True,
        )
    except TimeoutException:
        return Grade(False, shown, "math_verify", timed_out=True, error="math-verify timed out", details={"how": how})
    except Exception as e:  # sympy can fail on odd input; that answer is wrong, the run goes on
        return Grade(False, shown, None, error=f"math-verify failed: {type(e).__name__}"[:200], details={"how": how})
    if correct and case_conflict(gold, shown):
        return Grade(False, shown, "math_verify", details={"how": how, "case_conflict": True})
    return Grade(bool(correct), shown, "math_verify", details={"how": how})


def _parse(text: str, timeout: int | None) -> list[Any]:
    """Math-Verify's ``parse``; a timeout raises ``TimeoutException`` (so it can be retried), other errors give []."""
    from math_verify import parse
    from math_verify.errors import TimeoutException

    try:
        return list(parse(text, parsing_timeout=timeout, raise_on_error=True))
    except TimeoutException:
        raise
    except Exception:  # what parse reports as "nothing found" when not raising
        return []


def _math_verify_version() -> str:
    from importlib.metadata import version

    return version("math-verify")
