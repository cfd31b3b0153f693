"""Self-consistency on the offline benchmark copies.

The copies in ``../shared/data/upstream`` hold gold answers but no reference
solutions, so each gold is written as the final boxed answer of a response
(the way a reasoning model ends): it must grade correct against itself, and
wrong against another question's gold unless the two golds are really equal.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from suite.grading import GraderPool, normalise
from suite.grading._normalise import split_top_level

BENCHMARKS = ["math500", "aime24", "aime25", "amc23", "minerva", "olympiadbench"]
ENDINGS = [
    "Therefore, the final answer is $\\boxed{{{}}}$.",
    "**Final answer:** \\boxed{{{}}}",
    "So the answer is \\boxed{{{}}}.",
]


def response_for(row: dict[str, Any], index: int) -> str:
    thinking = "<think>\nLet me set up the problem.\n\nNow I solve it step by step and check the result.\n</think>\n\n"
    if row.get("is_multiple_answer"):
        return thinking + "The answers are " + " and ".join(f"$\\boxed{{{a}}}$" for a in split_top_level(row["answer"]))
    return thinking + ENDINGS[index % len(ENDINGS)].format(row["answer"])


@pytest.fixture(scope="module")
def rows(upstream: Path) -> list[dict[str, Any]]:
    loaded = []
    for name in BENCHMARKS:
        for line in (upstream / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            loaded.append(json.loads(line) | {"benchmark": name})
    return loaded


@pytest.fixture(scope="module")
def pool() -> Any:
    with GraderPool(workers=2) as p:
        yield p


def test_every_gold_grades_correct_against_itself(rows: list[dict[str, Any]], pool: GraderPool) -> None:
    grades = pool.grade_all(
        (response_for(r, i), r["answer"], bool(r.get("is_multiple_answer"))) for i, r in enumerate(rows)
    )
    failures = [(r["benchmark"], r["id"], r["answer"], g) for r, g in zip(rows, grades, strict=True) if not g.correct]
    assert not failures, failures[:10]
    math500 = sum(1 for r in rows if r["benchmark"] == "math500")
    assert math500 == 500


def test_shuffled_golds_grade_wrong(rows: list[dict[str, Any]], pool: GraderPool) -> None:
    rng = random.Random(2510_06410)
    order = list(range(len(rows)))
    rng.shuffle(order)
    pairs = []
    for i, j in enumerate(order):
        a, b = rows[i], rows[j]
        if i == j or normalise(a["answer"]) == normalise(b["answer"]):
            continue  # the golds really are the same answer
        pairs.append((a, b, i))
    grades = pool.grade_all((response_for(b, i), a["answer"], bool(a.get("is_multiple_answer"))) for a, b, i in pairs)
    wrongly_correct = [(a["answer"], b["answer"]) for (a, b, _), g in zip(pairs, grades, strict=True) if g.correct]
    assert len(pairs) > 1400
    print(f"{len(wrongly_correct)} of {len(pairs)} mismatched pairs graded correct: {wrongly_correct}")
    assert len(wrongly_correct) <= 0.005 * len(pairs), wrongly_correct


# Golds that only the exact-match path accepts, and why Math-Verify cannot:
MATH_VERIFY_EXCEPTIONS = {
    # An unbalanced "$" in the source's multi-answer format (OlympiadBench stores "$221,$8$").
    "$221,$8$",
}


def test_math_verify_alone_accepts_the_golds(rows: list[dict[str, Any]]) -> None:
    """Without the exact-match shortcut, Math-Verify itself must parse and accept (nearly) every gold."""
    from suite.grading._extract import extract
    from suite.grading._grade import GradingConfig, NeedsMathVerify, math_verify_grade

    rejected = set()
    for i, row in enumerate(rows):
        found = extract(response_for(row, i))
        pending = NeedsMathVerify(found.answers, found.region, found.how)
        result = math_verify_grade(row["answer"], pending, bool(row.get("is_multiple_answer")), GradingConfig())
        if not result.correct:
            rejected.add(row["answer"])
    assert rejected == MATH_VERIFY_EXCEPTIONS
