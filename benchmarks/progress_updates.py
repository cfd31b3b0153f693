"""How often the live display of ``suite eval`` gets news while the hf backend generates (issue 16, item 1).

Usage: python benchmarks/progress_updates.py [--questions 4] [--samples 4] [--max-tokens 160]
Runs ``suite eval --tests solo`` in process on the tiny trained reasoner (hf backend, generated
arithmetic questions) with the live display's state recording when each report arrives: the hf
backend's per-token-step reports (``HFBackend.on_step``), the backend wrapper's completions and the
runner's graded-sample reports. While generating, the display redraws 4 times a second; what it can
show changes only when news arrives. Printed: how many reports of each kind, and the gaps between
consecutive token reports (median, 95th percentile, largest) with per-step reporting, against the
gaps between completion reports (all the display had before: news once per batch).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console


def gaps(times: list[float]) -> dict[str, Any]:
    """Median, 95th percentile and largest gap between consecutive times, seconds."""
    between = sorted(b - a for a, b in itertools.pairwise(times))
    if not between:
        return {"count": len(times), "median_s": None, "p95_s": None, "max_s": None}
    return {
        "count": len(times),
        "median_s": round(statistics.median(between), 4),
        "p95_s": round(between[int(0.95 * (len(between) - 1))], 4),
        "max_s": round(between[-1], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=4)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=160)
    args = parser.parse_args()
    from suite._progress import LiveProgress, RunProgress
    from suite.evaluation import EvalConfig, evaluate
    from suite.evaluation._evaluate import make_backend
    from suite.tiny import build_arithmetic_release, ensure_reasoner

    steps: list[float] = []
    completions: list[float] = []
    reports: list[float] = []

    class Recorded(RunProgress):
        def step(self, tokens: int) -> None:
            steps.append(time.monotonic())
            super().step(tokens)

        def generated(self, batch: Any) -> None:
            completions.append(time.monotonic())
            super().generated(batch)

        def report(self, graded: int, known: int, tokens: int, in_engine: int) -> None:
            reports.append(time.monotonic())
            super().report(graded, known, tokens, in_engine)

    root = Path(tempfile.mkdtemp(prefix="progress-updates-"))
    release = build_arithmetic_release(root, questions=args.questions)
    config = EvalConfig(
        model=str(ensure_reasoner()), tests=("solo",), samples=args.samples, max_tokens=args.max_tokens, backend="hf"
    )
    live = LiveProgress(Console(file=io.StringIO(), force_terminal=True, width=120))
    live.state = Recorded()

    def factory(c: EvalConfig, source: Any) -> Any:
        backend, tokenizer = make_backend(c, source)
        return live.watch(backend), tokenizer

    began = time.monotonic()
    try:
        evaluate(config, release, root / "run", live.report, factory, on_plan=lambda r, p: live.start(p))
    finally:
        live.stop()
    generating = (steps[-1] - steps[0]) if steps else 0.0
    print(
        json.dumps(
            {
                "questions": args.questions,
                "samples": args.samples,
                "max_tokens": args.max_tokens,
                "wall_s": round(time.monotonic() - began, 1),
                "generating_s": round(generating, 1),
                "token_step_reports": gaps(steps),
                "completion_reports": gaps(completions),
                "runner_reports": gaps(reports),
                "token_reports_per_s": round(len(steps) / generating, 1) if generating else None,
            }
        )
    )


if __name__ == "__main__":
    main()
