"""Pure normalisation of gold answers and source rows into release questions."""

from __future__ import annotations

import re


def strip_leading_zeros(answer: str) -> str:
    """AIME answers are integers 0-999 written with leading zeros in some sources (``"025"``)."""
    answer = answer.strip()
    return str(int(answer)) if answer.isdigit() else answer


def olympiad_answer(final_answer: str) -> str:
    """OlympiadBench's ``final_answer[0]`` without a trailing full stop and one ``$...$`` around the whole.

    Several spans (``$f(n)=n$, $g(n)=1$``, ``$69$,$84$``) keep every dollar: stripping the outer two would
    leave ``f(n)=n$, $g(n)=1``. The same function serves the pinned, Hub and mirror readers.
    """
    answer = final_answer.strip()
    if answer.endswith("."):
        answer = answer[:-1].rstrip()
    if len(answer) > 1 and answer[0] == answer[-1] == "$" and "$" not in answer[1:-1]:
        answer = answer[1:-1].strip()
    return answer


def integer_string(answer: object) -> str:
    """Answers stored as floats (``27.0``) become integer strings (``27``)."""
    if isinstance(answer, float) and answer.is_integer():
        return str(int(answer))
    return str(answer).strip()


_AOPS_URL = re.compile(r"(\d{4})_AIME_(I{1,2})_Problems/Problem_(\d+)")


def aime_id_from_url(url: str) -> str | None:
    """``.../2024_AIME_I_Problems/Problem_1`` -> ``2024-I-1``."""
    m = _AOPS_URL.search(url)
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None
