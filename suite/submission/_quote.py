"""Quoting submitted text back (pure): in the bot's issue comments, on the terminal and in the verdict JSON.

A submission's text is hostile until proven otherwise. GitHub renders a comment as Markdown and turns bare
text into links (``https://...``, ``www.example.com``), mentions (``@user``, which notify people) and
cross-references (``owner/repo#1``, which post a back-link on the other issue). Inside a code span it does
none of these, so every piece of submitted text in a comment is quoted with ``code_span``.
"""

from __future__ import annotations

MAX_SHOWN = 60
"""Characters of submitted text quoted back in plain text (``shown``), at most."""
MAX_QUOTED = 200
"""Characters of submitted text quoted in a code span, at most: a whole Hub id (193 at most) fits."""


def shown(text: str) -> str:
    """Untrusted input made inert in plain text: printable ASCII only, no backticks, brackets or ``@``."""
    kept = "".join(c if c.isascii() and c.isprintable() and c not in "`\\<>[]()@" else "?" for c in text[:MAX_SHOWN])
    return kept + ("..." if len(text) > MAX_SHOWN else "")


def code_span(text: str) -> str:
    """``text`` as one Markdown code span that nothing can close early: nothing in it links, mentions or refers.

    Backticks become ``'`` (a backtick would end the span and let the rest render as Markdown), anything
    that is not printable ASCII (newlines, which would end the paragraph, control characters, look-alike
    Unicode) becomes ``?``, and the text is cut at ``MAX_QUOTED`` characters. Empty text is ``(empty)``.
    """
    if not text:
        return "(empty)"
    kept = "".join("'" if c == "`" else c if c.isascii() and c.isprintable() else "?" for c in text[:MAX_QUOTED]) + (
        "..." if len(text) > MAX_QUOTED else ""
    )
    return f"`{kept}`"
