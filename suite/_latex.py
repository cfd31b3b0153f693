r"""Pure helpers for the LaTeX found in answers: ``\boxed{}`` contents with balanced braces."""

from __future__ import annotations

import re

_BOX_START = re.compile(r"\\(?:boxed|fbox)\s*\{")


def boxed_spans(text: str) -> list[tuple[int, str]]:
    r"""(start offset, content) of every complete ``\boxed{...}`` / ``\fbox{...}`` in order, braces balanced.

    A box nested inside another box is part of the outer content, not listed twice.
    An unclosed box is ignored.
    """
    found: list[tuple[int, str]] = []
    position = 0
    while True:
        m = _BOX_START.search(text, position)
        if m is None:
            return found
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth:
            position = m.end()  # unclosed: look for a later, complete box
            continue
        found.append((m.start(), text[m.end() : i - 1].strip()))
        position = i


def boxed_contents(text: str) -> list[str]:
    r"""Contents of every complete ``\boxed{...}`` / ``\fbox{...}`` in order (see ``boxed_spans``)."""
    return [content for _, content in boxed_spans(text)]


def last_boxed(text: str) -> str | None:
    r"""Content of the last complete ``\boxed{...}`` in ``text``, or None."""
    boxes = boxed_contents(text)
    return boxes[-1] if boxes else None
