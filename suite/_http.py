"""JSON over HTTP with retries: what the judge and the openai backend share (stdlib only)."""

from __future__ import annotations

import datetime
import email.utils
import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
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
    on_retry: Callable[[str, float], None] | None = None,
) -> dict[str, Any]:
    """POST ``body`` and return the JSON reply.

    Retries 429, 5xx and connection errors with exponential backoff and jitter
    (or the server's Retry-After, in seconds or as an HTTP date); other HTTP errors
    and exhausted retries are a SuiteError that names the URL. ``on_retry(reason,
    wait_s)`` is told of each failed attempt that is retried.
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
                if attempt:  # a retried failure (429, 5xx) that never went away
                    raise SuiteError(
                        f"{what} {url} still answered HTTP {e.code} after {attempt + 1} attempts {detail!r}; "
                        "it is overloaded or failing: try again later."
                    ) from None
                raise SuiteError(
                    f"{what} {url} answered HTTP {e.code} {detail!r}; check the URL, model name and key."
                ) from None
            retry_after = retry_after_s(e.headers.get("Retry-After") if e.headers else None)
            wait, reason = delay if retry_after is None else retry_after, f"HTTP {e.code}"
        except (urllib.error.URLError, OSError, ValueError) as e:
            if attempt == max_retries:
                raise SuiteError(
                    f"{what} {url} is unreachable or answered nonsense ({type(e).__name__}) "
                    f"after {attempt + 1} attempts; check that it is up."
                ) from None
            wait, reason = delay, type(e).__name__
        wait *= 1 + 0.25 * random.random()
        if on_retry is not None:
            on_retry(reason, wait)
        time.sleep(wait)
        delay *= 2
    raise AssertionError("unreachable")


MAX_RETRY_AFTER_S = 900.0
"""Longest Retry-After obeyed: a server asking for more is waited on this long, then asked again."""


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP date), capped; None if absent or bad."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a zone-less one is read as such
        when = when.replace(tzinfo=datetime.UTC)
    wait = when.timestamp() - (time.time() if now is None else now)
    return min(max(0.0, wait), MAX_RETRY_AFTER_S)


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
