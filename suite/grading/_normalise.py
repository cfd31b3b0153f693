r"""Pure string normalisation of final answers, the way a careful human grader reads them.

Used for the exact-match check that runs before Math-Verify, and to strip
presentation (``\text{}``, a known unit after a number, ``^\circ``, ``\%``,
thousands separators) that must not decide correctness.

Case: LaTeX is case-sensitive (``\Delta`` is not ``\delta``, ``X`` is not ``x``),
so ``normalise`` keeps case, except for answers that are plain words
(``Yes``/``yes``, ``\text{Monday}``/``monday``, ``North``): there case is
presentation. A compass direction in words (the gold) and its abbreviation (``east``/``E``)
are the same answer (``same_direction``). ``case_conflict`` tells when two answers differ only in the case of
their symbols, which Math-Verify (it lower-cases symbols) cannot see.
"""

from __future__ import annotations

import re

_NUMBER = r"-?\d+(?:\.\d+)?"
_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_SPACING = re.compile(r"\\[,;:! ]|\\(?:left|right|displaystyle)\b|~")
_VARIABLE = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*=\s*(?!.*=)")
_E_NOTATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)[eE]([+-]?\d+)\s*$")

# Units a final answer may carry after its number. Curated: a word that is not a unit ("3 x",
# "2 and 3", "5 apples") is part of the answer and must reach the comparison. One-letter units
# (m, s, g, L, h) count only inside \text{}/\mathrm{}, where they cannot be a variable.
_UNIT_WORDS = (
    # length
    "mm|millimet(?:er|re)s?|cm|centimet(?:er|re)s?|km|kilomet(?:er|re)s?|met(?:er|re)s?|"
    "in|inch(?:es)?|ft|foot|feet|yds?|yards?|miles?|"
    # area and volume written as words ("square units", "cubic feet" are built below)
    "units?|acres?|hectares?|"
    "liters?|litres?|ml|millilit(?:er|re)s?|gallons?|gal|quarts?|pints?|cups?|"
    # mass
    "grams?|kg|kilograms?|mg|milligrams?|lbs?|pounds?|ounces?|oz|tons?|tonnes?|"
    # time
    "sec|secs|seconds?|mins?|minutes?|hrs?|hours?|days?|weeks?|months?|years?|"
    # angle
    "deg|degrees?|radians?|rad|"
    # money
    "dollars?|cents?|euros?|"
    # rates
    "mph|km/h|kmh|m/s|ft/s|miles\\s+per\\s+hour|kilomet(?:er|re)s\\s+per\\s+hour|met(?:er|re)s\\s+per\\s+second|"
    "feet\\s+per\\s+second|words\\s+per\\s+minute"
)
_SQUARE = r"(?:(?:square|sq\.?|cubic|cu\.?)\s+)?"
_POWER = r"(?:\s*\^\s*\{?[23]\}?)?"
_ONE_LETTER = "m|s|g|h|l|L|K"
_WRAPPED_UNIT = rf"\\(?:text|mathrm|mbox|textrm|operatorname)\s*\{{\s*{_SQUARE}(?:{_UNIT_WORDS}|{_ONE_LETTER})\s*\}}"
_BARE_UNIT = rf"{_SQUARE}(?:{_UNIT_WORDS})(?![A-Za-z])"
_TRAILING_UNIT = re.compile(
    rf"^\s*({_NUMBER}|\\[dt]?frac\{{[^{{}}]+\}}\{{[^{{}}]+\}}|\\sqrt\{{\d+\}}|\d*\\sqrt\{{\d+\}}|\d*\\pi)"
    rf"\s*(?:~|\\,|\\ |\\;|\\!)*\s*(?:{_WRAPPED_UNIT}|{_BARE_UNIT}){_POWER}\s*\.?\s*$",
    re.IGNORECASE,
)
_PLAIN_WORDS = re.compile(r"[A-Za-z][A-Za-z '\-]*[A-Za-z]|\(?[A-Za-z]{2,}\)?")
_GREEK = (
    "alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu|xi|omicron|pi|"
    "varpi|rho|varrho|sigma|varsigma|tau|upsilon|phi|varphi|chi|psi|omega"
)
_SYMBOL = re.compile(rf"\\((?i:{_GREEK}))(?![A-Za-z])|\\[A-Za-z]+|([A-Za-z])")
_TEXT_SPAN = re.compile(r"\\(?:text|textbf|textrm|mathrm|mbox|operatorname)\s*\{[^{}]*\}")


def e_notation_to_latex(answer: str) -> str:
    r"""``4.5e33`` -> ``4.5\times 10^{33}``: in LaTeX, ``e`` would parse as Euler's number."""
    m = _E_NOTATION.match(answer)
    return f"{m.group(1)}\\times 10^{{{int(m.group(2))}}}" if m else answer


def strip_unit(answer: str) -> str:
    r"""A number followed by a known unit -> the number; anything else is returned unchanged.

    ``1.6 \text{ cm}`` -> ``1.6``; ``5 meters`` -> ``5``; ``12\,\mathrm{m}^2`` -> ``12``;
    ``65 square units`` -> ``65``. ``3 x``, ``2 and 3``, ``5 apples`` and ``12 m`` (a bare
    one-letter word could be a variable) stay as they are.
    """
    m = _TRAILING_UNIT.match(answer)
    return m.group(1) if m else answer


def strip_math_mode(answer: str) -> str:
    r"""Remove ``$``, ``\(``/``\)`` and ``\[``/``\]`` delimiters."""
    answer = answer.strip()
    for opening, closing in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if answer.startswith(opening) and answer.endswith(closing) and len(answer) > len(opening) + len(closing) - 1:
            return answer[len(opening) : -len(closing)].strip()
    return answer


def is_plain_words(text: str) -> bool:
    """True when ``text`` is only words (letters, spaces, ``'``, ``-``), at least one of two or more letters.

    Such an answer (``Yes``, ``Monday``, ``north east``) is compared without case. A single
    letter (``B``, ``x``) is not plain words: it may be a variable or a point, where case matters.
    """
    return _PLAIN_WORDS.fullmatch(text.strip()) is not None and re.search(r"[A-Za-z]{2}", text) is not None


def normalise(answer: str) -> str:
    """A canonical string form; two answers with equal forms are the same answer.

    Case is kept (LaTeX commands and symbols are case-sensitive) unless the answer is plain
    words (see ``is_plain_words``), which are lower-cased.
    """
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
    if is_plain_words(s):
        s = s.lower()
    s = re.sub(r"\s+", "", s)
    return s[1:] if s.startswith("+") and len(s) > 1 else s


def _symbols(answer: str) -> set[str]:
    r"""Case-sensitive symbols of an answer: Greek letter commands and Latin letters outside text wrappers."""
    found: set[str] = set()
    for m in _SYMBOL.finditer(_TEXT_SPAN.sub(" ", answer)):
        if m.group(1):
            found.add(m.group(1))
        elif m.group(2):
            found.add(m.group(2))
    return found


def case_conflict(gold: str, answer: str) -> bool:
    r"""True when the two answers use the same symbols up to case, but not the same symbols.

    ``\Delta`` vs ``\delta``, ``X`` vs ``x``: Math-Verify lower-cases symbols and would call
    them equal. Plain-word answers (``Yes`` vs ``yes``) are never a conflict.
    """
    if is_plain_words(strip_math_mode(_TEXT_WRAPPER.sub(r"\1", gold))) and is_plain_words(
        strip_math_mode(_TEXT_WRAPPER.sub(r"\1", answer))
    ):
        return False
    ours, theirs = _symbols(gold), _symbols(answer)
    return ours != theirs and {s.lower() for s in ours} == {s.lower() for s in theirs}


_COMPASS = {"n": "north", "e": "east", "s": "south", "w": "west"}
_COMPASS |= {a + b: _COMPASS[a] + _COMPASS[b] for a in "ns" for b in "ew"}


def same_direction(gold: str, answer: str) -> bool:
    """True when ``gold`` is a compass direction in words and ``answer`` its abbreviation (``east`` / ``E``).

    Only this way round: a one-letter gold (``e``, ``n``) is never read as a direction.
    """
    word = normalise(gold).replace("-", "")
    return word in _COMPASS.values() and _COMPASS.get(normalise(answer).lower()) == word


def several_values(gold: str) -> bool:
    """True when ``gold`` is a comma-separated list of several values (not ``1,000``, not a tuple)."""
    number = re.sub(r"\\[!$]|\s", "", strip_math_mode(gold)).replace("{,}", ",")
    if _THOUSANDS.match(number):
        return False
    return len(split_top_level(gold)) > 1


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
