"""``suite submit bind``: the ``run-eval`` label starts a run only for the verdict the maintainers reviewed.

``github_issue.json`` is an answer to ``ISSUE_QUERY`` in GitHub's GraphQL shape, written for these tests
(GitHub cannot be reached here): a refused verdict, the submitter's fix (a body edit), the bot's accepted
verdict, a forged marker in a user's comment, and the label added the next day. Each case below changes
one thing in it, or in what the Hub answers now, and names the reason the run must not start.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from suite._errors import SuiteError
from suite.submission import (
    ISSUE_QUERY,
    HubModel,
    Verdict,
    binding_markdown,
    binding_problems,
    check_submission,
    read_issue,
    read_issue_state,
)
from tests.submission.hub_standin import FIXTURES, ModelHubStandIn
from tests.submission.test_check import OLDER, inert, issue_body, markdown_parts, recorded_hub
from tests.test_cli import run_suite

ANSWER: dict[str, Any] = json.loads((Path(__file__).parent / "github_issue.json").read_text())
HEAD = FIXTURES["cases"]["good"]["model_info"]["sha"]


def issue(answer: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = answer["data"]["repository"]["issue"]
    return found


def verdict_now(answer: dict[str, Any], hub: Callable[[str, str | None], HubModel] = recorded_hub) -> Verdict:
    """The check of the body in ``answer``, done again against ``hub`` (what the workflow does at label time)."""
    submission = read_issue(issue(answer)["body"])
    verdict = check_submission(submission.model_id, submission.revision, hub)
    verdict.problems[:0] = submission.problems
    return verdict


def moved_branch(model_id: str, revision: str | None) -> HubModel:
    """The Hub after someone pushed to main: main now resolves to an older commit (any other commit will do)."""
    return recorded_hub(model_id, "older-release" if revision in (None, "main") else revision)


def edit_body(at: str) -> Callable[[dict[str, Any]], None]:
    def change(i: dict[str, Any]) -> None:
        i["lastEditedAt"] = at

    return change


def label_at(at: str) -> Callable[[dict[str, Any]], None]:
    def change(i: dict[str, Any]) -> None:
        i["timelineItems"]["nodes"] = [{"createdAt": at, "label": {"name": "run-eval"}}]

    return change


def bot_comment(index: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(i: dict[str, Any]) -> None:
        i["comments"]["nodes"][index] |= fields

    return change


def rename_model(to: str) -> Callable[[dict[str, Any]], None]:
    def change(i: dict[str, Any]) -> None:
        i["body"] = i["body"].replace("example-org/reasoner-1.5B", to)

    return change


def only_user_comments(i: dict[str, Any]) -> None:
    i["comments"]["nodes"] = [c for c in i["comments"]["nodes"] if c and c["author"]["__typename"] == "User"]


def refusal_last(i: dict[str, Any]) -> None:
    refused = copy.deepcopy(i["comments"]["nodes"][0]) | {"createdAt": "2025-03-01T12:00:00Z"}
    i["comments"]["nodes"].append(refused)
    i["lastEditedAt"] = "2025-03-01T11:59:00Z"


def nothing(i: dict[str, Any]) -> None:
    pass


CASES: list[tuple[str, Callable[[dict[str, Any]], None], Callable[[str, str | None], HubModel], str | None]] = [
    ("bound", nothing, recorded_hub, None),
    ("edited before the verdict", edit_body("2025-03-01T10:04:09Z"), recorded_hub, None),
    ("never edited", edit_body(""), recorded_hub, None),
    ("times in another zone", edit_body("2025-03-01T12:04:09+02:00"), recorded_hub, None),
    ("edited after the verdict", edit_body("2025-03-01T10:04:11Z"), recorded_hub, "the issue was edited at 2025-03-01"),
    ("edited in the verdict's second", edit_body("2025-03-01T10:04:10Z"), recorded_hub, "after the bot's latest"),
    ("edited after, other zone", edit_body("2025-03-01T05:04:11-05:00"), recorded_hub, "the issue was edited at"),
    ("labelled before the verdict", label_at("2025-03-01T10:04:00Z"), recorded_hub, "label was added before"),
    ("no bot verdict", only_user_comments, recorded_hub, "the bot has not commented a verdict"),
    ("latest verdict refused", refusal_last, recorded_hub, "is a refusal"),
    ("verdict comment edited", bot_comment(2, lastEditedAt="2025-03-01T12:00:00Z"), recorded_hub, "was edited at"),
    (
        "marker by a user named like the bot",
        bot_comment(2, author={"__typename": "User", "login": "github-actions"}),
        recorded_hub,
        "is a refusal",
    ),  # the bot's latest verdict is then the earlier refusal
    ("branch moved", nothing, moved_branch, f"the revision now resolves to commit `{OLDER}`, but"),
    ("other model now", rename_model("example-org/vision-reasoner"), recorded_hub, "the issue now names"),
    ("refused now", rename_model("example-org/custom-arch"), recorded_hub, "the submission is refused now: it needs"),
]


@pytest.mark.parametrize(("change", "hub", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_label_runs_only_the_reviewed_verdict(
    change: Callable[[dict[str, Any]], None], hub: Callable[[str, str | None], HubModel], reason: str | None
) -> None:
    answer = copy.deepcopy(ANSWER)
    change(issue(answer))
    if issue(answer)["lastEditedAt"] == "":
        issue(answer)["lastEditedAt"] = None
    state = read_issue_state(answer)
    now = verdict_now(answer, hub)
    problems = binding_problems(state, now)
    if reason is None:
        assert problems == [] and now.commit == HEAD
        assert (
            binding_markdown(problems, now)
            == f"**GPU run started** for `example-org/reasoner-1.5B` at commit `{HEAD}`.\n"
        )
    else:
        assert any(reason in p for p in problems), problems
        comment = binding_markdown(problems, now)
        rendered, _ = markdown_parts(comment)
        assert comment.startswith("**GPU run not started**") and inert(rendered)


def test_the_answer_is_read_as_github_shapes_it() -> None:
    state = read_issue_state(ANSWER)
    assert [v.accepted for v in state.verdicts] == [False, True]  # the user's forged marker is not a verdict
    assert state.verdicts[-1].model_id == "example-org/reasoner-1.5B" and state.verdicts[-1].commit == HEAD
    assert state.labelled_at is not None and state.labelled_at.isoformat() == "2025-03-02T09:30:00+00:00"
    assert read_issue(state.body).model_id == "example-org/reasoner-1.5B"


@pytest.mark.parametrize(
    "broken",
    [{}, {"data": {"repository": {"issue": None}}}, {"data": {"repository": {"issue": {"body": "x"}}}}],
)
def test_a_malformed_answer_is_one_sentence(broken: dict[str, Any]) -> None:
    with pytest.raises(SuiteError, match="not the shape ISSUE_QUERY asks for"):
        read_issue_state(broken)


def test_a_time_without_a_zone_is_refused() -> None:
    answer = copy.deepcopy(ANSWER)
    issue(answer)["lastEditedAt"] = "2025-03-01T10:04:11"
    with pytest.raises(SuiteError, match="has no timezone"):
        read_issue_state(answer)


def test_the_query_asks_for_every_field_the_reader_uses() -> None:
    for field in ("body", "lastEditedAt", "comments(last: 100)", "__typename login", "createdAt", "LABELED_EVENT"):
        assert field in ISSUE_QUERY


def test_cli_binds_against_the_hub_standin(tmp_path: Path) -> None:
    state = tmp_path / "issue-state.json"
    with ModelHubStandIn() as hub:
        env = os.environ | {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf")}
        state.write_text(json.dumps(ANSWER))
        args = (
            "submit",
            "bind",
            str(state),
            "--json",
            str(tmp_path / "bound.json"),
            "--markdown",
            str(tmp_path / "w.md"),
        )
        bound = run_suite(*args, env=env)
        assert bound.returncode == 0, bound.stdout + bound.stderr
        verdict = json.loads((tmp_path / "bound.json").read_text())
        assert (verdict["model_id"], verdict["commit"], verdict["accepted"]) == (
            "example-org/reasoner-1.5B",
            HEAD,
            True,
        )
        (tmp_path / "bound.json").unlink()
        edited = copy.deepcopy(ANSWER)
        issue(edited)["lastEditedAt"] = "2025-03-02T09:00:00Z"
        issue(edited)["body"] = issue_body("example-org/reasoner-1.5B", "unmerged-branch")
        state.write_text(json.dumps(edited))
        stopped = run_suite(*args, env=env)
    assert stopped.returncode == 1 and not (tmp_path / "bound.json").exists()
    why = (tmp_path / "w.md").read_text()
    assert why.startswith("**GPU run not started**") and "the issue was edited at 2025-03-02 09:00:00 UTC" in why
    assert "not on the history of the model's main branch" in why
