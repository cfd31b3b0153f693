"""Fixtures for end-to-end runs: a small release of arithmetic questions written here (no benchmark rows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suite.release import build_release
from suite.tiny import TrainingConfig, arithmetic_problems


@pytest.fixture(scope="session")
def arith_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of held-out arithmetic questions (written here, not benchmark rows) with an oracle guide."""
    root = tmp_path_factory.mktemp("arith")
    seen = {p.id for p in arithmetic_problems(TrainingConfig().problems, seed=TrainingConfig().seed)}
    questions = [p for p in arithmetic_problems(200, seed=99) if p.id not in seen][:16]
    (root / "src").mkdir()
    (root / "src" / "arith.jsonl").write_text(
        "".join(json.dumps({"id": p.id, "problem": p.problem, "answer": str(p.answer)}) + "\n" for p in questions)
    )
    guide = [
        {
            "question_id": f"arith/{p.id}",
            "guide_model": "suite/arithmetic-oracle",
            "guide_revision": "generator",
            "thinking": p.thinking,
            "answer": f"The answer is \\boxed{{{p.answer}}}.",
            "correct": True,
            "num_tokens": len(p.thinking.split()),
        }
        for p in questions
    ]
    (root / "guide.jsonl").write_text("".join(json.dumps(g) + "\n" for g in guide))
    (root / "shared.txt").write_text("".join(f"arith/{p.id}\n" for p in questions[:5]))
    return build_release(
        str(root / "src"),
        root / "release",
        benchmarks=["arith"],
        subsets={"recoverability_shared": root / "shared.txt", "guidability_shared": root / "shared.txt"},
        guides={"oracle": root / "guide.jsonl"},
    )
