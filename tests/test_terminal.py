"""A terminal recording of a tiny hf run: the plan, then live progress during generation, then the results table.

``suite eval`` runs in a pseudo-terminal (Python's ``pty``), as a person would see it: rich draws the
live display only on a terminal. The recording is read back without its escape sequences and the
test asserts the order of what appeared. How often the display updates is measured by
``benchmarks/progress_updates.py``, not asserted here.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from suite.tiny import build_arithmetic_release

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
STATUS = re.compile(r"(generating|fetching and loading the model)\s+[-\d,]+ tok/s \(last 10 s\)[^\n]*elapsed")


def record(command: list[str], columns: int = 160, timeout: float = 600) -> tuple[int, str]:
    """Run ``command`` on a pseudo-terminal of ``columns`` columns; its exit status and everything it drew."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": "50"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the terminal closed: the process has ended
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        else:
            pytest.fail(f"suite eval did not finish in {timeout} s")
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_plan_then_live_progress_then_results(tmp_path: Path, tiny_model: Callable[[str], Path]) -> None:
    release = build_arithmetic_release(tmp_path, questions=4)
    out = tmp_path / "run"
    # A random tiny model rarely ends early: 8 rows of up to 200 tokens keep it generating for a while.
    command = [sys.executable, "-m", "suite.cli", "eval", str(tiny_model("qwen3")), "--release", str(release)]
    command += ["--out", str(out), "--backend", "hf", "--tests", "solo", "--samples", "2", "--max-tokens", "200"]
    code, drawn = record(command)
    text = ANSI.sub("", drawn)
    assert code == 0, text[-3000:]

    plan = text.find("Plan: 1 of the 6 tests of Table 1")
    renders = [(m.start(), m.group(0)) for m in STATUS.finditer(text)]
    generating = [(at, r) for at, r in renders if r.startswith("generating")]
    results = text.find("bundle: ")
    assert plan >= 0, text[:3000]
    assert "guidability_shared" in text[plan:] and "not run: --tests leaves out guidability" in text[plan:]
    assert len({r for _, r in generating}) >= 2, renders  # the display changed while generating
    headline = text.rfind("benchmark", 0, results)
    assert plan < renders[0][0] <= generating[0][0] < generating[-1][0] < headline < results, (plan, renders, results)
    assert f"bundle: {out} (validated)" in text
    assert "Traceback" not in text and "Warning" not in text  # third-party warnings stay in run.log

    # run.log in the bundle: the plan is logged before the model is loaded, then progress, then the end.
    log = (out / "run.log").read_text(encoding="utf-8").splitlines()
    first = {
        kind: next(i for i, line in enumerate(log) if marker in line)
        for kind, marker in (
            ("plan", "plan: solo runs: 4 questions, 8 generations"),
            ("model", "INFO suite.cli: model: "),
            ("progress", "INFO suite.progress: progress: solo 8/8"),
        )
    }
    assert first["plan"] < first["model"] < first["progress"], log
