"""JSON over HTTP with retries: what the judge and the openai backend share (stdlib only)."""

from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.request
from typing import Any

from suite._errors import SuiteError


def post_json(
    url: str,
    body: dict[str, Any],
    api_key_env: str | None = "OPENAI_API_KEY",
    max_retries: int = 5,
    backoff_s: float = 1.0,
    timeout_s: float = 300.0,
    what: str = "server",
) -> dict[str, Any]:
    """POST ``body`` and return the JSON reply.

    Retries 429, 5xx and connection errors with exponential backoff and jitter
    (or the server's Retry-After); other HTTP errors and exhausted retries are a
    SuiteError that names the URL.
    """
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    key = os.environ.get(api_key_env) if api_key_env else None
    if key:
        headers["Authorization"] = f"Bearer {key}"
    delay = backoff_s
    for attempt in range(max_retries + 1):
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                reply = json.loads(response.read().decode("utf-8"))
            if not isinstance(reply, dict):
                raise ValueError("reply is not a JSON object")
            return reply
        except urllib.error.HTTPError as e:
            if (e.code != 429 and e.code < 500) or attempt == max_retries:
                detail = e.read().decode("utf-8", errors="replace")[:200] if e.fp else ""
                raise SuiteError(
                    f"{what} {url} answered HTTP {e.code} {detail!r}; check the URL, model name and key."
                ) from None
            retry_after = e.headers.get("Retry-After") if e.headers else None
            wait = float(retry_after) if retry_after and retry_after.isdigit() else delay
        except (urllib.error.URLError, OSError, ValueError) as e:
            if attempt == max_retries:
                raise SuiteError(
                    f"{what} {url} is unreachable or answered nonsense ({type(e).__name__}); check that it is up."
                ) from None
            wait = delay
        time.sleep(wait * (1 + 0.25 * random.random()))
        delay *= 2
    raise AssertionError("unreachable")


def get_json(url: str, timeout_s: float = 30.0, what: str = "server") -> dict[str, Any]:
    """GET a JSON object; any failure is a SuiteError naming the URL."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            reply = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise SuiteError(
            f"{what} {url} is down or not OpenAI-compatible ({type(e).__name__}); start it or fix --base-url."
        ) from None
    if not isinstance(reply, dict):
        raise SuiteError(f"{what} {url} did not answer with a JSON object.")
    return reply
