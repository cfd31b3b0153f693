"""``suite eval --backend openai`` against ``vllm`` serving the tiny trained reasoner on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TINY_MAX_TOKENS
from tests.test_cli import run_eval, run_suite

CORE_ONLY = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "core_only")}
"""The suite as on a core install (``pip install off-trajectory-suite``): no torch, vllm, duckdb, matplotlib, docker."""


def test_eval_through_an_openai_compatible_server(
    vllm_server: str, arith_release: Path, tiny_reasoner: Path, tmp_path: Path
) -> None:
    blocked = subprocess.run([sys.executable, "-c", "import torch"], env=CORE_ONLY, capture_output=True)
    assert blocked.returncode != 0  # the run below really has no torch
    out = tmp_path / "run"
    result = run_eval(
        tiny_reasoner,
        arith_release,
        out,
        "--backend",
        "openai",
        "--base-url",
        vllm_server,
        "--max-tokens",
        TINY_MAX_TOKENS,
        "--limit",
        "8",
        "--individual-subset-size",
        "3",
        env=CORE_ONLY,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert run_suite("validate", str(out), "--release", str(arith_release), env=CORE_ONLY).returncode == 0
    report = json.loads((out / "result.json").read_text())
    assert report["backend"]["name"] == "openai" and report["backend"]["versions"]["server"] == vllm_server
    assert report["metrics"]["solo"]["macro"]["generations"] == 64
    assert report["metrics"]["recoverability"]["individual"]["mean"]["n"] > 0  # validate checked every steer


def test_server_down_is_one_sentence(arith_release: Path, tiny_reasoner: Path, tmp_path: Path) -> None:
    result = run_eval(
        tiny_reasoner, arith_release, tmp_path / "run", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1"
    )
    assert result.returncode == 2 and "is down or not OpenAI-compatible" in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_with_a_judge(vllm_server: str, arith_release: Path, tiny_reasoner: Path, tmp_path: Path) -> None:
    out = tmp_path / "judged"
    result = run_eval(
        tiny_reasoner,
        arith_release,
        out,
        "--tests",
        "solo",
        "--limit",
        "6",
        "--max-tokens",
        TINY_MAX_TOKENS,
        "--judge-url",
        vllm_server,
        "--judge-model",
        "tiny",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert run_suite("validate", str(out), "--release", str(arith_release)).returncode == 0
    report = json.loads((out / "result.json").read_text())
    assert report["grading"]["judge"]["judge_model"] == "tiny"
    import gzip

    with gzip.open(out / "samples.jsonl.gz", "rt") as f:
        grades = [json.loads(line)["grade"] for line in f]
    rechecked = [g for g in grades if g["judge_verdict"] is not None]
    assert rechecked and all(not g["truncated"] and g["answer"] for g in rechecked)
    assert all(g["judge_verdict"] is None for g in grades if g["method"] == "string_match" and g["correct"])
