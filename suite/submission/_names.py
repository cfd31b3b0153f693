"""What a submitted model id and revision may look like (pure).

Hugging Face repository ids are ``owner/name``: ASCII letters, digits, ``-``, ``_`` and ``.``, at most
96 characters each, not starting or ending with ``-`` or ``.``, without ``--`` or ``..``. Anything else
(shell metacharacters, path traversal, look-alike Unicode letters, whitespace) is refused before any
network call, and the text is only ever quoted back inside a code span.

A revision is a full 40-character commit sha or a branch name. Git ref paths (``refs/pr/7``, a pull
request anyone can open on any Hub model, ``refs/heads/main``) and abbreviated shas are refused; whatever
a branch resolves to must then be a commit on the model's main branch (``suite.submission._check``).
"""

from __future__ import annotations

import re

from suite.submission._quote import code_span

_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")
_BRANCH = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,98}[A-Za-z0-9])?")
_HEX = re.compile(r"[0-9a-fA-F]{7,64}")
COMMIT = re.compile(r"[0-9a-f]{40}")


def model_id_problem(model_id: str) -> str | None:
    """Why ``model_id`` is not a Hugging Face ``owner/name`` id, or None when it is one."""
    if len(model_id) > 2 * 96 + 1:
        return f"the model id is {len(model_id)} characters long; a Hugging Face id is at most 193"
    if not model_id.isascii():
        return f"the model id {code_span(model_id)} has non-ASCII characters (look-alike letters are refused)"
    parts = model_id.split("/")
    if len(parts) != 2:
        return f"the model id {code_span(model_id)} must be exactly owner/name (one slash)"
    for part in parts:
        if not _PART.fullmatch(part) or "--" in part or ".." in part:
            return (
                f"the model id {code_span(model_id)} has a part {code_span(part)} that is not letters, digits, '-', "
                "'_' and '.' (1-96 characters, no leading or trailing '-' or '.', no '--' or '..')"
            )
    return None


def revision_problem(revision: str) -> str | None:
    """Why ``revision`` is not a full commit sha or a branch name, or None when it is one."""
    if COMMIT.fullmatch(revision):
        return None
    if revision.lower().split("/")[0] == "refs":
        return (
            f"the revision {code_span(revision)} is a git ref path; Hub pull requests (refs/pr/N) and other refs "
            "cannot be submitted: give a branch name or a full commit sha on the model's main branch"
        )
    if _HEX.fullmatch(revision):
        return (
            f"the revision {code_span(revision)} looks like an abbreviated or upper-case commit sha; give the full "
            "40-character lower-case sha"
        )
    components = revision.split("/")
    if (
        not revision.isascii()
        or not _BRANCH.fullmatch(revision)
        or ".." in revision
        or any(not c or c.startswith(".") or c.endswith(".lock") for c in components)
    ):
        return (
            f"the revision {code_span(revision)} is not a full 40-character commit sha or a branch name "
            "(letters, digits, '-', '_', '.', '/'; at most 100 characters)"
        )
    return None
