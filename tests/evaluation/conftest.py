"""Fixtures for end-to-end runs: a small release of arithmetic questions written here (no benchmark rows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from suite.release import build_release
from suite.tiny import write_arithmetic_source


@pytest.fixture(scope="session")
def arith_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 held-out arithmetic questions, an oracle guide set, and 5 shared ids for both shared subsets."""
    root = tmp_path_factory.mktemp("arith")
    files = write_arithmetic_source(root / "src", questions=16, shared=5)
    return build_release(
        str(files["source"]),
        root / "release",
        benchmarks=["arith"],
        subsets={"recoverability_shared": files["shared"], "guidability_shared": files["shared"]},
        guides={"oracle": files["guide"]},
    )
