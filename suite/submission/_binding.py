"""Binding the maintainers' ``run-eval`` label to the verdict they reviewed (pure: GitHub's answer in, reasons out).

The label is added minutes or days after the bot's verdict comment. In between, the submitter can edit
the issue body (another model, another revision) and anyone who can push to the model's branch can move
it. So when the label arrives the GPU job runs only if all of these hold:

- the latest verdict the bot (``github-actions``, a ``Bot``) commented is an acceptance, unedited;
- the issue body was not edited after that comment (GraphQL ``Issue.lastEditedAt``: the body's last
  edit; REST's ``updated_at`` also moves on every comment and label, so it cannot tell);
- the label was added after that comment (the latest ``run-eval`` ``LabeledEvent``), so a verdict
  posted while the maintainer was looking at an older one is never run on the older label;
- the submission, read again from the body and checked against the Hub now, is accepted for the same
  model id, and its revision resolves to the same commit as the comment says.

``ISSUE_QUERY`` is the one GraphQL query the workflow sends (``gh api graphql``); ``read_issue_state``
reads its answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from suite._errors import SuiteError
from suite.submission._check import VERDICT_MARKER, Verdict
from suite.submission._names import COMMIT, model_id_problem
from suite.submission._quote import code_span

RUN_LABEL = "run-eval"
"""The label that starts the GPU run."""
BOT_LOGINS = ("github-actions", "github-actions[bot]")
"""The bot that posts verdicts (GraphQL spells its login without ``[bot]``, REST with it); its type is ``Bot``."""
ISSUE_QUERY = """
query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    issue(number: $number) {
      body
      lastEditedAt
      comments(last: 100) {
        nodes { author { __typename login } body createdAt lastEditedAt }
      }
      timelineItems(itemTypes: [LABELED_EVENT], last: 100) {
        nodes { ... on LabeledEvent { createdAt label { name } } }
      }
    }
  }
}
""".strip()
"""The body, its last edit, the last 100 comments and label events: all the binding reads."""
_MARKER = re.compile(
    re.escape(VERDICT_MARKER) + r" (?:(?P<refused>refused)|accepted (?P<model>\S{3,193}) (?P<commit>[0-9a-f]{40})) -->"
)


@dataclass(frozen=True)
class VerdictComment:
    """One verdict the bot commented on the issue."""

    accepted: bool
    model_id: str | None
    """The accepted model id (None for a refusal)."""
    commit: str | None
    """The accepted commit sha (None for a refusal)."""
    created_at: datetime
    edited_at: datetime | None
    """When the comment was last edited (maintainers can edit any comment); None when never."""


@dataclass(frozen=True)
class IssueState:
    """What GitHub says about the submission issue when the label arrives."""

    body: str
    body_edited_at: datetime | None
    """``Issue.lastEditedAt``: the body's last edit; None when it was never edited."""
    verdicts: tuple[VerdictComment, ...]
    """The bot's verdict comments, oldest first."""
    labelled_at: datetime | None
    """When the ``run-eval`` label was last added."""


def read_issue_state(answer: Mapping[str, Any]) -> IssueState:
    """The issue's state from the answer to ``ISSUE_QUERY``; a malformed answer is a ``SuiteError``."""
    try:
        issue = answer["data"]["repository"]["issue"]
        verdicts = [_verdict(c) for c in issue["comments"]["nodes"] if c and _by_bot(c.get("author"))]
        labels = [
            _time(e["createdAt"])
            for e in issue["timelineItems"]["nodes"]
            if e and (e.get("label") or {}).get("name") == RUN_LABEL
        ]
        return IssueState(
            body=str(issue["body"] or ""),
            body_edited_at=_time(issue["lastEditedAt"]) if issue["lastEditedAt"] else None,
            verdicts=tuple(sorted((v for v in verdicts if v), key=lambda v: v.created_at)),
            labelled_at=max(labels, default=None),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise SuiteError(
            f"GitHub's answer about the issue is not the shape ISSUE_QUERY asks for ({type(e).__name__}: "
            f"{str(e)[:80]}); check the query in .github/workflows/submission.yml."
        ) from None


def binding_problems(state: IssueState, now: Verdict) -> list[str]:
    """Why the label must not start a run (empty when it may): ``now`` is the check of the body, done again."""
    if not state.verdicts:
        return ["the bot has not commented a verdict on this issue; edit the issue to run the check again"]
    last = state.verdicts[-1]
    when = f"the bot's latest verdict ({_shown_time(last.created_at)})"
    if not last.accepted:
        return [f"{when} is a refusal; fix the submission (edit the issue), then review the new verdict"]
    problems = []
    if last.edited_at is not None:
        problems.append(f"{when} was edited at {_shown_time(last.edited_at)}; only the bot's own words count")
    if state.body_edited_at is not None and state.body_edited_at >= last.created_at:
        problems.append(
            f"the issue was edited at {_shown_time(state.body_edited_at)}, after {when}; wait for the bot's new "
            f"verdict, review it, then remove and add the `{RUN_LABEL}` label"
        )
    if state.labelled_at is None or state.labelled_at <= last.created_at:
        problems.append(
            f"the `{RUN_LABEL}` label was added before {when}; review that verdict, then remove and add the label"
        )
    if not now.accepted:
        reasons = "; ".join(now.problems)
        problems.append(f"the submission is refused now: {reasons}")
    elif now.model_id != last.model_id:
        problems.append(
            f"the issue now names {code_span(now.model_id)}, but {when} is for {code_span(last.model_id or '')}"
        )
    elif now.commit != last.commit:
        problems.append(
            f"the revision now resolves to commit `{now.commit}`, but {when} reviewed `{last.commit}` (the branch "
            "moved); edit the issue (a full commit sha pins it) and review the new verdict"
        )
    return problems


def _by_bot(author: Any) -> bool:
    return isinstance(author, dict) and author.get("__typename") == "Bot" and author.get("login") in BOT_LOGINS


def _verdict(comment: Mapping[str, Any]) -> VerdictComment | None:
    """The verdict in a bot comment's last line, or None for a bot comment that is not a verdict."""
    lines = str(comment["body"] or "").strip().splitlines()
    match = _MARKER.fullmatch(lines[-1].strip()) if lines else None
    if match is None:
        return None
    model, commit = match.group("model"), match.group("commit")
    if not match.group("refused") and (model_id_problem(model) or not COMMIT.fullmatch(commit)):
        return None
    edited = comment.get("lastEditedAt")
    return VerdictComment(
        not match.group("refused"), model, commit, _time(comment["createdAt"]), _time(edited) if edited else None
    )


def _time(text: Any) -> datetime:
    """A GitHub ``DateTime`` (ISO 8601, ``Z`` for UTC); timezone-aware, so times compare correctly."""
    value = datetime.fromisoformat(str(text))
    if value.tzinfo is None:
        raise ValueError(f"the time {str(text)[:40]} has no timezone")
    return value


def _shown_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def binding_markdown(problems: list[str], now: Verdict) -> str:
    """The comment the workflow posts on the issue: why the GPU run did not start, or what it runs."""
    if problems:
        reasons = "\n".join(f"- {p}" for p in problems)
        return f"**GPU run not started**: the `{RUN_LABEL}` label is not bound to a reviewed verdict.\n\n{reasons}\n"
    return f"**GPU run started** for {code_span(now.model_id)} at commit `{now.commit}`.\n"
