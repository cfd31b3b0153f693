"""The generated arithmetic problems and their reasoning trajectories."""

from __future__ import annotations

import json
import operator
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suite.steering import unit_spans
from suite.tiny import ORACLE, arithmetic_problems, make_problem, write_arithmetic_source
from suite.tiny._arithmetic import PHRASES
from suite.tiny._tokenizer import build_tokenizer

CASES = [
    ("add", 7, 8, 15, "carry 1"),
    ("add", 23, 45, 68, "no carry"),
    ("subtract", 62, 46, 16, "borrow 1"),
    ("subtract", 9, 4, 5, "no borrow"),
    ("multiply", 4, 38, 152, "120 plus 32 is 152"),
]
_CLAIMS = {"plus": operator.add, "minus": operator.sub, "times": operator.mul, "divided by": operator.floordiv}


def paragraphs(thinking: str) -> list[str]:
    """Blank-line-separated paragraphs, as the protocol's unit rule first splits a trajectory."""
    return [p for p in re.split(r"\n[ \t]*\n", thinking) if p.strip()]


def every_operand_pair() -> list[tuple[str, int, int]]:
    """Every operand pair the generator can draw."""
    add = [("add", a, b) for a in range(1, 100) for b in range(1, 100)]
    subtract = [("subtract", a, b) for a in range(1, 100) for b in range(1, a + 1)]
    multiply = [("multiply", a, b) for a in range(2, 10) for b in range(2, 100)]
    return add + subtract + multiply


@pytest.mark.parametrize(("op", "a", "b", "answer", "step"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_trajectory_is_correct_and_shows_its_steps(op: str, a: int, b: int, answer: int, step: str) -> None:
    problem = make_problem(op, a, b, "Ada", "pens")
    assert problem.answer == answer
    assert step in problem.thinking
    assert problem.response.endswith(f"</think>\n\nThe answer is \\boxed{{{answer}}}.")
    assert problem.response.startswith("<think>\n")


def unit_words(thinking: str) -> list[int]:
    """Words in each unit by the protocol's rule."""
    return [len(thinking[start:end].split()) for start, end in unit_spans(thinking)]


def test_every_trajectory_has_ten_units_of_thirty_words_or_more() -> None:
    # Each paragraph is exactly one unit (30-60 words: neither merged nor split), so a 20% cut keeps two.
    for op, a, b in every_operand_pair():
        for name, item in (("Ben", "coins"), ("Hugo", "stickers")):
            thinking = make_problem(op, a, b, name, item).thinking
            counts = unit_words(thinking)
            assert counts == [len(p.split()) for p in paragraphs(thinking)], (op, a, b)
            assert len(counts) == 10 and min(counts) >= 30 and max(counts) <= 60, (op, a, b, counts)
            assert thinking.split("\n\n") == paragraphs(thinking)  # exactly one blank line between paragraphs


def test_drawn_problems_have_ten_long_units_whatever_the_names() -> None:
    for problem in arithmetic_problems(600, seed=5):
        counts = unit_words(problem.thinking)
        assert len(counts) == 10 and min(counts) >= 30, (problem.id, counts)


def test_every_phrase_is_one_token_and_text_round_trips() -> None:
    problems = arithmetic_problems(300, seed=2)
    corpus = "\n".join(p.thinking for p in problems)
    assert all(phrase in corpus for phrase in PHRASES)  # no phrase the trajectories never write
    tokenizer = build_tokenizer([p.response for p in problems], vocab_size=1024, phrases=PHRASES)
    for phrase in PHRASES:
        assert len(tokenizer(phrase, add_special_tokens=False)["input_ids"]) == 1, phrase
        assert len(tokenizer(f" {phrase}", add_special_tokens=False)["input_ids"]) == 1, phrase
    for p in problems[:50]:
        ids = tokenizer(p.response, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids) == p.response
        assert len(ids) < 0.7 * len(p.response.split())  # the phrases make a 330-word response cheap
    hostile = "Let me read the problem again carefully.x ünï  So I am confident in the result.\n\n"
    assert tokenizer.decode(tokenizer(hostile, add_special_tokens=False)["input_ids"]) == hostile


@given(st.sampled_from(["add", "subtract", "multiply"]), st.integers(1, 99), st.integers(1, 99))
def test_every_stated_step_is_true(op: str, a: int, b: int) -> None:
    a, b = (max(a, b), min(a, b)) if op == "subtract" else (a, b)
    a = min(max(a, 2), 9) if op == "multiply" else a
    problem = make_problem(op, a, b, "Ben", "coins")
    claims = re.findall(r"(\d+) (plus|minus|times|divided by) (\d+) is (\d+)", problem.thinking)
    assert len(claims) >= 4
    for x, word, y, z in claims:
        assert _CLAIMS[word](int(x), int(y)) == int(z), (x, word, y, z)
    for n, tens, ones in re.findall(r"(\d+) has (\d+) tens and (\d+) ones", problem.thinking):
        assert (int(tens), int(ones)) == divmod(int(n), 10)
    assert f"so the answer is {problem.answer}." in paragraphs(problem.thinking)[-1]
    assert "</think>" not in problem.thinking and "<think>" not in problem.thinking


def test_problems_are_seeded_and_distinct() -> None:
    first = arithmetic_problems(200, seed=3)
    assert first == arithmetic_problems(200, seed=3)
    assert first != arithmetic_problems(200, seed=4)
    assert len({p.id for p in first}) == 200
    single = [p for p in first if all(int(n) < 10 for n in re.findall(r"\d+", p.problem))]
    assert 0 < len(single) < len(first)


def test_oracle_guide_steers_are_the_long_trajectories(tmp_path: Path) -> None:
    files = write_arithmetic_source(tmp_path, questions=12, shared=3)
    questions = [json.loads(line) for line in (tmp_path / "arith.jsonl").read_text().splitlines()]
    guides = [json.loads(line) for line in files["guide"].read_text().splitlines()]
    assert [g["question_id"] for g in guides] == [f"arith/{q['id']}" for q in questions]
    for question, guide in zip(questions, guides, strict=True):
        assert guide["guide_model"] == ORACLE and guide["correct"]
        assert guide["answer"] == f"The answer is \\boxed{{{question['answer']}}}."
        counts = unit_words(guide["thinking"])
        assert len(counts) == 10 and min(counts) >= 30, counts
        assert f"the answer is {question['answer']}." in guide["thinking"]
