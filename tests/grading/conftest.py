"""Fixtures of the grading tests: the real reasoning traces."""

from __future__ import annotations

import os

import pytest

from tests.grading.traces import TRACES, Trace, load_traces, traces_available


@pytest.fixture(scope="session")
def traces() -> list[Trace]:
    """The real traces of ``../shared/data/traces``; skipped where missing, except in CI (``CI`` set)."""
    if not traces_available():
        if os.environ.get("CI"):
            pytest.fail(f"real traces not found at {TRACES}; set SUITE_TRACES_DIR to shared/data/traces")
        pytest.skip(f"real traces not found at {TRACES}")
    return load_traces()
