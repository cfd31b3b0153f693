"""The streaming pool of killable grading workers: timeouts, worker deaths, bad input."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from suite.grading import Grade, GraderPool, GradingConfig, grade

T = "<think>\nsome reasoning\n</think>\n\n"
# Publicly reported to hang Math-Verify (huggingface/Math-Verify issue 65): a tower of powers.
HANG = T + r"\boxed{\dfrac{5^{\left(5^{\left(5^{\left(5^5\right)}\right)} - 4\right)} - 5}{16}}"
# Genuinely slow but finite: sympy sums 400 rationals on each side (seconds here), and the two
# sides differ as strings (k vs j), so only Math-Verify can decide.
SLOW = T + r"\boxed{\sum_{j=1}^{400} \frac{1}{j^2}}"
SLOW_GOLD = r"\sum_{k=1}^{400}\frac{1}{k^{2}}"


def test_a_hanging_input_costs_only_its_timeout_and_one_retry() -> None:
    with GraderPool(workers=2, config=GradingConfig(timeout_s=2, retry_timeout_s=2)) as pool:
        pool.grade_all([(T + r"\boxed{1}", "1", False)])  # workers are up
        items = [(T + f"\\boxed{{{i}}}", str(i), False) for i in range(40)]
        items.insert(5, (HANG, "7", False))
        start = time.monotonic()
        grades = pool.grade_all(items)
        elapsed = time.monotonic() - start
    hung = grades.pop(5)
    assert hung.timed_out and not hung.correct and hung.error == "grading took over 2s, and over 2s on a retry"
    assert hung.details == {"retried": True}
    assert all(g.correct for g in grades)
    # The other worker keeps grading while one is stuck: the batch ends soon after timeout and retry.
    assert elapsed < 2 + 2 + 6, elapsed


def test_an_answer_too_slow_for_the_first_limit_is_graded_on_its_retry() -> None:
    with GraderPool(workers=1, config=GradingConfig(timeout_s=0.3, retry_timeout_s=120)) as pool:
        pool.grade_all([(T + r"\boxed{1}", "1", False)])  # the worker is up
        pool.submit("slow", SLOW, SLOW_GOLD)
        pool.submit("quick", T + r"\boxed{\frac{1}{2}}", "0.5")
        results = list(pool.results())
    # Only final grades come back, and the retry waited until no first attempt was queued.
    assert [key for key, _ in results] == ["quick", "slow"]
    slow = results[1][1]
    assert slow.correct and slow.method == "math_verify" and not slow.timed_out
    assert slow.details == {"how": "boxed", "retried": True}


def test_without_retries_a_timeout_is_final() -> None:
    with GraderPool(workers=1, config=GradingConfig(timeout_s=0.3, retry_timeout_s=0)) as pool:
        pool.grade_all([(T + r"\boxed{1}", "1", False)])
        [slow] = pool.grade_all([(SLOW, SLOW_GOLD, False)])
    assert slow.timed_out and not slow.correct and slow.error == "grading took over 0.3s"


def test_retries_wait_for_fresh_answers_but_never_stall() -> None:
    with GraderPool(workers=1, config=GradingConfig(timeout_s=0.5, retry_timeout_s=1)) as pool:
        pool.grade_all([(T + r"\boxed{1}", "1", False)])
        pool.submit("hang", HANG, "7")
        for i in range(5):
            pool.submit(i, T + f"\\boxed{{{i}}}", str(i + 1))  # wrong, so Math-Verify has to decide
        keys = []
        for key, g in pool.results():
            keys.append(key)
            assert not g.correct
            if key == "hang":
                assert g.timed_out and g.error == "grading took over 0.5s, and over 1s on a retry"
        assert keys == [0, 1, 2, 3, 4, "hang"] and pool.pending == 0
        # A later answer still gets a worker: the killed one was replaced.
        assert pool.grade_all([(T + r"\boxed{2}", "2", False)])[0].correct


def test_in_process_grading_retries_a_math_verify_timeout_once() -> None:
    # Math-Verify's own limit (whole seconds, main thread) fires on the hanging input; the retry gets 1 s too.
    hung = grade(HANG, "7", config=GradingConfig(timeout_s=1, retry_timeout_s=1))
    assert hung.timed_out and not hung.correct and hung.details.get("retried") is True


def test_grades_stream_back_while_more_is_submitted() -> None:
    with GraderPool(workers=2) as pool:
        pool.submit("first", T + r"\boxed{\frac{1}{2}}", "0.5")
        key, first = pool.get(timeout=60) or (None, None)
        assert key == "first" and first is not None and first.correct
        assert pool.pending == 0
        pool.submit(("q", 1), T + r"\boxed{3}", "4")
        pool.submit(("q", 2), T + r"\boxed{4}", "4")
        results = dict(pool.results())
    assert results == {("q", 1): results[("q", 1)], ("q", 2): results[("q", 2)]}
    assert not results[("q", 1)].correct and results[("q", 2)].correct
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit("late", T + r"\boxed{1}", "1")


def test_a_worker_that_dies_costs_one_answer() -> None:
    with GraderPool(workers=1, config=GradingConfig(timeout_s=30)) as pool:
        pool.grade_all([(T + r"\boxed{1}", "1", False)])
        pool.submit("victim", HANG, "7")
        deadline = time.monotonic() + 30
        while pool._workers[0].task is None:  # wait until the worker has the task
            assert time.monotonic() < deadline
            time.sleep(0.01)
        pid = pool._workers[0].process.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        key, outcome = pool.get(timeout=30) or (None, None)
        assert key == "victim" and outcome == Grade(False, error="grader worker died")
        assert pool.grade_all([(T + r"\boxed{2}", "2", False)])[0].correct


@pytest.mark.parametrize(
    ("response", "gold", "expected"),
    [
        (None, "1", Grade(False, no_answer=True, error="response is NoneType, not text")),
        (42, "42", Grade(False, no_answer=True, error="response is int, not text")),
        (b"<think>x</think> \\boxed{1}", "1", Grade(False, no_answer=True, error="response is bytes, not text")),
        ("", "1", Grade(False, no_answer=True, truncated=True, error="response is empty")),
    ],
    ids=["none", "int", "bytes", "empty"],
)
def test_bad_responses_are_recorded_outcomes(response: object, gold: str, expected: Grade) -> None:
    assert grade(response, gold) == expected
    with GraderPool(workers=1) as pool:
        assert pool.grade_all([(response, gold, False)]) == [expected]


def test_odd_but_valid_inputs_never_raise() -> None:
    huge = T + ("blah " * 2_000_000) + r"\boxed{17}"  # ~10 MB
    surrogate = T + "\udcff\udcfe \\boxed{3}"  # undecodable bytes read with surrogateescape
    with GraderPool(workers=2) as pool:
        grades = pool.grade_all(
            [
                (huge, "17", False),
                (surrogate, "3", False),
                (T + r"\boxed{5}", r"\text{}", False),
                (T + "}{", "1", False),
            ]
        )
    assert grades[0].correct and grades[0].answer == "17"
    assert grades[1].correct
    assert not grades[2].correct and grades[2].error == "gold answer does not parse"
    assert not grades[3].correct and grades[3].no_answer
    for g in grades:
        assert Grade.from_json(json.loads(json.dumps(g.to_json()))) == g


def test_grading_config_is_recorded() -> None:
    recorded = GradingConfig(timeout_s=3).to_json()
    assert recorded["grader"] == "math-verify" and recorded["timeout_s"] == 3 and recorded["float_rounding"] == 6
    assert recorded["retry_timeout_s"] == 60
    assert recorded["math_verify_version"]


def test_grade_works_off_the_main_thread() -> None:
    import threading

    out: list[Grade] = []
    thread = threading.Thread(target=lambda: out.append(grade(T + r"\boxed{\frac{1}{2}}", "0.5")))
    thread.start()
    thread.join()
    assert out and out[0].correct
