"""A small release of generated arithmetic questions (the suite's own, not benchmark rows) with an oracle guide."""

from __future__ import annotations

import json
from pathlib import Path

from suite.tiny._arithmetic import arithmetic_problems
from suite.tiny._reasoner import TrainingConfig

ORACLE = "suite/arithmetic-oracle"
"""Guide model id of the oracle: the generator's own correct trajectories."""


def write_arithmetic_source(folder: Path, questions: int = 24, seed: int = 99, shared: int = 6) -> dict[str, Path]:
    """Write ``arith.jsonl`` (held-out questions), an oracle guide file and shared id lists into ``folder``.

    Returns the paths ``suite release build`` takes: ``source``, ``guide``, ``shared``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    seen = {p.id for p in arithmetic_problems(TrainingConfig().problems, seed=TrainingConfig().seed)}
    chosen = [p for p in arithmetic_problems(questions * 4, seed=seed) if p.id not in seen][:questions]
    (folder / "arith.jsonl").write_text(
        "".join(json.dumps({"id": p.id, "problem": p.problem, "answer": str(p.answer)}) + "\n" for p in chosen)
    )
    guide = [
        {
            "question_id": f"arith/{p.id}",
            "guide_model": ORACLE,
            "guide_revision": "generator",
            "thinking": p.thinking,
            "answer": f"The answer is \\boxed{{{p.answer}}}.",
            "correct": True,
            "num_tokens": len(p.thinking.split()),
        }
        for p in chosen
    ]
    (folder / "oracle.jsonl").write_text("".join(json.dumps(g) + "\n" for g in guide))
    (folder / "shared.txt").write_text("".join(f"arith/{p.id}\n" for p in chosen[:shared]))
    return {"source": folder, "guide": folder / "oracle.jsonl", "shared": folder / "shared.txt"}


def build_arithmetic_release(root: Path, questions: int = 24, shared: int = 6, force: bool = False) -> Path:
    """``write_arithmetic_source`` into ``root/source``, built into ``root/release`` with both shared subsets."""
    from suite.release import build_release

    files = write_arithmetic_source(root / "source", questions=questions, shared=shared)
    return build_release(
        str(files["source"]),
        root / "release",
        benchmarks=["arith"],
        force=force,
        subsets={"recoverability_shared": files["shared"], "guidability_shared": files["shared"]},
        guides={"oracle": files["guide"]},
    )
