"""``suite demo``: the whole pipeline on CPU with the tiny trained reasoner, no GPU, network or Hub."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from suite.evaluation import EvalConfig, evaluate
from suite.evaluation._evaluate import BackendFactory, make_backend
from suite.evaluation._plan import PlannedTest
from suite.evaluation._run import Progress
from suite.leaderboard import build_database
from suite.release import Release, build_release, load_release
from suite.tiny import build_arithmetic_release, ensure_reasoner

DEMO_MAX_TOKENS = 320
"""New tokens per generation: the tiny reasoner's ten paragraphs and answer (205-245 tokens) fit."""


def run_demo(
    out: Path,
    progress: Progress,
    questions: int = 24,
    source: Path | None = None,
    benchmarks: tuple[str, ...] | None = None,
    on_plan: Callable[[Release, list[PlannedTest]], None] | None = None,
    backend_factory: BackendFactory = make_backend,
) -> dict[str, Any]:
    """Train or load the tiny reasoner, build a small release, run ``suite eval`` (hf), validate, build the site.

    ``source``: build the release from this mirror folder instead of the built-in generated
    arithmetic questions (then ``benchmarks`` picks which of its files). ``backend_factory``: as ``evaluate``'s.
    """
    reasoner = ensure_reasoner(log=True)
    release = out / "release"
    # A third of the questions are recoverability items: the others are left to serve as distractors.
    config = EvalConfig(
        model=str(reasoner),
        max_tokens=DEMO_MAX_TOKENS,
        individual_subset_size=max(2, questions // 3),
    )
    if source is None:
        build_arithmetic_release(out, questions=questions, force=True)
    else:
        build_release(str(source), release, benchmarks=list(benchmarks or ()) or ["arith"], force=True)
        config = replace(config, limit=questions)
    bundle = out / "bundle"
    if bundle.exists():
        import shutil

        shutil.rmtree(bundle)  # the demo always starts fresh
    result = evaluate(config, release, bundle, progress, backend_factory, on_plan=on_plan)
    build_database([str(bundle)], out / "leaderboard.duckdb", [load_release(release)], out / "site")
    return result
