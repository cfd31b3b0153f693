"""The GitHub workflows, the composite action and the issue form: linters and the security rules, in CI."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))


def tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([shutil.which(name) or name, *args], cwd=ROOT, capture_output=True, text=True)


def test_actionlint_is_clean() -> None:
    lint = tool("actionlint")  # runs shellcheck on every run: script too
    assert lint.returncode == 0 and lint.stdout == "", lint.stdout + lint.stderr


def test_zizmor_finds_nothing() -> None:
    audit = tool("zizmor", "--offline", "--min-severity", "low", ".github/")
    assert audit.returncode == 0 and "No findings to report" in audit.stdout, audit.stdout + audit.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-workflows", WORKFLOWS),
        ("vendor.github-actions", ACTIONS),
        ("vendor.github-issue-forms", sorted((GITHUB / "ISSUE_TEMPLATE").glob("*.yml"))),
    ],
)
def test_files_match_githubs_schemas(schema: str, files: list[Path]) -> None:
    assert files
    check = tool("check-jsonschema", "--builtin-schema", schema, *map(str, files))
    assert check.returncode == 0, check.stdout + check.stderr


def steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    jobs = document.get("jobs", {}).values()
    return [s for job in jobs for s in job.get("steps", [])] + list(document.get("runs", {}).get("steps", []))


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_security_rules(path: Path) -> None:
    text = path.read_text()
    document = yaml.safe_load(text)
    assert "pull_request_target" not in text and "workflow_run" not in text
    assert "trust-remote-code" not in text and "trust_remote_code" not in text
    for step in steps(document):
        if "uses" in step:  # every action pinned to a full commit sha
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        if "run" in step:  # untrusted text reaches scripts through env only
            assert "${{" not in step["run"], f"{path.name}: expression inside run: {step['run'][:80]}"
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False
    if path in WORKFLOWS:
        on = document.get(True, document.get("on"))  # YAML reads the key `on` as True
        assert document.get("permissions") in ({}, {"contents": "read"}), "least privilege by default"
        for name, job in document["jobs"].items():
            granted = job.get("permissions", document["permissions"])
            writes = {k for k, v in granted.items() if v == "write"}
            assert writes <= {"issues", "contents", "pull-requests", "pages", "id-token", "packages"}, name
            if "pull_request" in on:
                assert not writes, f"{name}: a pull_request job must not write"


def test_the_gpu_job_is_gated_and_runs_no_untrusted_code_with_write_access() -> None:
    submission = yaml.safe_load((GITHUB / "workflows" / "submission.yml").read_text())
    jobs = submission["jobs"]
    assert "run-eval" in jobs["eval"]["if"] and "self-hosted" in jobs["eval"]["runs-on"]
    assert jobs["eval"]["permissions"] == {"contents": "read"}
    assert jobs["check"]["permissions"] == {"contents": "read", "issues": "write"}
    propose = "\n".join(s.get("run", "") for s in jobs["propose"]["steps"])
    assert "suite validate" in propose and "suite eval" not in propose and "container" not in propose


def test_the_composite_action_runs_this_suite_versions_image() -> None:
    from suite.container import IMAGE

    action = yaml.safe_load((GITHUB / "actions" / "eval" / "action.yml").read_text())
    assert action["inputs"]["image"]["default"] == IMAGE


def test_the_leaderboard_and_the_image_pull_the_release_by_ref_and_sha256() -> None:
    leaderboard = yaml.safe_load((GITHUB / "workflows" / "leaderboard.yml").read_text())
    build = leaderboard["jobs"]["build"]["steps"]
    scripts = "\n".join(s.get("run", "") for s in build)
    assert "release build" not in scripts  # never rebuilt from moving sources
    pull = next(s for s in build if "suite release pull" in s.get("run", ""))
    assert pull["env"] == {
        "SUITE_RELEASE_REF": "${{ vars.SUITE_RELEASE_REF }}",
        "SUITE_RELEASE_SHA256": "${{ vars.SUITE_RELEASE_SHA256 }}",
    }
    assert 'suite release pull "$SUITE_RELEASE_REF" --sha256 "$SUITE_RELEASE_SHA256" --out release' in pull["run"]
    assert build.index(pull) < next(i for i, s in enumerate(build) if "suite leaderboard build" in s.get("run", ""))
    image = yaml.safe_load((GITHUB / "workflows" / "release.yml").read_text())
    push = next(s for s in image["jobs"]["image"]["steps"] if s.get("uses", "").startswith("docker/build-push-action"))
    build_args = push["with"]["build-args"].splitlines()
    assert "SUITE_RELEASE_REF=${{ vars.SUITE_RELEASE_REF }}" in build_args
    assert "SUITE_RELEASE_SHA256=${{ vars.SUITE_RELEASE_SHA256 }}" in build_args
