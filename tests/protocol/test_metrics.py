"""Scores and bootstrap CIs with plain values."""

from __future__ import annotations

import json

from suite.protocol import Score, item_score, macro_score


def test_item_score_is_the_micro_average_with_a_ci_around_it() -> None:
    per_item = {f"q{i}": [True] * (i % 3) + [False] * (2 - i % 3) for i in range(60)}
    score = item_score(per_item, seed=0, name="solo")
    assert score.value == round(60 / 120, 6) and score.n == 60 and score.generations == 120
    assert score.ci_low is not None and score.ci_high is not None
    assert score.ci_low < score.value < score.ci_high
    assert 0.05 < score.ci_high - score.ci_low < 0.25
    assert item_score(per_item, seed=0, name="solo") == score
    assert item_score(per_item, seed=1, name="solo") != score


def test_degenerate_and_empty_cells() -> None:
    assert item_score({"a": [True, True], "b": [True]}, 0, "x") == Score(1.0, 1.0, 1.0, 2, 3)
    empty = item_score({}, 0, "x")
    assert empty == Score(None, None, None, 0, 0)
    assert json.dumps(empty.to_json(), allow_nan=False)
    assert item_score({"a": []}, 0, "x").n == 0


def test_macro_averages_benchmarks_not_questions() -> None:
    groups = {
        "big": {f"b{i}": [True] for i in range(90)},
        "small": {f"s{i}": [False] for i in range(10)},
    }
    macro = macro_score(groups, seed=0, name="solo")
    assert macro.value == 0.5 and macro.n == 100
    assert macro.ci_low == 0.5 == macro.ci_high  # no variance inside either benchmark
    assert item_score({**groups["big"], **groups["small"]}, 0, "micro").value == 0.9
    assert macro_score({}, 0, "x").value is None
