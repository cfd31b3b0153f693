"""The hand-checked case table (``cases.json``): equivalent forms, near misses, extraction, flags.

A case may name the thinking ``closer`` (default ``</think>``) and the extracted ``answer`` it expects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from suite.grading import GraderPool, grade

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "cases.json").read_text(encoding="utf-8"))


def test_table_is_large_and_ids_unique() -> None:
    assert len(CASES) >= 80
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert sum(not c["correct"] for c in CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    result = grade(case["response"], case["gold"], multiple=case["multiple"], closer=case.get("closer", "</think>"))
    assert result.correct is case["correct"], (case["note"], result)
    if "answer" in case:
        assert result.answer == case["answer"], result
    for flag, value in case.get("flags", {}).items():
        assert getattr(result, flag) is value, (flag, result)
    if result.correct:
        assert result.method in ("string_match", "math_verify") and result.answer


def test_pool_agrees_with_in_process_grading() -> None:
    with GraderPool(workers=2) as pool:
        for index, c in enumerate(CASES):
            pool.submit(index, c["response"], c["gold"], c["multiple"], closer=c.get("closer", "</think>"))
        grades = dict(pool.results())
    assert [grades[i].correct for i in range(len(CASES))] == [c["correct"] for c in CASES]
