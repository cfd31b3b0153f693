"""``suite eval --backend openai`` against ``vllm`` serving the tiny trained reasoner on loopback."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import run_suite


def test_eval_through_an_openai_compatible_server(
    vllm_server: str, arith_release: Path, tiny_reasoner: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = run_suite(
        "eval",
        str(tiny_reasoner),
        "--backend",
        "openai",
        "--base-url",
        vllm_server,
        "--release",
        str(arith_release),
        "--out",
        str(out),
        "--max-tokens",
        "400",
        "--limit",
        "8",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert run_suite("validate", str(out)).returncode == 0
    report = json.loads((out / "result.json").read_text())
    assert report["backend"]["name"] == "openai" and report["backend"]["versions"]["server"] == vllm_server
    assert report["metrics"]["solo"]["macro"]["generations"] == 64
    assert all(c["n"] > 0 for c in report["metrics"]["recoverability"]["individual"]["per_position"].values())


def test_server_down_is_one_sentence(arith_release: Path, tiny_reasoner: Path, tmp_path: Path) -> None:
    result = run_suite(
        "eval",
        str(tiny_reasoner),
        "--backend",
        "openai",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--release",
        str(arith_release),
        "--out",
        str(tmp_path / "run"),
    )
    assert result.returncode == 2 and "is down or not OpenAI-compatible" in result.stderr
    assert "Traceback" not in result.stderr
