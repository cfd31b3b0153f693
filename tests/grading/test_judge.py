"""The LLM judge: verdict parsing, retries, the on-disk cache, and which grades it may change.

Retry behaviour is tested against a scripted OpenAI-compatible server on loopback
(real HTTP, real sockets); ``test_judge_vllm.py`` runs the judge against ``vllm serve``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from suite._errors import SuiteError
from suite.grading import Grade
from suite.grading._judge import (
    JUDGE_PROMPT,
    JUDGE_REGION_CHARS,
    STEER_CANDIDATES_PROMPT,
    Judge,
    JudgeConfig,
    judge_region,
    parse_verdict,
)


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("The answers agree. <judge>CORRECT</judge>", "CORRECT"),
        ("They differ.\n<judge>WRONG</judge>", "WRONG"),
        ("<judge> correct </judge>", "CORRECT"),
        ("First I thought <judge>CORRECT</judge> but no: <judge>WRONG</judge>", "WRONG"),
        ("I think it is correct.", "UNPARSEABLE"),
        ("<judge>MAYBE</judge>", "UNPARSEABLE"),
        ("", "UNPARSEABLE"),
    ],
)
def test_parse_verdict(reply: str, verdict: str) -> None:
    assert parse_verdict(reply) == verdict


class Script:
    """Replies the fake server gives, in order (then ``respond(prompt)`` if set); records what it was asked."""

    def __init__(self, replies: list[tuple[int, str]]) -> None:
        self.replies = replies
        self.respond: Callable[[str], tuple[int, str]] | None = None
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script([])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            request = json.loads(self.rfile.read(length))
            with script.lock:  # the server answers concurrent requests in threads
                script.requests.append(request)
                script.headers.append(dict(self.headers))
                scripted = script.replies.pop(0) if script.replies else None
            if scripted is None and script.respond is not None:
                scripted = script.respond(request["messages"][0]["content"])
            status, text = scripted or (200, "<judge>WRONG</judge>")
            body = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", script
    httpd.shutdown()


WRONG = Grade(False, answer="1/2", method="math_verify")
REGION = "\n\nHalving one gives one part of two equal parts.\n\n**Final Answer**\nOne half, i.e. $1/2$."


def test_retries_then_caches(server: tuple[str, Script], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, script = server
    monkeypatch.setenv("JUDGE_KEY", "sk-test")
    script.replies = [(429, ""), (503, ""), (200, "Same value. <judge>CORRECT</judge>")]
    judge = Judge(JudgeConfig(url, "judge-model", api_key_env="JUDGE_KEY", cache_dir=tmp_path, backoff_s=0.01))
    regraded = judge.recheck("What is half of one?", "0.5", WRONG, REGION)
    assert regraded == Grade(True, answer="1/2", method="judge", judge_verdict="CORRECT")
    assert len(script.requests) == 3
    sent = script.requests[-1]
    assert sent["model"] == "judge-model" and sent["temperature"] == 0.0
    # The judge reads the whole answer region (stripped), not only the extracted answer.
    assert sent["messages"][0]["content"] == JUDGE_PROMPT.format(
        problem="What is half of one?", gold="0.5", region=REGION.strip()
    )
    assert script.headers[-1]["Authorization"] == "Bearer sk-test"
    # The same question again is answered from the cache: no new request.
    assert judge.recheck("What is half of one?", "0.5", WRONG, REGION).correct
    assert len(script.requests) == 3
    assert len(list(tmp_path.glob("*.json"))) == 1
    # Another region of the same answer is another question to the judge.
    judge.recheck("What is half of one?", "0.5", WRONG, REGION + " Or 0.5.")
    assert len(script.requests) == 4 and len(list(tmp_path.glob("*.json"))) == 2


def test_the_judge_reads_the_end_of_a_long_region(server: tuple[str, Script]) -> None:
    url, script = server
    region = "x" * 10_000 + "\n\nThe answer is $\\frac{1}{2}$."
    Judge(JudgeConfig(url, "m")).recheck("p", "0.5", WRONG, region)
    sent = script.requests[-1]["messages"][0]["content"]
    assert judge_region(region) == region[-JUDGE_REGION_CHARS:] and judge_region(region) in sent
    assert "x" * (JUDGE_REGION_CHARS + 1) not in sent


def test_a_missed_answer_is_rechecked_from_the_region(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [(200, "<judge>CORRECT</judge>")]
    missed = Grade(False, no_answer=True, details={"how": "math-verify"})
    regraded = Judge(JudgeConfig(url, "m")).recheck("p", "east", missed, "She ends up facing east.")
    assert regraded.correct and regraded.method == "judge" and len(script.requests) == 1


def test_unparseable_counts_wrong_and_is_flagged(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [(200, "hmm, hard to say")]
    regraded = Judge(JudgeConfig(url, "m")).recheck("p", "2", WRONG)
    assert not regraded.correct and regraded.judge_verdict == "UNPARSEABLE" and regraded.method == "math_verify"


def test_only_wrong_complete_answers_are_rechecked(server: tuple[str, Script]) -> None:
    url, script = server
    judge = Judge(JudgeConfig(url, "m"))
    for grade in (Grade(True, "2", "math_verify"), Grade(False, truncated=True), Grade(False, no_answer=True)):
        assert judge.recheck("p", "2", grade) == grade
        assert judge.recheck("p", "2", grade, " \n ") == grade
    assert judge.recheck("p", "2", Grade(True, "2", "math_verify"), "The answer is 2.").correct
    assert script.requests == []


def test_giving_up_keeps_the_grade_and_says_why(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [(500, "")] * 3
    judge = Judge(JudgeConfig(url, "m", max_retries=2, backoff_s=0.01))
    regraded = judge.recheck("p", "2", WRONG)
    assert not regraded.correct and regraded.error is not None and "HTTP 500" in regraded.error
    with pytest.raises(SuiteError, match="HTTP 401"):
        script.replies = [(401, "")]
        judge.verdict("p", "2", "3")


def test_unreachable_server(tmp_path: Path) -> None:
    judge = Judge(JudgeConfig("http://127.0.0.1:9/v1", "m", max_retries=1, backoff_s=0.01))
    with pytest.raises(SuiteError, match="unreachable"):
        judge.verdict("p", "2", "3")


def test_recheck_all_keeps_order_and_config_is_recorded(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [(200, "<judge>WRONG</judge>")] * 6
    judge = Judge(JudgeConfig(url, "m", concurrency=3))
    grades = judge.recheck_all(
        [("p", "2", Grade(False, answer=str(i), method="math_verify"), f"So it is {i}.") for i in range(6)]
    )
    assert [g.answer for g in grades] == [str(i) for i in range(6)]
    assert all(g.judge_verdict == "WRONG" for g in grades)
    recorded = judge.config.to_json()
    assert recorded["judge_model"] == "m" and len(recorded["judge_prompt_sha256"]) == 64
    # Both prompts are recorded by hash: the examiner's and the answer-in-steer candidate extraction's.
    assert recorded["steer_candidates_prompt_sha256"] == hashlib.sha256(STEER_CANDIDATES_PROMPT.encode()).hexdigest()
    assert recorded["steer_candidates_prompt_sha256"] != recorded["judge_prompt_sha256"]
