"""Runs survive crashes: SIGKILL at random points in every part of a run, SIGINT and SIGTERM, then resume.

The final bundle must equal the uninterrupted run's: same samples (byte for byte) and same metrics.
"""

from __future__ import annotations

import gzip
import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from suite._files import sha256_file
from tests.conftest import HF_RUN
from tests.test_cli import run_suite

Stop = Callable[[list[str]], bool]
"""Given the request keys of every completion in the store so far: stop now?"""


def keys_in_store(store: Path) -> list[str]:
    if not store.exists():
        return []
    keys = []
    for line in store.read_bytes().splitlines():
        if b'"record": "completion"' in line:
            try:
                keys.append(json.loads(line)["key"])
            except ValueError:
                continue  # a record being written
    return keys


def interrupt(command: list[str], store: Path, when: Stop, how: signal.Signals, extra: float) -> tuple[int, str]:
    """Start ``command``; once ``when`` holds (plus ``extra`` seconds) send ``how``; (exit status, stderr)."""
    before = len(keys_in_store(store))
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 1200  # generous: a slow machine must not turn a stop into a finished run
    while process.poll() is None and time.monotonic() < deadline:
        if when(keys_in_store(store)[before:] if how != signal.SIGKILL else keys_in_store(store)):
            time.sleep(extra)
            process.send_signal(how)
            break
        time.sleep(0.05)
    _, stderr = process.communicate(timeout=1200)
    return process.returncode, stderr


def differing_samples(one: Path, other: Path) -> list[str]:
    """Which fields of which samples differ (for a readable failure)."""
    with gzip.open(one / "samples.jsonl.gz", "rt") as f, gzip.open(other / "samples.jsonl.gz", "rt") as g:
        pairs = [(json.loads(a), json.loads(b)) for a, b in zip(f, g, strict=True)]
    return [
        f"{a['test']} {a['question_id']} #{a['sample']}: {sorted(k for k in a if a[k] != b.get(k))}"
        for a, b in pairs
        if a != b
    ]


def started(keys: list[str]) -> bool:
    return True


def some(prefix: str, count: int = 1) -> Stop:
    return lambda keys: sum(k.startswith(prefix) for k in keys) >= count


def test_killed_at_random_points_then_resumed_equals_the_uninterrupted_run(
    hf_bundle: Path, arith_release: Path, tiny_reasoner: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "suite.cli", "eval", str(tiny_reasoner), "--release", str(arith_release)]
    command += ["--out", str(out), *HF_RUN]
    store = out / "store.jsonl"
    rng = random.Random(20261126)
    # Each stop lands in a different part of the run (before any sample, mid solo, in recoverability,
    # in guidability, in the control), a random moment after its trigger; each resume starts where the
    # previous process died.
    plan: list[tuple[str, Stop, signal.Signals]] = [
        ("start-up", started, signal.SIGKILL),
        ("solo", some("solo/", rng.randint(8, 40)), signal.SIGKILL),
        ("solo, later", some("solo/", rng.randint(48, 100)), signal.SIGKILL),
        ("recoverability", some("recoverability/", rng.randint(1, 20)), signal.SIGKILL),
        ("guidability", some("guidability/", rng.randint(1, 8)), signal.SIGKILL),
        ("control", some("control/", 1), signal.SIGKILL),
        ("SIGTERM", some("", 3), signal.SIGTERM),  # SIGINT/SIGTERM stops count only this process's samples
    ]
    seen = 0
    landed = []
    for part, when, how in plan:
        status, stderr = interrupt(command, store, when, how, rng.uniform(0, 0.5))
        if status == 0:  # the run finished before the stop could land: nothing left to interrupt
            break
        assert status == (-9 if how == signal.SIGKILL else 130), (part, status, stderr[-2000:])
        if how != signal.SIGKILL:
            assert "run the same command again to resume" in stderr and "Traceback" not in stderr
        now = len(keys_in_store(store))
        assert now >= seen, part  # nothing finished was lost
        seen = now
        landed.append(part)
    assert len(landed) >= 6, landed
    final = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-3000:]
    assert run_suite("validate", str(out), "--release", str(arith_release)).returncode == 0
    resumed = json.loads((out / "result.json").read_text())
    baseline = json.loads((hf_bundle / "result.json").read_text())
    assert resumed["timing"]["resumed_samples"] > 0
    assert resumed["metrics"] == baseline["metrics"] and resumed["items"] == baseline["items"]
    assert differing_samples(out, hf_bundle) == []
    assert resumed["notes"] == baseline["notes"] and resumed["samples"] == baseline["samples"]
    assert sha256_file(out / "samples.jsonl.gz") == sha256_file(hf_bundle / "samples.jsonl.gz")


def test_sigint_stops_cleanly_and_says_how_to_resume(arith_release: Path, tiny_reasoner: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "suite.cli", "eval", str(tiny_reasoner), "--release", str(arith_release)]
    command += ["--out", str(out), *HF_RUN, "--tests", "solo"]
    status, stderr = interrupt(command, out / "store.jsonl", some("solo/", 8), signal.SIGINT, 0.0)
    assert status == 130 and "Traceback" not in stderr, stderr[-2000:]
    assert f"every finished sample is saved in {out / 'store.jsonl'}" in " ".join(stderr.split())
    again = run_suite("eval", str(tiny_reasoner), "--release", str(arith_release), "--out", str(out), *HF_RUN)
    assert again.returncode == 2 and "a different tests" in again.stderr  # resuming needs the same command
