"""What a submitted model id and revision may look like (pure).

Hugging Face repository ids are ``owner/name``: ASCII letters, digits, ``-``, ``_`` and ``.``, at most
96 characters each, not starting or ending with ``-`` or ``.``, without ``--`` or ``..``. Anything else
(shell metacharacters, path traversal, look-alike Unicode letters, whitespace) is refused before any
network call, and the text is never echoed back raw.
"""

from __future__ import annotations

import re

_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")
_REVISION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,98}[A-Za-z0-9])?")
COMMIT = re.compile(r"[0-9a-f]{40}")
MAX_SHOWN = 60
"""Characters of refused input quoted back, at most."""


def shown(text: str) -> str:
    """Untrusted input made safe to quote in a sentence or a Markdown comment: printable ASCII, no backticks."""
    kept = "".join(c if c.isascii() and c.isprintable() and c not in "`\\<>[]()@" else "?" for c in text[:MAX_SHOWN])
    return kept + ("..." if len(text) > MAX_SHOWN else "")


def model_id_problem(model_id: str) -> str | None:
    """Why ``model_id`` is not a Hugging Face ``owner/name`` id, or None when it is one."""
    if len(model_id) > 2 * 96 + 1:
        return f"the model id is {len(model_id)} characters long; a Hugging Face id is at most 193"
    if not model_id.isascii():
        return f"the model id {shown(model_id)} has non-ASCII characters (look-alike letters are refused)"
    parts = model_id.split("/")
    if len(parts) != 2:
        return f"the model id {shown(model_id)} must be exactly owner/name (one slash)"
    for part in parts:
        if not _PART.fullmatch(part) or "--" in part or ".." in part:
            return (
                f"the model id {shown(model_id)} has a part {shown(part)} that is not letters, digits, '-', '_' "
                "and '.' (1-96 characters, no leading or trailing '-' or '.', no '--' or '..')"
            )
    return None


def revision_problem(revision: str) -> str | None:
    """Why ``revision`` is not a commit sha, branch or tag name, or None when it is one."""
    if COMMIT.fullmatch(revision):
        return None
    if not revision.isascii() or not _REVISION.fullmatch(revision) or ".." in revision or "//" in revision:
        return (
            f"the revision {shown(revision)} is not a 40-character commit sha or a branch or tag name "
            "(letters, digits, '-', '_', '.', '/'; at most 100 characters)"
        )
    return None
