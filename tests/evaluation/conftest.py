"""Fixtures for end-to-end runs: a small release of arithmetic questions written here (no benchmark rows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from suite.tiny import build_arithmetic_release
from tests.test_cli import run_suite


@pytest.fixture(scope="session")
def arith_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 held-out arithmetic questions, an oracle guide set, and 5 shared ids for both shared subsets."""
    return build_arithmetic_release(tmp_path_factory.mktemp("arith"), questions=16, shared=5)


HF_RUN = ("--max-tokens", "400")
"""The knobs of the end-to-end hf run (the tiny reasoner's answers are short)."""


@pytest.fixture(scope="session")
def hf_bundle(arith_release: Path, tiny_reasoner: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted ``suite eval`` of the tiny reasoner with the hf backend."""
    out = tmp_path_factory.mktemp("bundle") / "run"
    result = run_suite("eval", str(tiny_reasoner), "--release", str(arith_release), "--out", str(out), *HF_RUN)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "bundle:" in result.stdout and "Recoverability (individual)" in result.stdout
    return out
