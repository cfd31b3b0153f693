"""The generated arithmetic problems and their reasoning trajectories."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suite.tiny import arithmetic_problems, make_problem

CASES = [
    ("add", 7, 8, 15, "carry 1"),
    ("add", 23, 45, 68, "no carry"),
    ("subtract", 62, 46, 16, "needs a borrow"),
    ("subtract", 9, 4, 5, "no borrow"),
    ("multiply", 4, 38, 152, "120 plus 32"),
]


@pytest.mark.parametrize(("op", "a", "b", "answer", "step"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_trajectory_is_correct_and_shows_its_steps(op: str, a: int, b: int, answer: int, step: str) -> None:
    problem = make_problem(op, a, b, "Ada", "pens")
    assert problem.answer == answer
    assert step in problem.thinking
    assert problem.response.endswith(f"</think>\n\nThe answer is \\boxed{{{answer}}}.")
    assert problem.response.startswith("<think>\n")


@given(st.sampled_from(["add", "subtract", "multiply"]), st.integers(1, 99), st.integers(1, 99))
def test_paragraphs_are_units_of_at_least_thirty_words(op: str, a: int, b: int) -> None:
    a, b = (max(a, b), min(a, b)) if op == "subtract" else (a, b)
    problem = make_problem(op, a, b, "Ben", "coins")
    paragraphs = problem.thinking.split("\n\n")
    assert len(paragraphs) == 4
    # The protocol merges units under ~30 words; these stay separate so cuts at 20-80% differ.
    assert all(len(p.split()) >= 28 for p in paragraphs), [len(p.split()) for p in paragraphs]
    assert f"the answer is {problem.answer} coins" in problem.thinking
    assert "</think>" not in problem.thinking


def test_problems_are_seeded_and_distinct() -> None:
    first = arithmetic_problems(200, seed=3)
    assert first == arithmetic_problems(200, seed=3)
    assert first != arithmetic_problems(200, seed=4)
    assert len({p.id for p in first}) == 200
    single = [p for p in first if all(int(n) < 10 for n in re.findall(r"\d+", p.problem))]
    assert 0 < len(single) < len(first)
