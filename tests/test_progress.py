"""The live display's state (pure, on a fake clock) and the hf backend's per-token-step reports (a real tiny model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from suite._progress import RunProgress, TokenRate, render, table_column
from suite.backends._base import Completion, Request, SamplingConfig
from suite.evaluation._plan import PlannedTest


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("key", "test"),
    [
        ("solo/math500/1", "solo"),
        ("recoverability/individual/arith/3/0.2", "recoverability_individual"),
        ("recoverability/shared/arith/3/0", "recoverability_shared"),
        ("guidability/individual/q/oracle/0.4/2", "guidability_individual"),
        ("guidability/shared/q/oracle/0.4/2", "guidability_shared"),
        ("control/control/q/oracle/0.8/0", "control"),
    ],
)
def test_a_request_key_names_its_test_of_table_1(key: str, test: str) -> None:
    assert table_column(key) == test


def test_tokens_per_second_counts_only_the_recent_window() -> None:
    rate = TokenRate(window=10)
    assert rate.per_second(0) is None
    rate.add(0, 1000)  # e.g. a burst long ago
    for t in range(20, 31):
        rate.add(t, 50)
    assert rate.per_second(30) == pytest.approx(11 * 50 / 10)  # the burst at 0 is out of the window
    early = TokenRate(window=10)
    early.add(0, 10)
    early.add(2, 10)
    assert early.per_second(2) == pytest.approx(20 / 2)  # shorter than the window: its own span


def _plan() -> list[PlannedTest]:
    return [
        PlannedTest("solo", True, None, 4, 8, True),
        PlannedTest("recoverability_individual", True, None, 2, 10, False),
        PlannedTest("guidability_shared", False, "the release has no guide steers", 0, 0, True),
    ]


def test_eta_only_where_the_total_is_exact_and_counts_per_test() -> None:
    clock = Clock()
    state = RunProgress(clock)
    state.plan(_plan())
    state.submitted([Request("solo/q1", (1, 2), 2, 0), Request("solo/q2", (1,), 2, 1)])
    clock.now += 10
    state.generated([Completion("solo/q1", i, "x", 2, 5, "stop") for i in range(2)])
    solo, recoverability = state.tests["solo"], state.tests["recoverability_individual"]
    assert (solo.submitted, solo.generated) == (4, 2)
    assert solo.eta(clock.now) == pytest.approx((8 - 2) * 10 / 2)  # at the pace so far
    state.submitted([Request("recoverability/individual/q1/0", (1,), 1, 2)])
    clock.now += 5
    state.generated([Completion("recoverability/individual/q1/0", 0, "x", 1, 3, "stop")])
    assert recoverability.generated == 1 and recoverability.eta(clock.now) is None  # an upper bound: no ETA
    # Known 5 samples, 1 graded, 2 still in the engine: 2 wait for the grader.
    state.report(graded=1, known=5, tokens=13, in_engine=1)
    assert state.grading_queue == 2


def test_token_steps_are_not_counted_twice() -> None:
    clock = Clock()
    state = RunProgress(clock, window=10)
    state.plan(_plan())
    for _ in range(4):
        clock.now += 1
        state.step(8)
    state.report(graded=0, known=8, tokens=32, in_engine=1)  # the runner's total of the same tokens
    assert state.rate.per_second(clock.now) == pytest.approx(32 / 3)


def test_render_shows_each_test_and_what_is_not_known() -> None:
    from rich.console import Console

    clock = Clock()
    state = RunProgress(clock)
    state.plan(_plan())
    state.submitted([Request("solo/q1", (1,), 2, 0)])
    clock.now += 4
    state.generated([Completion("solo/q1", 0, "x", 1, 5, "stop")])
    console = Console(width=140, record=True, color_system=None)
    console.print(render(state))
    text = console.export_text()
    assert "solo" in text and "1/8" in text and "0:00:28" in text  # 7 left at 4 s each
    assert "recoverability_individual" in text and "0/≤10" in text
    assert "guidability_shared" in text and "not run" in text


def test_hf_reports_every_token_step_and_samples_do_not_change(tiny_model: Callable[[str], Path]) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from suite.backends._hf import HFBackend

    path = tiny_model("qwen3")
    tokenizer = AutoTokenizer.from_pretrained(path)
    backend = HFBackend(AutoModelForCausalLM.from_pretrained(path), tokenizer, batch_size=4)
    requests = [Request("solo/a", (5, 6, 7), 2, 1), Request("solo/b", (8, 9), 2, 2)]
    sampling = SamplingConfig(max_tokens=12)
    plain = backend.generate(requests, sampling)
    steps: list[int] = []
    backend.on_step = steps.append
    reported = backend.generate(requests, sampling)
    assert reported == plain  # reporting never changes what is generated
    assert sum(steps) == sum(c.completion_tokens for c in reported)
    assert len(steps) == max(c.completion_tokens for c in reported)  # one report per generated step
    assert steps == sorted(steps, reverse=True) and steps[0] == 4  # rows drop out as they end
