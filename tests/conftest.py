"""Shared fixtures: the offline benchmark copies, tiny models and the tiny trained reasoner."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Tests never reach the Hugging Face Hub; set before huggingface_hub reads its constants.
os.environ["HF_HUB_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parents[1]
UPSTREAM = Path(os.environ.get("SUITE_UPSTREAM_DIR", REPO.parent / "shared" / "data" / "upstream"))


@pytest.fixture(scope="session")
def upstream() -> Path:
    """The offline copies of the paper's benchmarks (``../shared/data/upstream``)."""
    if not (UPSTREAM / "math500.jsonl").is_file():
        pytest.fail(f"benchmark mirror not found at {UPSTREAM}; set SUITE_UPSTREAM_DIR to shared/data/upstream")
    return UPSTREAM


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Factory: a saved random tiny Qwen3 with the chat template of a family (qwen3, deepseek_r1, ...)."""
    from suite.tiny import save_random_model

    built: dict[str, Path] = {}

    def make(template: str = "qwen3") -> Path:
        if template not in built:
            built[template] = save_random_model(tmp_path_factory.mktemp(f"tiny-{template}"), template=template)
        return built[template]

    return make


@pytest.fixture(scope="session")
def tiny_reasoner() -> Path:
    """The tiny trained reasoner, trained once and cached across test runs (SUITE_CACHE_DIR)."""
    from suite.tiny import ensure_reasoner

    return ensure_reasoner()
