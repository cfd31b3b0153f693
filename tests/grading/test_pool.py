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


def test_a_hanging_input_costs_only_its_timeout() -> None:
    with GraderPool(workers=2, config=GradingConfig(timeout_s=2)) as pool:
        pool.grade_all([(T + r"\boxed{1}", "1", False)])  # workers are up
        items = [(T + f"\\boxed{{{i}}}", str(i), False) for i in range(40)]
        items.insert(5, (HANG, "7", False))
        start = time.monotonic()
        grades = pool.grade_all(items)
        elapsed = time.monotonic() - start
    hung = grades.pop(5)
    assert hung.timed_out and not hung.correct and hung.error == "grading took over 2s"
    assert all(g.correct for g in grades)
    # The other worker keeps grading while one is stuck: the batch ends soon after the timeout.
    assert elapsed < 2 + 3, elapsed


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
    assert recorded["math_verify_version"]


def test_grade_works_off_the_main_thread() -> None:
    import threading

    out: list[Grade] = []
    thread = threading.Thread(target=lambda: out.append(grade(T + r"\boxed{\frac{1}{2}}", "0.5")))
    thread.start()
    thread.join()
    assert out and out[0].correct
