"""The pure parts: reading a chat reply defensively, Retry-After, the saved records and their comparison."""

from __future__ import annotations

import dataclasses
import email.utils
import json
from typing import Any

import pytest

from suite._errors import SuiteError
from suite._http import MAX_RETRY_AFTER_S, retry_after_s
from suite.grading import Grade
from suite.guides import ChatEndpoint, Generation, GuideSample, Plan, Sampling, read_reply
from suite.guides._records import plan_difference
from tests.guides.conftest import chat_reply

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),  # a date in the past: go now
        ("99999999", MAX_RETRY_AFTER_S),  # a hostile server cannot park the run for years
        ("-5", None),
        ("soon", None),
        ("1.5", None),  # not delay-seconds (RFC 9110: digits only)
        ("", None),
        (None, None),
    ],
)
def test_retry_after(header: str | None, wait: float | None) -> None:
    assert retry_after_s(header, now=NOW) == wait


def test_reply_fields_are_read_and_hostile_values_dropped() -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": True, "cost": float("nan")}
    reply = read_reply(chat_reply("think", "\\boxed{1}", usage=usage), "http://x/v1/chat/completions")
    assert (reply.reasoning, reply.reasoning_field, reply.content) == ("think", "reasoning_content", "\\boxed{1}")
    assert (reply.prompt_tokens, reply.completion_tokens, reply.cost) == (11, None, None)
    assert read_reply(chat_reply("t", "a", usage={"cost": -1}), "u").cost is None
    assert read_reply(chat_reply("t", "a", usage={"cost": 0.5}), "u").cost == 0.5
    assert read_reply(chat_reply("t", "a", field_name="reasoning"), "u").reasoning_field == "reasoning"
    both = chat_reply("deepseek", "a")
    both["choices"][0]["message"]["reasoning"] = "other"
    assert read_reply(both, "u").reasoning == "deepseek"  # reasoning_content first, as DeepSeek names it
    nothing = read_reply(chat_reply(None, "<think>x</think> 1", field_name="reasoning"), "u")
    assert nothing.reasoning is None and nothing.reasoning_field is None


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ({"error": {"message": "model not found"}}, "answered without a message (it said 'model not found')"),
        ({"choices": []}, "answered without a message;"),
        ({"choices": [{"message": "hi"}]}, "answered without a message;"),
        ({"choices": [{"message": {"content": [{"type": "text"}]}}]}, "whose content is not text"),
    ],
)
def test_replies_without_a_text_message_are_one_sentence(reply: dict[str, Any], words: str) -> None:
    with pytest.raises(SuiteError, match="endpoint http://x/v1/chat/completions") as caught:
        read_reply(reply, "http://x/v1/chat/completions")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("127.0.0.1:8000/v1", "is not an http(s) URL"),
        ("ftp://host/v1", "is not an http(s) URL"),
        ("https://user:sk-secret@host/v1", "must not carry credentials"),
        ("https://host/v1?key=sk-secret", "must not carry credentials"),
    ],
)
def test_base_urls_that_would_leak_or_fail_are_refused(url: str, words: str) -> None:
    with pytest.raises(SuiteError, match="base-url") as caught:
        ChatEndpoint(url, "m")
    assert words in str(caught.value) and "sk-secret" not in str(caught.value)


PLAN = Plan("m", "http://h/v1", Sampling(0.6, 0.95, None, 100), "1.0.0", "a" * 64, 8, None, 2, ("q/1", "q/2"))


def test_generation_and_sample_round_trip_through_json() -> None:
    generation = Generation(PLAN, "2026-01-02", "reasoning", "0.1.0")
    assert Generation.from_json(json.loads(json.dumps(generation.to_json()))) == generation
    truncated = Grade(False, no_answer=True, truncated=True)
    sample = GuideSample("q/1", 3, "r", None, "length", 5, 100, False, truncated, None, 2, 1.5, None)
    assert GuideSample.from_json(json.loads(json.dumps(sample.to_json()))) == sample


def test_saved_lines_that_lie_are_rejected() -> None:
    good = GuideSample(
        "q/1", 0, "r", "\\boxed{1}", "stop", 5, 10, True, Grade(True, "1", "string_match"), None, 1, 0.5, "m"
    )
    row = good.to_json()
    for broken in (
        {**row, "correct": False},  # disagrees with its grade
        {**row, "sample": True},
        {**row, "sample": "0"},
        {**row, "completion_tokens": 1.5},
        {key: v for key, v in row.items() if key != "content"},
        {**row, "grade": {"correct": True, "verdict": "yes"}},
    ):
        with pytest.raises(ValueError):
            GuideSample.from_json(broken)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"model": "other"}, "model ('m', now 'other')"),
        ({"samples": 4}, "samples (8, now 4)"),
        ({"sampling": Sampling(0.6, 0.95, None, 200)}, "max_tokens (100, now 200)"),
        ({"release_sha256": "b" * 64}, "release_sha256"),
        ({"question_ids": ("q/1",)}, "question list (2 questions, now 1)"),
    ],
)
def test_plans_differ_by_the_first_argument_that_changed(change: dict[str, Any], words: str) -> None:
    assert plan_difference(PLAN, PLAN) is None
    assert words in (plan_difference(PLAN, dataclasses.replace(PLAN, **change)) or "")
