"""Grade one response against a gold answer: extraction, exact match, then Math-Verify.

``grade`` runs Math-Verify in the calling process. Math-Verify's own timeouts use
``signal.alarm``, which works only on a main thread; off it they are skipped and
a pathological input can stall. Runs therefore use ``GraderPool``, which calls
``grade`` on the main thread of killable worker processes.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from suite.grading._extract import extract
from suite.grading._normalise import e_notation_to_latex, normalise, split_top_level, strip_math_mode, strip_unit

Method = Literal["math_verify", "string_match", "judge"]


@dataclass(frozen=True)
class GradingConfig:
    """The knobs that decide grades; recorded in every result."""

    timeout_s: float = 5.0
    """Hard limit per answer; past it the answer is graded wrong with ``timed_out``."""
    float_rounding: int = 6
    """Math-Verify's float rounding."""

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
    """No ``</think>`` in the response: scored wrong and flagged."""
    no_answer: bool = False
    """No final answer could be extracted."""
    timed_out: bool = False
    """Grading exceeded the per-answer timeout; scored wrong."""
    error: str | None = None
    """Why grading itself failed (bad input, unparseable gold), else None."""
    judge_verdict: str | None = None
    """CORRECT, WRONG or UNPARSEABLE when an LLM judge re-checked the answer."""
    details: dict[str, Any] = field(default_factory=dict)
    """Extraction route (boxed, bold, answer-is, math-verify) and similar notes."""

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


def quick_grade(response: object, gold: str, multiple: bool = False) -> Grade | NeedsMathVerify:
    """Every check that cannot hang: input checks, extraction and exact match.

    Returns the final Grade, or what Math-Verify still has to compare.
    """
    if not isinstance(response, str):
        return Grade(False, no_answer=True, error=f"response is {type(response).__name__}, not text")
    if not response.strip():
        return Grade(False, no_answer=True, truncated=True, error="response is empty")
    found = extract(response)
    if found.truncated:
        return Grade(False, truncated=True, details={"how": "none"})
    answers = list(found.answers)
    if multiple and len(answers) == 1:
        answers = split_top_level(answers[0])
    elif not multiple and answers:
        answers = answers[-1:]
    if answers and _string_match(gold, answers, multiple):
        return Grade(True, ", ".join(answers), "string_match", details={"how": found.how})
    if multiple and answers and len(answers) != len(split_top_level(gold)):
        # A set answer with the wrong number of elements is wrong, whatever Math-Verify's set relations say.
        return Grade(False, ", ".join(answers), "string_match", details={"how": found.how})
    return NeedsMathVerify(tuple(answers), found.region, found.how)


def grade(response: object, gold: str, multiple: bool = False, config: GradingConfig | None = None) -> Grade:
    """Grade ``response`` against ``gold``; ``multiple`` compares answer sets (OlympiadBench).

    Never raises for bad input: every outcome is a Grade with a reason.
    """
    first = quick_grade(response, gold, multiple)
    if isinstance(first, Grade):
        return first
    return math_verify_grade(gold, first, multiple, config or GradingConfig())


def _string_match(gold: str, answers: list[str], multiple: bool) -> bool:
    if multiple:
        return {normalise(g) for g in split_top_level(gold)} == {normalise(a) for a in answers}
    return normalise(gold) == normalise(answers[-1])


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


def math_verify_grade(gold: str, pending: NeedsMathVerify, multiple: bool, config: GradingConfig) -> Grade:
    """Compare with Math-Verify (gold first: ``verify`` is not symmetric)."""
    from math_verify import parse, verify
    from math_verify.errors import TimeoutException

    answers, region, how = list(pending.answers), pending.region, pending.how
    # signal.alarm exists only on a main thread; elsewhere Math-Verify refuses to run with a timeout.
    on_main = threading.current_thread() is threading.main_thread()
    timeout = max(1, int(config.timeout_s)) if on_main else None
    gold_text = gold if multiple else _for_math_verify(gold)
    gold_parsed = parse(_latex(gold_text), parsing_timeout=timeout)
    if not gold_parsed:
        return Grade(
            False,
            ", ".join(answers) or None,
            None,
            no_answer=not answers,
            error="gold answer does not parse",
            details={"how": how},
        )
    if answers:
        text = ", ".join(_for_math_verify(a) for a in answers)
        predicted = parse(_latex(text), parsing_timeout=timeout)
    else:
        how = "math-verify"
        predicted = parse(region[-2000:], parsing_timeout=timeout)
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
    return Grade(bool(correct), shown, "math_verify", details={"how": how})


def _math_verify_version() -> str:
    from importlib.metadata import version

    return version("math-verify")
