import subprocess
import sys
from pathlib import Path


def run_suite(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "suite.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def run_eval(
    model: Path, release: Path, out: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``suite eval MODEL --release RELEASE --out OUT ARGS...``."""
    return run_suite("eval", str(model), "--release", str(release), "--out", str(out), *args, env=env)


def test_version() -> None:
    result = run_suite("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("suite ")


def test_user_error_is_one_sentence_without_traceback(tmp_path: Path) -> None:
    result = run_suite("release", "verify", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) <= 2  # rich may wrap a long sentence
    assert "does not exist" in result.stderr and "suite release build" in result.stderr


def test_bad_pair_flag(tmp_path: Path, upstream: Path) -> None:
    result = run_suite("release", "build", "--source", str(upstream), "--out", str(tmp_path / "r"), "--subset", "x")
    assert result.returncode == 2
    assert "NAME=FILE" in result.stderr
    assert not (tmp_path / "r").exists()
