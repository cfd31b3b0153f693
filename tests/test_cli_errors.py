"""Every error a user can cause is one line on stderr, ``error: ...``, a non-zero exit and never a traceback.

Each bad invocation runs the real CLI in a subprocess and fails before a model is loaded. Argument errors
keep argparse's exit status 2 but not its multi-line usage block: one line naming the flag, the value and
the allowed range, then where the help is. Ctrl-C of a real run shows only the resume message.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "1"}

# The CLI as run on an install without one optional dependency: importing it fails as if it were absent.
WITHOUT = "import sys; sys.modules[sys.argv.pop(1)] = None; from suite.cli import main; sys.exit(main(sys.argv[1:]))"


@dataclass(frozen=True)
class Case:
    """One bad invocation and the single line it must print."""

    args: tuple[str, ...]
    """CLI arguments; {model}, {release} and {tmp} are filled in."""
    line: str
    """The exact stderr line, or (with ``exact=False``) a part of it."""
    exact: bool = True
    without: str | None = None
    """A module made unimportable for this run (an install without that extra)."""


def _arg(command: str, flag: str, value: str, allowed: str) -> Case:
    return Case(
        (*command.split(), *_required(command), flag, value),
        f"error: suite {command}: {flag} {value} is not {allowed}; see suite {command} --help.",
    )


def _required(command: str) -> tuple[str, ...]:
    return {
        "eval": ("M", "--out", "{tmp}/o"),
        "guides generate": ("M", "--base-url", "http://127.0.0.1:9/v1", "--out", "{tmp}/o"),
        "release subsets": ("--release", "{release}", "--out", "{tmp}/o"),
        "submit check": ("owner/name",),
        "leaderboard build": (),
        "demo": (),
        "tiny-reasoner": (),
    }[command]


WHOLE = "a whole number of at least 1"
OPENAI = ("--backend", "openai", "--base-url", "http://127.0.0.1:9/v1")
ARGUMENTS = [
    _arg("eval", "--limit", "-2", WHOLE),
    _arg("eval", "--limit", "0", WHOLE),
    _arg("eval", "--limit", "2.5", WHOLE),
    _arg("eval", "--max-tokens", "0", WHOLE),
    _arg("eval", "--max-tokens", "lots", WHOLE),
    _arg("eval", "--samples", "0", WHOLE),
    _arg("eval", "--temperature", "-1", "a number of at least 0"),
    _arg("eval", "--temperature", "nan", "a number of at least 0"),
    _arg("eval", "--top-p", "0", "a number within (0, 1]"),
    _arg("eval", "--top-p", "1.5", "a number within (0, 1]"),
    _arg("eval", "--individual-subset-size", "0", WHOLE),
    _arg("eval", "--recoverability-continuations", "0", WHOLE),
    _arg("eval", "--distractor-fraction", "0", "a number within (0, 1]"),
    _arg("eval", "--tensor-parallel-size", "0", WHOLE),
    _arg("eval", "--pipeline-parallel-size", "-1", WHOLE),
    _arg("eval", "--grading-timeout-s", "0", "a number above 0"),
    _arg("eval", "--grading-timeout-s", "inf", "a number above 0"),
    _arg("eval", "--grading-workers", "0", WHOLE),
    _arg("eval", "--seed", "-1", "a whole number of at least 0"),
    _arg("guides generate", "--concurrency", "0", WHOLE),
    _arg("guides generate", "--max-attempts", "0", WHOLE),
    _arg("guides generate", "--samples", "-8", WHOLE),
    _arg("release subsets", "--size", "0", WHOLE),
    _arg("leaderboard build", "--jobs", "0", WHOLE),
    _arg("leaderboard build", "--wait", "-1", "a number of at least 0"),
    _arg("submit check", "--max-params-b", "0", "a number above 0"),
    _arg("submit check", "--min-context", "0", WHOLE),
    _arg("demo", "--questions", "0", WHOLE),
    _arg("tiny-reasoner", "--seed", "-3", "a whole number of at least 0"),
    _arg("eval", "--batch-size", "0", WHOLE),
    Case(
        ("eval", "M", "--out", "{tmp}/o", "--dtype", "float8"),
        "error: suite eval: --dtype invalid choice: 'float8' (choose from 'auto', 'float32', 'bfloat16', 'float16'); "
        "see suite eval --help.",
    ),
    Case(
        ("eval", "M", "--out", "{tmp}/o", "--verbosity", "loud"),
        "error: suite eval: --verbosity invalid choice: 'loud' (choose from 'error', 'warning', 'info', 'debug'); "
        "see suite eval --help.",
    ),
    # Hostile values stay on one line and are shown, not interpreted.
    Case(
        ("eval", "M", "--out", "{tmp}/o", "--limit", "[red]1\n"),
        "error: suite eval: --limit '[red]1\\n' is not a whole number of at least 1; see suite eval --help.",
    ),
    Case(
        ("eval", "M"),
        "error: suite eval: the following arguments are required: --out; see suite eval --help.",
    ),
]

CONFIG_FILES = {
    "run.json": "{}",
    "broken.toml": "max-tokens = \n",
    "broken.yaml": "max-tokens: [1\n",
    "list.yaml": "- max-tokens\n",
    "bad-key.toml": "max_token = 3\n",
    "bad-value.toml": 'model = "M"\nmax-tokens = 0\n',
    "bad-choice.toml": 'dtype = "float8"\n',
    "bad-switch.toml": 'keep-opening = "yes"\n',
    "no-out.toml": 'model = "M"\n',
}
"""``--config`` files of the cases below, written into the test's folder."""

ERRORS = [
    # A missing default ./release names the path, the default's source and how to get one.
    Case(
        ("eval", "M", "--out", "{tmp}/o"),
        "error: --release release does not exist (default: $SUITE_RELEASE, else ./release); get a release with "
        "`suite release pull REF --sha256 SHA256 --out release` or `suite release build --source pinned --out "
        "release`, or pass --release FOLDER.",
    ),
    Case(
        ("eval", "M", "--out", "{tmp}/o", "--release", "{tmp}/[red]x[/]"),
        "error: --release {tmp}/[red]x[/] does",
        False,
    ),
    Case(("release", "verify", "/x/[red]nope"), "error: release /x/[red]nope does not exist", False),
    Case(
        ("eval", "{model}", "--release", "{release}", "--backend", "hf", "--out", "/proc/x"),
        "error: --out /proc/x cannot be written: making a folder in /proc fails (No such file or directory); "
        "pass a folder you can write to.",
    ),
    Case(
        ("eval", "{model}", "--release", "{release}", "--backend", "hf", "--out", "{tmp}/x[/]y/x"),
        "error: --out {tmp}/x[/]y/x cannot be created: {tmp}/x[/]y is a file; pass a folder path.",
    ),
    Case(
        ("eval", "{model}", "--release", "{release}", "--backend", "hf", "--out", "{tmp}/x[/]y"),
        "error: --out {tmp}/x[/]y is a file; pass a folder for the result bundle.",
    ),
    # --config FILE: each problem names the file (and the key), the file is never half-read.
    Case(
        ("eval", "--config", "{tmp}/nope.toml"),
        "error: --config {tmp}/nope.toml cannot be read (No such file or directory); "
        "pass an existing TOML or YAML file.",
    ),
    Case(
        ("eval", "--config", "{tmp}/run.json"),
        "error: --config {tmp}/run.json is neither .toml nor .yaml/.yml; name the file for its format.",
    ),
    Case(("eval", "--config", "{tmp}/broken.toml"), "error: --config {tmp}/broken.toml is not valid TOML (", False),
    Case(("eval", "--config", "{tmp}/broken.yaml"), "error: --config {tmp}/broken.yaml is not valid YAML (", False),
    Case(
        ("eval", "--config", "{tmp}/list.yaml"),
        "error: --config {tmp}/list.yaml must hold keys and values (max-tokens = 320), not a list or a value.",
    ),
    Case(
        ("eval", "--config", "{tmp}/bad-key.toml"),
        "error: --config {tmp}/bad-key.toml: 'max_token' is not an option of suite eval; keys are the flags "
        "without dashes, e.g. max-tokens (see suite eval --help).",
    ),
    Case(
        ("eval", "--config", "{tmp}/bad-value.toml"),
        "error: --config {tmp}/bad-value.toml: --max-tokens 0 is not a whole number of at least 1; fix the file.",
    ),
    Case(
        ("eval", "--config", "{tmp}/bad-choice.toml"),
        "error: --config {tmp}/bad-choice.toml: --dtype invalid choice: 'float8' (choose from 'auto', 'float32', "
        "'bfloat16', 'float16'); fix the file.",
    ),
    Case(
        ("eval", "--config", "{tmp}/bad-switch.toml"),
        "error: --config {tmp}/bad-switch.toml: keep-opening must be true or false; fix the file.",
    ),
    Case(
        ("eval", "--config", "{tmp}/no-out.toml"),
        "error: suite eval: the following arguments are required: --out; see suite eval --help.",
    ),
    # A local folder is pinned by its files' hash: a --revision for it would be silently meaningless.
    Case(
        ("eval", "{model}", "--release", "{release}", "--revision", "main", "--out", "{tmp}/o"),
        "error: --revision main names a version of a Hub model, but {model} is a local folder (pinned by the "
        "sha256 of its files); drop --revision.",
    ),
    Case(
        ("eval", "{model}", "--release", "{release}", "--backend", "hf", "--device-map", "auto", "--out", "{tmp}/o"),
        "error: --device-map auto needs accelerate, which is not installed: pip install 'off-trajectory-suite[hf]'.",
        without="accelerate",
    ),
    # Installs without an extra: the install hint keeps its [extra].
    Case(
        ("eval", "{model}", "--release", "{release}", "--backend", "vllm", "--out", "{tmp}/o"),
        "pip install 'off-trajectory-suite[vllm]'",
        False,
        without="vllm",
    ),
    Case(  # transformers is core (every backend needs M's tokenizer): only a broken install lacks it
        ("eval", "{model}", "--release", "{release}", *OPENAI, "--out", "{tmp}/o"),
        "error: this command needs transformers, which is not installed: pip install 'off-trajectory-suite'.",
        without="transformers",
    ),
    Case(
        ("leaderboard", "build", "{tmp}/none"),
        "error: this command needs duckdb, which is not installed: pip install 'off-trajectory-suite[leaderboard]'.",
        without="duckdb",
    ),
    Case(
        ("container", "eval", "M", "--out", "{tmp}/o"),
        "error: this command needs docker, which is not installed: pip install 'off-trajectory-suite[container]'.",
        without="docker",
    ),
]


def _run(case: Case, cwd: Path, fill: Callable[[str], str]) -> subprocess.CompletedProcess[str]:
    prefix = ["-c", WITHOUT, case.without] if case.without else ["-m", "suite.cli"]
    args = [fill(a) for a in case.args]
    return subprocess.run(
        [sys.executable, *prefix, *args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=300
    )


def _check(case: Case, result: subprocess.CompletedProcess[str], fill: Callable[[str], str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    if case.exact:
        assert lines[0] == fill(case.line)
    else:
        assert fill(case.line) in lines[0]


@pytest.mark.parametrize("case", ARGUMENTS, ids=lambda c: " ".join(c.args[:1] + c.args[-2:]))
def test_bad_argument_is_one_line(case: Case, tmp_path: Path) -> None:
    def fill(text: str) -> str:
        return text.replace("{tmp}", str(tmp_path)).replace("{release}", str(tmp_path / "release"))

    _check(case, _run(case, tmp_path, fill), fill)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: " ".join(c.args[:1] + c.args[-2:]) + f" {c.without or ''}")
def test_user_error_is_one_line(
    case: Case, tmp_path: Path, arith_release: Path, tiny_model: Callable[[str], Path]
) -> None:
    (tmp_path / "x[").mkdir()
    (tmp_path / "x[/]y").write_text("not a folder\n")  # a file "]y" in a folder "x[": rich would read "[/]"
    for name, text in CONFIG_FILES.items():
        (tmp_path / name).write_text(text)
    model = tiny_model("qwen3") if "{model}" in case.args else Path("M")

    def fill(text: str) -> str:
        filled = text.replace("{tmp}", str(tmp_path)).replace("{release}", str(arith_release))
        return filled.replace("{model}", str(model))

    _check(case, _run(case, tmp_path, fill), fill)
    assert not list(tmp_path.glob(".suite-write-check-*")) and not list(Path("/proc").glob(".suite-write-check-*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out_is_one_line(tmp_path: Path, arith_release: Path, tiny_model: Callable[[str], Path]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    case = Case(
        ("eval", str(tiny_model("qwen3")), "--release", str(arith_release), "--out", str(locked / "run")),
        f"error: --out {locked / 'run'} cannot be written: making a folder in {locked} fails (Permission denied); "
        "pass a folder you can write to.",
    )
    _check(case, _run(case, tmp_path, str), str)


def _grader_workers(parent: int) -> int:
    """How many multiprocessing workers ``parent`` has started (read from /proc, no extra package)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            count += ppid == parent and b"spawn_main" in (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):  # a process that ended while being read
            continue
    return count


def test_ctrl_c_shows_only_the_resume_message(
    tmp_path: Path, arith_release: Path, tiny_model: Callable[[str], Path]
) -> None:
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it: grader workers stay quiet.

    The grader pool starts just before the first generation; its two workers may still be importing
    when the signal comes (the window the fix covers too).
    """
    out = tmp_path / "run"
    command = [sys.executable, "-m", "suite.cli", "eval", str(tiny_model("qwen3")), "--release", str(arith_release)]
    command += ["--out", str(out), "--backend", "hf", "--samples", "8", "--max-tokens", "64", "--grading-workers", "2"]
    run = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 240
        while _grader_workers(run.pid) < 2:
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "the grader pool did not start within 240 s"
            time.sleep(0.05)
        time.sleep(1.0)  # generating now
        os.killpg(run.pid, signal.SIGINT)
        stderr = run.communicate(timeout=120)[1]
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    store = out / "store.jsonl"
    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    resume = f"stopped: every finished sample is saved in {store}; run the same command again to resume."
    assert resume in stderr.splitlines(), stderr
    assert store.is_file() and not (out / "result.json").exists()
