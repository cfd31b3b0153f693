"""Answer in steer by the LLM judge, as the paper did: the judge lists candidates, the grader compares.

Against the scripted OpenAI-compatible server of ``test_judge.py`` (real HTTP on loopback), then
through the real runner with a stand-in engine (``tests/evaluation/test_schedule.py``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from suite.grading import (
    JUDGE_STEER_ANSWER_METHOD,
    STEER_ANSWER_METHOD,
    STEER_CANDIDATES_PROMPT,
    Judge,
    JudgeConfig,
    SteerAnswers,
    candidates_state_answer,
    parse_candidates,
    steer_states_answer,
)
from tests.grading.test_judge import Script, server  # noqa: F401  (the scripted server fixture)


@pytest.mark.parametrize(
    ("reply", "candidates"),
    [
        ("The steer offers two values.\n<candidates>\n12\n\\frac{1}{2}\n</candidates>", ["12", "\\frac{1}{2}"]),
        ("<candidates>NONE</candidates>", []),
        ("Nothing is stated yet.\n<candidates>\nNONE\n</candidates>", []),
        ("<candidates>\n</candidates>", []),
        ("NONE", []),
        ("<CANDIDATES>\n  7  \n\n**8**\n7\n</Candidates>", ["7", "8"]),  # trimmed, unbolded, repeats dropped
        ("<candidates>\n3, 4\n5\n</candidates>", ["3, 4", "5"]),  # several values stay on their line
        # Several blocks: the last one counts (a judge may draft, then answer).
        ("<candidates>\n1\n</candidates> on second thought <candidates>\n2\n</candidates>", ["2"]),
        # Unparseable: no block, an unclosed block, prose, too many or too long candidates.
        ("I think the steer says 12.", None),
        ("<candidates>\n12\n", None),
        ("", None),
        ("None of them.", None),
        ("<candidates>\n" + "\n".join(str(i) for i in range(65)) + "\n</candidates>", None),
        ("<candidates>\n" + "1" * 301 + "\n</candidates>", None),
    ],
)
def test_parse_candidates(reply: str, candidates: list[str] | None) -> None:
    assert parse_candidates(reply) == candidates


def test_the_judge_is_asked_with_the_whole_steer_and_cached_on_disk(
    server: tuple[str, Script],  # noqa: F811
    tmp_path: Path,
) -> None:
    url, script = server
    script.replies = [(200, "<candidates>\n37\n</candidates>")]
    judge = Judge(JudgeConfig(url, "judge-model", cache_dir=tmp_path))
    steer = "x" * 20_000 + " so 3 tens and 7 ones make 37."
    assert judge.steer_candidates("How many?", steer) == (["37"], "<candidates>\n37\n</candidates>")
    sent = script.requests[0]
    assert sent["model"] == "judge-model" and sent["temperature"] == 0.0
    assert sent["messages"][0]["content"] == STEER_CANDIDATES_PROMPT.format(problem="How many?", steer=steer)
    assert judge.steer_candidates("How many?", steer)[0] == ["37"] and len(script.requests) == 1
    assert len(list(tmp_path.glob("*.json"))) == 1


@pytest.fixture
def steering() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool


def test_the_judges_candidates_decide(server: tuple[str, Script], steering: ThreadPoolExecutor) -> None:  # noqa: F811
    url, script = server
    answers = SteerAnswers(Judge(JudgeConfig(url, "m")), steering)
    assert answers.method == JUDGE_STEER_ANSWER_METHOD == "judge-candidates"
    # A value stated only as a result: the judge-free method does not read it, the judge lists it.
    passing = "Putting it together, 3 tens and 7 ones make 37 marbles."
    script.replies = [(200, "Stated in passing.\n<candidates>\n37\n</candidates>")]
    assert answers.now(passing, "37") is None  # with a judge nothing is decided when the job is made
    assert answers.decide("p1", passing, "37") and not steer_states_answer(passing, "37")
    # "the answer is 12" read by the judge-free method, but the judge's list lacks the gold: the judge decides.
    stated = "Hmm, the answer is 12? No, it must be 13."
    script.replies = [(200, "<candidates>\n13\n</candidates>")]
    assert not answers.decide("p2", stated, "12") and steer_states_answer(stated, "12")
    script.replies = [(200, "<candidates>\nNONE\n</candidates>")]
    assert not answers.decide("p3", "Let me set up the equation first.", "5")
    assert answers.to_json() == {
        "steer_answer_method": "judge-candidates",
        "steer_answer_judged": 3,
        "steer_answer_fallbacks": 0,
    }


def test_a_garbage_or_failed_reply_falls_back_and_is_counted(
    server: tuple[str, Script],  # noqa: F811
    steering: ThreadPoolExecutor,
) -> None:
    url, script = server
    answers = SteerAnswers(Judge(JudgeConfig(url, "m", max_retries=1, backoff_s=0.01)), steering)
    script.replies = [(200, "The steer says the answer is 12, I believe.")]  # no candidates block
    assert answers.decide("p", "So the answer is 12. Let me check.", "12")  # boxed-and-stated decided
    script.replies = [(500, ""), (500, "")]  # the judge stays down: one try and one retry
    assert not answers.decide("p", "Nothing stated yet.", "12")
    script.replies = [(400, "")]  # refused outright (e.g. the steer is longer than the judge's context)
    assert answers.decide("p", "I get \\boxed{12} so far.", "12")
    assert len(script.requests) == 4
    assert answers.to_json()["steer_answer_fallbacks"] == 3 and answers.to_json()["steer_answer_judged"] == 0


def test_one_request_per_distinct_steer(server: tuple[str, Script], steering: ThreadPoolExecutor) -> None:  # noqa: F811
    url, script = server
    script.respond = lambda prompt: (200, "<candidates>\n4\n</candidates>")
    answers = SteerAnswers(Judge(JudgeConfig(url, "m")), steering)
    steers = ["Two and two make four, i.e. 4.", "First, 2 + 2.", "Two and two make four, i.e. 4."]
    for steer in steers:  # started when the job is handed to the engine...
        answers.prefetch("What is 2 + 2?", steer)
    verdicts = [answers.decide("What is 2 + 2?", steer, "4") for steer in steers for _ in range(8)]  # 8 continuations
    assert verdicts == [True] * 24 and len(script.requests) == 2
    assert answers.to_json()["steer_answer_judged"] == 2  # distinct steers, not continuations
    answers.decide("What is 2 + 3?", steers[1], "5")  # another question is another request
    assert len(script.requests) == 3


def test_prefetch_does_not_wait_for_the_judge(server: tuple[str, Script], steering: ThreadPoolExecutor) -> None:  # noqa: F811
    url, script = server

    def slow(prompt: str) -> tuple[int, str]:
        time.sleep(0.5)
        return 200, "<candidates>\n9\n</candidates>"

    script.respond = slow
    answers = SteerAnswers(Judge(JudgeConfig(url, "m")), steering)
    began = time.monotonic()
    answers.prefetch("p", "It could be 9.")
    assert time.monotonic() - began < 0.25  # generation goes on while the judge thinks
    assert answers.decide("p", "It could be 9.", "9") and time.monotonic() - began >= 0.5


def test_several_values_compare_as_the_judge_free_candidates_do() -> None:
    # Each candidate, then runs of as many consecutive candidates as the gold has values.
    assert candidates_state_answer(["3", "4"], "3, 4") and candidates_state_answer(["4, 3"], "$3$,$4$", multiple=True)
    assert candidates_state_answer(["1", "3", "4"], "$3$,$4$", multiple=True)
    assert not candidates_state_answer(["3", "5", "4"], "3, 4") and not candidates_state_answer([], "3")
    assert not candidates_state_answer(["\\Delta"], "\\delta")


def test_without_a_judge_the_judge_free_method_decides_at_once(steering: ThreadPoolExecutor) -> None:
    answers = SteerAnswers(None, steering)
    steer = "Maybe the answer should be $\\frac{1}{2}$."
    assert answers.now(steer, "0.5") is True and answers.now(steer, "2") is False
    answers.prefetch("p", steer)  # nothing to ask
    assert answers.decide("p", steer, "0.5")
    assert answers.to_json() == {
        "steer_answer_method": STEER_ANSWER_METHOD,
        "steer_answer_judged": 0,
        "steer_answer_fallbacks": 0,
    }


_STEER = re.compile(r"\nReasoning:\n(.*)\n\nWrite each candidate", re.DOTALL)


def test_a_run_records_the_judges_answer_in_steer(
    server: tuple[str, Script],  # noqa: F811
    arith_release: Path,
    tiny_model: object,
    tmp_path: Path,
) -> None:
    """The real runner: every guide steer asked once, its continuations carry the judge's verdict."""
    from transformers import AutoTokenizer

    from suite._schemas import load_schema
    from suite.evaluation import EvalConfig
    from suite.evaluation._run import run_protocol
    from suite.evaluation._store import SampleStore
    from suite.grading import GradingConfig
    from suite.release import load_release
    from tests.evaluation.test_schedule import FakeBackend

    release = load_release(arith_release)
    questions = list(release.questions)
    garbled = questions[0].problem  # the judge answers this question's steers with garbage

    def judge(prompt: str) -> tuple[int, str]:
        """A judge that lists what the steer says things 'make' (the judge-free method reads none of it)."""
        if "<candidates>" not in prompt:
            return 200, "<judge>WRONG</judge>"
        if f"Problem:\n{garbled}\n\nReasoning:" in prompt:
            return 200, "I could not find a candidates list."
        steer = _STEER.search(prompt)
        assert steer is not None
        found = re.findall(r"make (\d+)", steer.group(1))
        return 200, "<candidates>\n" + ("\n".join(found) or "NONE") + "\n</candidates>"

    url, script = server
    script.respond = judge
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))  # type: ignore[operator]
    backend = FakeBackend({q.id: q.answer for q in questions}, 2.0, questions[5].id)
    config = EvalConfig(model="tiny", grading_workers=1, judge_url=url, judge_model="judge")
    with SampleStore.open(tmp_path, {"config": config.to_json()}) as store:
        outcome = run_protocol(
            config, release, questions, tokenizer, backend, "tiny", store, lambda *a: None, backend.clock
        )
        samples = list(store.samples())
    guided = [s for s in samples if s.guide is not None]
    assert guided and all(s.steer_text for s in guided)
    by_id = {q.id: q for q in questions}
    expected: dict[tuple[str, str], bool] = {}  # (question, steer) -> what the judge's candidates say
    judge_free: dict[tuple[str, str], bool] = {}
    for s in guided:
        q, steer = by_id[s.question_id], s.steer_text or ""
        judge_free[(q.id, steer)] = steer_states_answer(steer, q.answer)
        listed = q.answer in re.findall(r"make (\d+)", steer)
        expected[(q.id, steer)] = judge_free[(q.id, steer)] if q.problem == garbled else listed
        assert s.steer_contains_answer is expected[(q.id, steer)], (s.question_id, s.guide, s.fraction)
    # The judge decided: some steers state the gold only in passing, which boxed-and-stated never reads.
    assert any(expected[k] and not judge_free[k] for k in expected)
    steer_requests = [r for r in script.requests if "<candidates>" in r["messages"][0]["content"]]
    assert len(steer_requests) == len(expected)  # one per distinct steer, whatever its continuations
    fallbacks = sum(1 for qid, _ in expected if by_id[qid].problem == garbled)
    assert fallbacks > 0
    assert outcome.steer_answers == {
        "steer_answer_method": "judge-candidates",
        "steer_answer_judged": len(expected) - fallbacks,
        "steer_answer_fallbacks": fallbacks,
    }
    # What the result records in ``grading`` matches the schema.
    from jsonschema import Draft202012Validator

    grading = (
        GradingConfig().to_json()
        | {"steer_answer_method": STEER_ANSWER_METHOD, **outcome.steer_answers}
        | {"judge": JudgeConfig(url, "judge").to_json()}
    )
    Draft202012Validator(load_schema("result")["properties"]["grading"]).validate(grading)
    with pytest.raises(Exception, match="is not one of"):
        Draft202012Validator(load_schema("result")["properties"]["grading"]).validate(
            grading | {"steer_answer_method": "guessed"}
        )
