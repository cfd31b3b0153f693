"""Reading a submission issue (the body GitHub renders from ``.github/ISSUE_TEMPLATE/submission.yml``; pure).

GitHub renders an issue form as ``### <label>`` sections; an empty optional field reads
``_No response_`` and a ticked checkbox ``- [X] <label>``. The body is untrusted text: it is
only parsed here, never put into a shell command.
"""

from __future__ import annotations

from dataclasses import dataclass

MODEL_LABEL = "Model id"
REVISION_LABEL = "Revision"
CONTACT_LABEL = "Contact"
CONSENT_LABEL = "Before you submit"
CONSENTS = (
    "The model is public on the Hugging Face Hub.",
    "It runs without remote code (no trust_remote_code).",
    "Its license allows running it and publishing its outputs on this leaderboard.",
)
"""The checkboxes of the form, every one required."""
MAX_BODY = 20_000
"""Characters of an issue body that are read, at most."""


@dataclass(frozen=True)
class Submission:
    """The fields of a submission issue."""

    model_id: str
    revision: str | None
    contact: str
    problems: tuple[str, ...]
    """What the form itself lacks (missing id, unticked boxes)."""


def read_issue(body: str) -> Submission:
    """The submission in an issue body."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body[:MAX_BODY].replace("\r\n", "\n").split("\n"):
        if line.startswith("### "):
            current = sections.setdefault(line[4:].strip(), [])
        elif current is not None:
            current.append(line)

    def field(label: str) -> str:
        text = "\n".join(sections.get(label, [])).strip()
        return "" if text == "_No response_" else text

    problems = []
    model_id = field(MODEL_LABEL)
    if not model_id:
        problems.append(f"the issue has no '{MODEL_LABEL}'; use the submission form")
    ticked = {
        line.strip()[6:].strip() for line in sections.get(CONSENT_LABEL, []) if line.strip()[:6] in ("- [X] ", "- [x] ")
    }
    problems += [f"the box '{c}' is not ticked" for c in CONSENTS if c not in ticked]
    return Submission(model_id, field(REVISION_LABEL) or None, field(CONTACT_LABEL), tuple(problems))
