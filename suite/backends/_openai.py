"""OpenAI-compatible ``/v1/completions`` servers (vLLM, SGLang): token-id prompts, one or several servers.

Each sample is its own call (``n=1``, seed ``request seed + index``: what vLLM gives the
``index``-th of ``n`` seeded samples) with every sampling field set, so no server-side
``generation_config`` default applies. With several servers an item's requests stay on one
server (its prefix cache holds the question, M's own trajectory and the steers); a server that
fails hands its calls to the others, each call answered exactly once.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import queue
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from suite._errors import SuiteError
from suite._http import get_json, retry_after_s
from suite.backends._base import Blocking, Completion, Request, SamplingConfig, max_new_tokens, package_versions


def item_of(key: str) -> str:
    """The question a request key belongs to, so every request of one item (positions, fractions) shares a server.

    Keys are the runner's: ``solo/Q``, ``recoverability/SUBSET/Q/POSITION`` and
    ``TEST/SUBSET/Q/GUIDE/FRACTION/SAMPLE`` (a question id may hold slashes, a guide name cannot).
    Any other key is an item of its own.
    """
    parts = key.split("/")
    if parts[0] == "solo" and len(parts) >= 2:
        return "/".join(parts[1:])
    if parts[0] == "recoverability" and len(parts) >= 4:
        return "/".join(parts[2:-1])
    if parts[0] in ("guidability", "control") and len(parts) >= 6:
        return "/".join(parts[2:-3])
    return key


def server_urls(values: Sequence[str]) -> tuple[str, ...]:
    """``--base-url`` values (each may be a comma list) as distinct http(s) URLs without a trailing slash."""
    urls: list[str] = []
    for value in values:
        for url in (u.strip().rstrip("/") for u in value.split(",")):
            if not url:
                continue
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise SuiteError(f"--base-url {url!r} is not an http(s) URL; pass e.g. http://127.0.0.1:8000/v1.")
            if parts.username or parts.password or parts.query or parts.fragment:
                # The URLs are recorded in result.json, which is published: no secrets in them.
                raise SuiteError(
                    f"--base-url {url!r} must not carry credentials, a query or a fragment (it is recorded in "
                    "the result); pass the key in OPENAI_API_KEY."
                )
            if url in urls:
                raise SuiteError(f"--base-url {url} is given twice; name each server once.")
            urls.append(url)
    return tuple(urls)


class Router:
    """Sticky least-loaded routing over servers, so an item's prompts meet their shared prefix in one cache.

    An item's first call goes to the live server with the fewest outstanding calls (the first on a tie);
    its later calls follow it while that server lives, then move together to the next choice.
    """

    def __init__(self, servers: int) -> None:
        self.live = [True] * servers
        self.load = [0] * servers
        """Calls routed to each server and not yet answered."""
        self.home: dict[str, int] = {}

    def route(self, item: str) -> int | None:
        """The server for one more call of ``item`` (counted in its load); None when no server is live."""
        server = self.home.get(item)
        if server is None or not self.live[server]:
            candidates = [i for i, up in enumerate(self.live) if up]
            if not candidates:
                return None
            server = min(candidates, key=lambda i: (self.load[i], i))
            self.home[item] = server
        self.load[server] += 1
        return server

    def others_live(self, server: int) -> bool:
        """Another server can take this one's calls."""
        return any(up for i, up in enumerate(self.live) if i != server)


@dataclass(frozen=True)
class Server:
    """One server as found at start: its URL, the name it serves M under, and its context length."""

    url: str
    served: str
    context_length: int


@dataclass(frozen=True)
class Call:
    """One sample of one request: what a single HTTP call asks for."""

    request: Request
    index: int
    sampling: SamplingConfig


class Unavailable(Exception):
    """A server could not answer a call now: refused or reset connection, timeout, 429/5xx, aborted generation."""

    def __init__(self, reason: str, connection: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.connection = connection
        """The server is gone or hung (not merely busy): with other servers live, do not try it again."""
        self.retry_after = retry_after


class Senders:
    """Up to ``concurrency`` threads sending one server's calls, started as calls arrive.

    Daemon threads, unlike ``ThreadPoolExecutor``'s: a run stopped by Ctrl-C or SIGTERM exits at once
    instead of waiting for the generations in flight (the store already holds every finished sample).
    """

    def __init__(self, send: Callable[[Call], Completion | Unavailable], concurrency: int, name: str) -> None:
        self._send = send
        self._concurrency = concurrency
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Future[Completion | Unavailable], Call] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def submit(self, call: Call) -> Future[Completion | Unavailable]:
        """Queue one call; its future holds the outcome (or the SuiteError that stops the run)."""
        future: Future[Completion | Unavailable] = Future()
        self._queue.put((future, call))
        if len(self._threads) < self._concurrency:
            thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return future

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            future, call = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._send(call))
            except BaseException as e:  # handed to collect(), which raises it on the main thread
                future.set_exception(e)

    def close(self) -> None:
        """Cancel queued calls and let each thread end after its current call."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        for _ in self._threads:
            self._queue.put(None)


def sampling_body(call: Call, server: Server) -> dict[str, Any]:
    """The request body for one call: every sampling field explicit, so no ``generation_config`` default applies.

    vLLM fills each of temperature, top_p, top_k, min_p and the three penalties that a request omits from the
    model's ``generation_config.json``; top_k -1 is "off" for vLLM and SGLang alike. No stop strings: M's
    end-of-sequence tokens stop, as with the vllm backend.
    """
    request, sampling = call.request, call.sampling
    return {
        "model": server.served,
        "prompt": list(request.prompt_ids),
        "n": 1,
        "seed": request.seed + call.index,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "top_k": -1,
        "min_p": 0.0,
        "repetition_penalty": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        "stop": [],
        "stop_token_ids": [],
        "ignore_eos": False,
        "min_tokens": 0,
        "max_tokens": max_new_tokens(sampling, server.context_length, len(request.prompt_ids)),
        "skip_special_tokens": sampling.skip_special_tokens,
        "stream": False,
    }


class OpenAIBackend(Blocking):
    """Calls ``POST {url}/completions`` on each server, ``concurrency`` calls in flight per server."""

    name = "openai"
    background = True

    def __init__(
        self,
        base_urls: Sequence[str],
        model: str,
        tokenizer: Any,
        context_length: int,
        concurrency: int = 128,
        max_retries: int = 5,
        api_key_env: str = "OPENAI_API_KEY",
        timeout_s: float = 3600.0,
        backoff_s: float = 1.0,
    ) -> None:
        urls = server_urls(base_urls)
        if not urls:
            raise SuiteError("--backend openai needs --base-url, e.g. http://127.0.0.1:8000/v1.")
        self.servers = [_found(url, model, context_length) for url in urls]
        self.context_length = min(s.context_length for s in self.servers)
        self.tokenizer = tokenizer
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.window = 2 * concurrency * len(self.servers)
        """Requests worth keeping submitted: twice the calls all servers run at once."""
        self._headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env)
        if key:
            self._headers["Authorization"] = f"Bearer {key}"
        self.router = Router(len(self.servers))
        self.answered = [0] * len(self.servers)
        """Calls each server answered."""
        self.failures: dict[int, str] = {}
        """Why each server that failed was given up (its calls went to the others)."""
        self._senders = [
            Senders(functools.partial(self._send, i), concurrency, f"openai-server-{i}")
            for i in range(len(self.servers))
        ]
        self._stop: SuiteError | None = None
        self._calls: dict[Future[Completion | Unavailable], tuple[int, Call]] = {}
        self._open: dict[str, list[Completion | None]] = {}

    def submit(self, requests: Sequence[Request], sampling: SamplingConfig) -> None:
        """Queue each sample of each request on its item's server."""
        for request in requests:
            if request.key in self._open:
                raise AssertionError(f"request {request.key} submitted while it is still open")
            self._open[request.key] = [None] * request.n
            for index in range(request.n):
                self._dispatch(Call(request, index, sampling))

    @property
    def busy(self) -> int:
        """Requests with a sample not yet answered."""
        return len(self._open)

    def collect(self) -> list[Completion]:
        """Completions of the requests whose last sample came back within the next 50 ms.

        A call a server could not answer goes to the item's server again, or, once that server is given up,
        to another live one; a request is returned once, with all its samples. What stops the run (no server
        left, a refused request, a reply that is not a completion) is raised once the completions that came
        back with it are returned, so the store keeps them.
        """
        if self._stop is not None:
            raise self._stop
        if not self._calls:
            return []
        done, _ = wait(self._calls, timeout=0.05, return_when=FIRST_COMPLETED)
        finished: list[Completion] = []
        for future in done:
            server, call = self._calls.pop(future)
            self.router.load[server] -= 1
            try:
                outcome = future.result()
                if isinstance(outcome, Unavailable):
                    self._give_up(server, outcome)
                    self._dispatch(call)
                    continue
            except SuiteError as e:
                self._stop = self._stop or e
                continue
            self.answered[server] += 1
            slots = self._open[call.request.key]
            slots[call.index] = outcome
            if all(slots):
                finished.extend(c for c in slots if c is not None)
                del self._open[call.request.key]
        if self._stop is not None and not finished:
            raise self._stop
        return finished

    def _dispatch(self, call: Call) -> None:
        server = self.router.route(item_of(call.request.key))
        if server is None:
            failed = "; ".join(f"{self.servers[i].url}: {why}" for i, why in sorted(self.failures.items()))
            raise SuiteError(
                f"every server failed ({failed}); restart them and run the same command again, "
                "which resumes from the sample store."
            )
        self._calls[self._senders[server].submit(call)] = (server, call)

    def _give_up(self, server: int, outcome: Unavailable) -> None:
        """Stop using a server that ``_send`` gave up on; its queued calls come back as ``Unavailable`` too."""
        if not self.router.live[server]:
            return
        self.router.live[server] = False
        self.failures[server] = outcome.reason
        if any(self.router.live):
            print(
                f"server {self.servers[server].url} failed ({outcome.reason}); its requests go to the other servers.",
                file=sys.stderr,
            )

    def _send(self, server: int, call: Call) -> Completion | Unavailable:
        """One call with retries on this server (429/5xx, and connection errors while it is the last one live)."""
        delay = self.backoff_s
        attempt = 0
        while True:
            if not self.router.live[server]:
                return Unavailable("given up", connection=True)
            try:
                return self._complete(self.servers[server], call)
            except Unavailable as e:
                if (e.connection and self.router.others_live(server)) or attempt == self.max_retries:
                    if attempt:
                        e.reason += f" after {attempt + 1} attempts"
                    return e
                pause = delay if e.retry_after is None else e.retry_after
            time.sleep(pause * (1 + 0.25 * random.random()))
            delay *= 2
            attempt += 1

    def _complete(self, server: Server, call: Call) -> Completion:
        body = json.dumps(sampling_body(call, server)).encode()
        request = urllib.request.Request(server.url + "/completions", data=body, headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            if e.code == 429 or e.code >= 500:
                after = retry_after_s(e.headers.get("Retry-After") if e.headers else None)
                raise Unavailable(f"HTTP {e.code}", connection=False, retry_after=after) from None
            detail = e.read().decode("utf-8", errors="replace")[:200] if e.fp else ""
            raise SuiteError(
                f"server {server.url} answered HTTP {e.code} {detail!r}; check the URL, model name and key."
            ) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            # Refused, reset, timed out, or cut off mid-reply: the server is down or hung.
            cause = e.reason if isinstance(e, urllib.error.URLError) and isinstance(e.reason, Exception) else e
            raise Unavailable(type(cause).__name__, connection=True) from None
        return self._completion(server, call, raw)

    def _completion(self, server: Server, call: Call, raw: bytes) -> Completion:
        try:
            reply = json.loads(raw.decode("utf-8"))
            (choice,) = reply["choices"]
            text, reason = choice["text"], choice["finish_reason"]
            if not isinstance(text, str):
                raise TypeError("text")
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise SuiteError(
                f"server {server.url} answered a call without one completion choice; is it OpenAI-compatible?"
            ) from None
        if reason not in ("stop", "length"):
            # vLLM answers "abort" for a generation it dropped (shutting down): not a sample.
            raise Unavailable(f"finish_reason {str(reason)[:20]!r}", connection=True)
        usage = reply.get("usage") if isinstance(reply, dict) else None
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
            # No usage: count the text's tokens, plus the end-of-sequence token a "stop" ended on.
            tokens = len(self.tokenizer.encode(text, add_special_tokens=False)) + (reason == "stop")
        return Completion(call.request.key, call.index, text, len(call.request.prompt_ids), tokens, reason)

    def versions(self) -> dict[str, str]:
        """Local package versions, and the servers (their own versions are not visible through the API)."""
        return package_versions("transformers", "tokenizers") | {"server": ",".join(s.url for s in self.servers)}

    def close(self) -> None:
        """Drop queued calls and stop the senders."""
        for senders in self._senders:
            senders.close()


def _found(url: str, model: str, context_length: int) -> Server:
    """The server at ``url`` as it lists itself: M's name there and its context length."""
    listed = get_json(url + "/models", what="server")
    cards = {m.get("id"): m for m in listed.get("data", []) if isinstance(m, dict)}
    if model in cards:
        served = model
    elif len(cards) == 1:
        served = str(next(iter(cards)))
    else:
        raise SuiteError(
            f"server {url} serves {sorted(map(str, cards))}, none named {model!r}; "
            "serve the model under that name (--served-model-name)."
        )
    length = cards[served].get("max_model_len")
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        length = context_length
    return Server(url, served, length)
