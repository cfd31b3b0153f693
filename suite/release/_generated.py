"""The folder a chat-endpoint guide generation writes (``suite guides generate``) and ``add-guide`` reads (pure).

- ``generation.json``: ``{"model", "base_url", "date", "sampling": {"temperature", "top_p", "top_k",
  "max_tokens"}, "release": {"version", "manifest_sha256"}, "reasoning_field"}``;
- ``samples.jsonl``: one object a line, ``{"question_id", "sample", "reasoning", "content", "finish_reason",
  "prompt_tokens", "completion_tokens", "correct"}``.

The thinking is ``reasoning`` (the endpoint's ``reasoning_content`` or ``reasoning`` field), the answer is
``content``. ``correct`` is the generator's own grade: ``add-guide`` grades again and never reads it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from suite._errors import SuiteError
from suite.release._records import Sampling

GENERATION = "generation.json"
SAMPLES = "samples.jsonl"
REASONING_FIELDS = ("reasoning_content", "reasoning")
"""Where OpenAI-compatible endpoints put the reasoning: DeepSeek and vLLM's parser, OpenRouter."""


@dataclass(frozen=True)
class Generation:
    """``generation.json``: what was asked of which endpoint, for which release."""

    model: str
    """The model name the endpoint was asked for."""
    base_url: str
    """The endpoint's base URL (refused when it carries credentials)."""
    date: str
    """ISO date (or date and time) of the generation."""
    sampling: Sampling
    """The sampling every request asked for (None where not set)."""
    release_version: str
    """Version of the release whose questions were asked."""
    release_manifest_sha256: str
    """sha256 of that release's manifest: the folder belongs to that release only."""
    reasoning_field: str
    """``reasoning_content`` or ``reasoning``: the message field the reasoning came from."""


@dataclass(frozen=True)
class GeneratedSample:
    """One line of ``samples.jsonl``: one chat completion for one release question."""

    question_id: str
    """Release question id."""
    sample: int
    """Index among the question's samples."""
    reasoning: str | None
    """The endpoint's reasoning field (the guide's thinking)."""
    content: str | None
    """The message content (the guide's answer)."""
    finish_reason: str | None
    """``stop`` when the model finished; anything else is not a complete trajectory."""
    prompt_tokens: int | None
    """Prompt tokens the endpoint reported."""
    completion_tokens: int | None
    """Completion tokens (reasoning and answer) the endpoint reported."""


def parse_generation(value: Any, where: str) -> Generation:
    """``generation.json`` checked field by field (SuiteError naming the first bad field)."""
    if not isinstance(value, dict):
        raise SuiteError(f"{where} is not a JSON object; regenerate it with `suite guides generate`.")
    sampling, release = value.get("sampling"), value.get("release")
    checks: list[tuple[str, bool]] = [
        ("model", _text(value.get("model"))),
        ("base_url", _text(value.get("base_url"))),
        ("date", _text(value.get("date")) and _iso_date(value["date"])),
        ("sampling", isinstance(sampling, dict)),
        ("release", isinstance(release, dict)),
        ("reasoning_field", value.get("reasoning_field") in REASONING_FIELDS),
    ]
    if isinstance(sampling, dict):
        # A missing key reads as False, which no check accepts: every sampling field must be present (null allowed).
        temperature, top_p = sampling.get("temperature", False), sampling.get("top_p", False)
        top_k, max_tokens = sampling.get("top_k", False), sampling.get("max_tokens", False)
        checks += [
            ("sampling.temperature", _number(temperature) and (temperature is None or temperature >= 0)),
            ("sampling.top_p", _number(top_p) and (top_p is None or 0 <= top_p <= 1)),
            ("sampling.top_k", top_k is None or (isinstance(top_k, int) and not isinstance(top_k, bool))),
            ("sampling.max_tokens", _count(max_tokens) and max_tokens != 0),
        ]
    if isinstance(release, dict):
        digest = release.get("manifest_sha256")
        checks += [
            ("release.version", _text(release.get("version"))),
            ("release.manifest_sha256", isinstance(digest, str) and bool(re.fullmatch(r"[0-9a-f]{64}", digest))),
        ]
    bad = next((name for name, ok in checks if not ok), None)
    if bad is not None:
        raise SuiteError(f"{where} has a missing or malformed {bad}; regenerate it with `suite guides generate`.")
    assert isinstance(sampling, dict) and isinstance(release, dict)
    url = urlsplit(value["base_url"])
    if url.scheme not in ("http", "https") or not url.hostname or url.username or url.password or url.query:
        raise SuiteError(
            f"{where}: base_url must be a plain http(s) URL without credentials or query, as it is published "
            "in the release manifest; regenerate with the key in --api-key-env."
        )
    return Generation(
        model=value["model"],
        base_url=value["base_url"],
        date=value["date"],
        sampling=Sampling(sampling["temperature"], sampling["top_p"], sampling["top_k"], sampling["max_tokens"]),
        release_version=release["version"],
        release_manifest_sha256=release["manifest_sha256"],
        reasoning_field=value["reasoning_field"],
    )


def parse_sample(row: dict[str, Any], where: str) -> GeneratedSample:
    """One ``samples.jsonl`` line checked field by field."""
    checks = [
        ("question_id", _text(row.get("question_id"))),
        ("sample", _count(row.get("sample")) and row.get("sample") is not None),
        ("reasoning", isinstance(row.get("reasoning"), str | None)),
        ("content", isinstance(row.get("content"), str | None)),
        ("finish_reason", isinstance(row.get("finish_reason"), str | None)),
        ("prompt_tokens", _count(row.get("prompt_tokens"))),
        ("completion_tokens", _count(row.get("completion_tokens"))),
    ]
    bad = next((name for name, ok in checks if not ok), None)
    if bad is not None:
        raise SuiteError(f"{where} has a missing or malformed {bad}; fix the line or regenerate the folder.")
    return GeneratedSample(
        row["question_id"],
        row["sample"],
        row.get("reasoning"),
        row.get("content"),
        row.get("finish_reason"),
        row.get("prompt_tokens"),
        row.get("completion_tokens"),
    )


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _number(value: Any) -> bool:
    """A JSON number or null (never a boolean)."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _count(value: Any) -> bool:
    """A non-negative integer or null (never a boolean)."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _iso_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value[:10])
        if len(value) > 10:
            datetime.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
