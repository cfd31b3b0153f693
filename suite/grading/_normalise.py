r"""Pure string normalisation of final answers, the way a careful human grader reads them.

Used for the exact-match check that runs before Math-Verify, and to strip
presentation (``\text{}``, units after a number, ``^\circ``, ``\%``, thousands
separators) that must not decide correctness.
"""

from __future__ import annotations

import re

_NUMBER = r"-?\d+(?:\.\d+)?"
_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_TRAILING_UNIT = re.compile(
    rf"^\s*({_NUMBER}|\\[dt]?frac\{{\d+\}}\{{\d+\}})\s*(?:~|\\,|\\ |\\;)?\s*"
    r"(?:\\(?:text|mathrm|mbox|textrm)\s*\{\s*[A-Za-z][^{}]*\}|[A-Za-z]{2,}(?:\s+[A-Za-z]+)*)\s*\.?\s*$"
)
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_SPACING = re.compile(r"\\[,;:! ]|\\(?:left|right|displaystyle)\b|~")
_VARIABLE = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*=\s*(?!.*=)")


_E_NOTATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)[eE]([+-]?\d+)\s*$")


def e_notation_to_latex(answer: str) -> str:
    r"""``4.5e33`` -> ``4.5\times 10^{33}``: in LaTeX, ``e`` would parse as Euler's number."""
    m = _E_NOTATION.match(answer)
    return f"{m.group(1)}\\times 10^{{{int(m.group(2))}}}" if m else answer


def strip_unit(answer: str) -> str:
    r"""``1.6 \text{ cm}`` -> ``1.6``; ``5 meters`` -> ``5``. Anything else is returned unchanged."""
    m = _TRAILING_UNIT.match(answer)
    return m.group(1) if m else answer


def strip_math_mode(answer: str) -> str:
    r"""Remove ``$``, ``\(``/``\)`` and ``\[``/``\]`` delimiters."""
    answer = answer.strip()
    for opening, closing in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if answer.startswith(opening) and answer.endswith(closing) and len(answer) > len(opening) + len(closing) - 1:
            return answer[len(opening) : -len(closing)].strip()
    return answer


def normalise(answer: str) -> str:
    """A canonical string form; two answers with equal forms are the same answer."""
    s = strip_unit(strip_math_mode(answer.replace("$", " ").strip()))
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    s = _SPACING.sub("", s)
    while True:
        unwrapped = _TEXT_WRAPPER.sub(r"\1", s)
        if unwrapped == s:
            break
        s = unwrapped
    s = re.sub(r"\^\s*\{?\\circ\}?|\\circ|°|\\%|%|\\\$", "", s)
    s = s.replace("{,}", ",").strip().rstrip(".").strip()
    if _THOUSANDS.match(s.replace(" ", "")):
        s = s.replace(",", "")
    s = _VARIABLE.sub("", s)
    s = re.sub(r"\s+", "", s).lower()
    return s[1:] if s.startswith("+") and len(s) > 1 else s


def split_top_level(answer: str) -> list[str]:
    """Split a list answer on commas (and ``$,$``) outside brackets: ``(1,2), 3`` -> ``["(1,2)", "3"]``."""
    text = strip_math_mode(answer.replace("$,$", ",").replace("$, $", ","))
    text = text.replace("$", "")
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]
