"""Fixtures for ``suite guides generate``: a scripted chat endpoint on loopback and a real vLLM reasoning server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

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
