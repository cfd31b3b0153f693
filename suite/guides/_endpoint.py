"""One guide sample from an OpenAI-compatible chat endpoint that returns the reasoning apart from the answer.

The HTTP (retries on 429, 5xx and connection errors, Retry-After, the key) is ``suite._http.post_json``,
the client the judge and the openai backend use; this module builds the request and reads the reply.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from suite._errors import SuiteError
from suite._http import post_json
from suite.guides._records import REASONING_FIELDS, Sampling

REQUEST_TIMEOUT_S = 3600.0
"""Longest silence on a request's socket: a non-streamed 32k-token reasoning reply can take many minutes."""


@dataclass(frozen=True)
class Reply:
    """What one chat completion said, read defensively."""

    reasoning: str | None
    reasoning_field: str | None
    """Which field held ``reasoning`` (None: neither held text)."""
    content: str | None
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    cost: float | None
    served_model: str | None
    attempts: int = 1
    seconds: float = 0.0


def read_reply(reply: dict[str, Any], url: str) -> Reply:
    """The first choice of a chat completion reply; a reply without one is a SuiteError naming ``url``."""
    choices = reply.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(choice, dict) or not isinstance(message, dict):
        error = reply.get("error")
        said = f" (it said {str(error.get('message') if isinstance(error, dict) else error)[:200]!r})" if error else ""
        raise SuiteError(f"endpoint {url} answered without a message{said}; is it an OpenAI chat completions API?")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise SuiteError(f"endpoint {url} answered a message whose content is not text; use a text chat model.")
    field, reasoning = reasoning_of(message)
    usage = reply.get("usage")
    if not isinstance(usage, dict):
        usage = {}
    finish = choice.get("finish_reason")
    served = reply.get("model")
    return Reply(
        reasoning=reasoning,
        reasoning_field=field,
        content=content,
        finish_reason=finish if isinstance(finish, str) else None,
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        cost=_cost(usage.get("cost")),
        served_model=served if isinstance(served, str) else None,
    )


def reasoning_of(message: dict[str, Any]) -> tuple[str | None, str | None]:
    """(field, text) of the first reasoning field holding text; (None, None) when none does."""
    for field in REASONING_FIELDS:
        text = message.get(field)
        if isinstance(text, str):
            return field, text
    return None, None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _cost(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


class ChatEndpoint:
    """``POST {base_url}/chat/completions`` for one model: the user turn alone, the given sampling, one sample."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str | None = None,
        max_attempts: int = 6,
        backoff_s: float = 1.0,
        timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SuiteError(f"--base-url {base_url!r} is not an http(s) URL; pass e.g. http://127.0.0.1:8000/v1.")
        if parts.username or parts.password or parts.query or parts.fragment:
            # The URL is saved in generation.json and published with the release: no secrets in it.
            raise SuiteError(
                "--base-url must not carry credentials, a query or a fragment (it is saved and published); "
                "pass the key with --api-key-env."
            )
        if api_key_env and not os.environ.get(api_key_env):
            raise SuiteError(f"environment variable {api_key_env} (--api-key-env) is empty; export the API key in it.")
        if max_attempts < 1:
            raise SuiteError(f"--max-attempts {max_attempts} must be at least 1.")
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s

    def request_body(self, problem: str, sampling: Sampling) -> dict[str, Any]:
        """The request for one sample: the question as the only (user) turn, no system prompt."""
        return {
            "model": self.model,
            "messages": [{"role": "user", "content": problem}],
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "top_k": sampling.top_k or 0,
            "max_tokens": sampling.max_tokens,
        }

    def ask(self, problem: str, sampling: Sampling) -> Reply:
        """One sample; retries as ``post_json`` does, and says how many attempts it took."""
        retries: list[str] = []
        started = time.monotonic()
        reply = post_json(
            self.url,
            self.request_body(problem, sampling),
            self.api_key_env,
            max_retries=self.max_attempts - 1,
            backoff_s=self.backoff_s,
            timeout_s=self.timeout_s,
            what="endpoint",
            on_retry=lambda reason, wait: retries.append(reason),
        )
        return replace(read_reply(reply, self.url), attempts=1 + len(retries), seconds=time.monotonic() - started)


def no_reasoning(endpoint: ChatEndpoint) -> SuiteError:
    """The one sentence for an endpoint whose reply carries no reasoning field."""
    fields = " or ".join(f"message.{f}" for f in REASONING_FIELDS)
    return SuiteError(
        f"endpoint {endpoint.url} answered model {endpoint.model!r} without the reasoning apart from the answer "
        f"(expected {fields}); use an endpoint that returns it (vLLM: --reasoning-parser deepseek_r1)."
    )
