"""``suite guides generate`` against a scripted chat endpoint on loopback (real sockets, ``http.server``)."""

from __future__ import annotations

import email.utils
import hashlib
import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from suite.guides import ChatEndpoint, generate_guides
from suite.release import load_release
from tests.guides.conftest import Reply, Script, chat_reply
from tests.test_cli import run_suite

GENERATION_KEYS = {"model", "base_url", "date", "sampling", "release", "reasoning_field"}
SAMPLE_KEYS = {
    "question_id",
    "sample",
    "reasoning",
    "content",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
    "correct",
}


def golds(release: Path) -> dict[str, tuple[str, str]]:
    """Problem text -> (question id, gold answer)."""
    return {q.problem: (q.id, q.answer) for q in load_release(release).questions}


def answering(release: Path) -> Any:
    """A scripted guide: reasoning that names the question, the gold boxed on even samples, a wrong one else.

    The endpoint cannot see the sample index, so it alternates per question as requests arrive.
    """
    table = golds(release)
    seen: dict[str, int] = {}

    def answer(body: dict[str, Any]) -> Reply:
        problem = body["messages"][0]["content"]
        qid, gold = table[problem]
        n = seen[qid] = seen.get(qid, -1) + 1
        value = gold if n % 2 == 0 else str(int(gold) + 1)
        usage = {"prompt_tokens": 20, "completion_tokens": 40 + n, "total_tokens": 60 + n, "cost": 0.0025}
        return (
            200,
            {},
            chat_reply(f"Reasoning about {qid}.\n\nDone.", f"The answer is $\\boxed{{{value}}}$.", usage=usage),
        )

    return answer


def generate(url: str, release: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_suite(
        "guides", "generate", "scripted/guide", "--release", str(release), "--base-url", url, "--out", str(out), *extra
    )


def lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]


def one_sentence(stderr: str) -> str:
    assert "Traceback" not in stderr
    text = " ".join(stderr.split())
    assert text.startswith("error: ") and text.count(". ") == 0, text
    return text


def test_every_sample_is_saved_in_the_documented_format(
    endpoint: tuple[str, Script], arith_release: Path, tmp_path: Path
) -> None:
    url, script = endpoint
    script.answer = answering(arith_release)
    out = tmp_path / "guide"
    result = generate(url, arith_release, out, "--limit", "3", "--samples", "2", "--max-tokens", "123")
    assert result.returncode == 0, result.stderr
    release = load_release(arith_release)
    asked = [q for q in release.questions][:3]

    generation = json.loads((out / "generation.json").read_text())
    assert set(generation) >= GENERATION_KEYS
    assert generation["model"] == "scripted/guide" and generation["base_url"] == url
    assert generation["sampling"] == {"temperature": 0.6, "top_p": 0.95, "top_k": None, "max_tokens": 123}
    assert generation["release"] == {"version": release.version, "manifest_sha256": release.manifest_sha256}
    assert generation["reasoning_field"] == "reasoning_content"
    assert generation["date"] == time.strftime("%Y-%m-%d", time.gmtime())
    assert generation["questions"]["ids"] == [q.id for q in asked]

    rows = lines(out)
    assert all(set(row) >= SAMPLE_KEYS for row in rows)
    assert sorted((r["question_id"], r["sample"]) for r in rows) == sorted((q.id, i) for q in asked for i in (0, 1))
    for row in rows:
        assert row["reasoning"] == f"Reasoning about {row['question_id']}.\n\nDone."
        gold = next(q.answer for q in asked if q.id == row["question_id"])
        # Whatever the sample index, the endpoint's first reply per question was right and the second wrong.
        assert row["correct"] == (row["content"] == f"The answer is $\\boxed{{{gold}}}$.")
        assert row["grade"]["answer"] in (gold, str(int(gold) + 1))
        assert row["prompt_tokens"] == 20 and row["completion_tokens"] in (40, 41) and row["cost"] == 0.0025
        assert row["attempts"] == 1 and row["finish_reason"] == "stop" and row["served_model"] == "scripted/guide"
    assert sum(r["correct"] for r in rows) == 3

    bodies = [body for _, body, _ in script.requests]
    assert len(bodies) == 6
    assert all(set(b) == {"model", "messages", "temperature", "top_p", "top_k", "max_tokens"} for b in bodies)
    assert all(b["messages"] == [{"role": "user", "content": b["messages"][0]["content"]}] for b in bodies)
    assert all((b["temperature"], b["top_p"], b["top_k"], b["max_tokens"]) == (0.6, 0.95, 0, 123) for b in bodies)
    assert all("Authorization" not in h for _, _, h in script.requests)  # no key unless --api-key-env
    summary = " ".join(result.stdout.split())
    assert "questions: 3, samples: 6/6 (0 resumed), correct: 3 (50.0%), questions solved: 3/3" in summary
    assert "completion 243" in summary and "cost: $0.0150" in summary and "message.reasoning_content" in summary


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_429_waits_as_long_as_retry_after_says(
    endpoint: tuple[str, Script], arith_release: Path, tmp_path: Path, form: str
) -> None:
    url, script = endpoint
    script.answer = answering(arith_release)

    def too_many(body: dict[str, Any]) -> Reply:
        later = "2" if form == "seconds" else email.utils.formatdate(time.time() + 3, usegmt=True)
        return 429, {"Retry-After": later}, {"error": {"message": "rate limited"}}

    script.steps = [too_many]
    out = tmp_path / "guide"
    result = generate(url, arith_release, out, "--limit", "1", "--samples", "1")
    assert result.returncode == 0, result.stderr
    (first, _, _), (second, _, _) = script.requests
    assert second - first >= 2.0  # an HTTP date has whole seconds: 3 s ahead is at least 2 s
    assert [r["attempts"] for r in lines(out)] == [2]


def test_5xx_backs_off_exponentially_then_succeeds(
    endpoint: tuple[str, Script], arith_release: Path, tmp_path: Path
) -> None:
    url, script = endpoint
    script.answer = answering(arith_release)

    def failing(code: int) -> Any:
        return lambda body: (code, {}, {"error": {"message": "busy"}})

    script.steps = [failing(code) for code in (500, 502, 503)]
    summary = generate_guides(
        ChatEndpoint(url, "scripted/guide", max_attempts=4, backoff_s=0.1), arith_release, tmp_path / "g", 1, limit=1
    )
    times = [t for t, _, _ in script.requests]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4 and gaps[0] >= 0.1 and gaps[1] >= 0.2 and gaps[2] >= 0.4
    assert summary.samples == 1 and summary.retries == 3
    assert [r["attempts"] for r in lines(tmp_path / "g")] == [4]


def test_failures_past_the_attempt_cap_are_one_sentence(
    endpoint: tuple[str, Script], arith_release: Path, tmp_path: Path
) -> None:
    url, script = endpoint
    script.answer = lambda body: (503, {"Retry-After": "0"}, {"error": {"message": "overloaded"}})
    out = tmp_path / "guide"
    result = generate(url, arith_release, out, "--limit", "2", "--max-attempts", "3")
    assert result.returncode == 2
    text = one_sentence(result.stderr)
    assert f"endpoint {url}/chat/completions still answered HTTP 503 after 3 attempts" in text
    assert len(script.requests) == 3  # the first request goes alone: one request's attempts, not 16
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_reply_without_reasoning_stops_at_once_and_writes_nothing(
    endpoint: tuple[str, Script], arith_release: Path, tmp_path: Path
) -> None:
    url, script = endpoint
    # What vLLM answers when started without --reasoning-parser: the thinking inside the content.
    script.answer = lambda body: (
        200,
        {},
        chat_reply(None, "<think>\nAdd them.\n</think>\n\n\\boxed{3}", field_name="reasoning"),
    )
    out = tmp_path / "guide"
    result = generate(url, arith_release, out, "--concurrency", "8")
    assert result.returncode == 2
    text = one_sentence(result.stderr)
    assert f"endpoint {url}/chat/completions answered model 'scripted/guide' without the reasoning" in text
    assert "message.reasoning_content or message.reasoning" in text
    assert len(script.requests) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_crash_loses_nothing_and_the_rerun_duplicates_nothing(
    endpoint: tuple[str, Script], arith_release: Path, tmp_path: Path
) -> None:
    url, script = endpoint
    script.answer = answering(arith_release)
    script.hold_after = 5  # then every request hangs: the run is mid-way when killed
    out = tmp_path / "guide"
    command = [sys.executable, "-m", "suite.cli", "guides", "generate", "scripted/guide"]
    command += ["--release", str(arith_release), "--base-url", url, "--out", str(out)]
    command += ["--limit", "4", "--samples", "3", "--concurrency", "3"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (out / "samples.jsonl").exists() or len(lines(out)) < 5:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = (out / "samples.jsonl").read_bytes()
    saved = {(r["question_id"], r["sample"]) for r in lines(out)}
    assert len(saved) == 5
    with (out / "samples.jsonl").open("ab") as f:  # a write the crash tore in half
        f.write(b'{"question_id": "arith/x", "sample": 0, "reaso')
    generation = (out / "generation.json").read_bytes()

    script.hold_after = None
    script.release.set()
    asked_before = len(script.requests)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    after = (out / "samples.jsonl").read_bytes()
    assert after.startswith(before) and b"reaso\n" not in after and after.endswith(b"}\n")
    keys = [(r["question_id"], r["sample"]) for r in lines(out)]
    assert len(keys) == len(set(keys)) == 12
    assert saved <= set(keys)
    assert len(script.requests) - asked_before == 12 - 5  # only the missing samples were asked for
    assert (out / "generation.json").read_bytes() == generation
    assert "(5 resumed)" in " ".join(result.stdout.split())


def test_a_rerun_skips_everything_and_other_arguments_are_refused(
    endpoint: tuple[str, Script], arith_release: Path, tmp_path: Path
) -> None:
    url, script = endpoint
    script.answer = answering(arith_release)
    out = tmp_path / "guide"
    assert generate(url, arith_release, out, "--limit", "2", "--samples", "2").returncode == 0
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    asked = len(script.requests)

    again = generate(url, arith_release, out, "--limit", "2", "--samples", "2")
    assert again.returncode == 0 and "samples: 4/4 (4 resumed)" in " ".join(again.stdout.split())
    refused = generate(url, arith_release, out, "--limit", "2", "--samples", "3")
    assert refused.returncode == 2
    assert f"{out} holds a guide generation with a different samples (2, now 3)" in one_sentence(refused.stderr)
    other_model = run_suite(
        "guides", "generate", "other", "--release", str(arith_release), "--base-url", url, "--out", str(out)
    )
    assert "different model ('scripted/guide', now 'other')" in one_sentence(other_model.stderr)
    assert len(script.requests) == asked
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()} == files

    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    refused = generate(url, arith_release, stranger)
    assert refused.returncode == 2 and "is not empty and holds no generation.json" in one_sentence(refused.stderr)


def test_the_key_comes_from_the_named_variable(
    endpoint: tuple[str, Script], arith_release: Path, tmp_path: Path
) -> None:
    import os

    url, script = endpoint
    script.answer = answering(arith_release)
    env = os.environ | {"GUIDE_KEY": "sk-guide"}
    result = run_suite(
        "guides",
        "generate",
        "scripted/guide",
        "--release",
        str(arith_release),
        "--base-url",
        url,
        "--out",
        str(tmp_path / "g"),
        "--limit",
        "1",
        "--samples",
        "1",
        "--api-key-env",
        "GUIDE_KEY",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert script.requests[0][2]["Authorization"] == "Bearer sk-guide"
    missing = run_suite(
        "guides",
        "generate",
        "m",
        "--release",
        str(arith_release),
        "--base-url",
        url,
        "--out",
        str(tmp_path / "h"),
        "--api-key-env",
        "NO_SUCH_KEY_VARIABLE",
    )
    assert "environment variable NO_SUCH_KEY_VARIABLE (--api-key-env) is empty" in one_sentence(missing.stderr)
