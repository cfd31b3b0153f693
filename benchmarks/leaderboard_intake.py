"""Leaderboard intake rate: how many samples per second the build examines, in its worker pool.

Usage: python benchmarks/leaderboard_intake.py [--bundles 4] [--questions 200] [--jobs 2] [--grading-workers 1]
       [--cache /tmp/lb-intake]
Builds an arithmetic release of ``--questions`` questions and ``--bundles`` synthetic bundles on it
(tests/leaderboard/bundles.py, re-derivable, wrong answers boxed so Math-Verify decides them) once into
``--cache``, then examines all of them as ``suite leaderboard build`` does, in ``--jobs`` worker processes
(each re-grading in ``--grading-workers`` grader processes), and prints samples/s for:

- the first build: strict JSON within the size limits, every steer and metric checked, every completion
  re-graded, the protocol's generations, items, steers and counts re-derived, the samples staged as Parquet;
- a rebuild whose runs are held: the samples are not read again;
- a rebuild whose verdicts are remembered but whose runs are not held (an ingest that failed): the samples
  are read, checked and staged again, and nothing is graded.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundles", type=int, default=4)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--grading-workers", type=int, default=1)
    parser.add_argument("--cache", default="/tmp/lb-intake")
    args = parser.parse_args()
    from suite.leaderboard._build import _in_workers
    from suite.leaderboard._intake import examine, start_examiner, stop_examiner
    from suite.release import load_release
    from suite.tiny import build_arithmetic_release
    from tests.leaderboard.bundles import FakeRun, write_fake_bundle

    cache = Path(args.cache) / f"q{args.questions}"
    if not (cache / "release").exists():
        build_arithmetic_release(cache, questions=args.questions, shared=max(1, args.questions // 8))
    release = load_release(cache / "release")
    bundles = []
    for i in range(args.bundles):
        folder = cache / "bundles" / f"b{i:03d}"
        if not (folder / "result.json").exists():
            skill = 0.3 + 0.4 * i / max(1, args.bundles)
            run = FakeRun(f"org/model-{i}", skill, questions=args.questions, seed=i, boxed_wrong=True, release=release)
            write_fake_bundle(folder, run)
        bundles.append(folder)
    results = [json.loads((b / "result.json").read_text()) for b in bundles]
    samples = sum(r["samples"]["count"] for r in results)

    def timed(held: dict[str, Any], remembered: dict[Any, Any]) -> tuple[float, list[Any]]:
        with tempfile.TemporaryDirectory() as staging:
            setup = ([release], held, Path(staging), remembered, args.grading_workers)
            began = time.monotonic()
            examined = list(_in_workers(examine, bundles, args.jobs, start_examiner, setup, stop_examiner))
            return time.monotonic() - began, examined

    first, examined = timed({}, {})
    assert all(e.status == "accepted" for e in examined), [e.reason for e in examined if e.status != "accepted"]
    assert sum(e.regraded for e in examined) == samples
    remembered = {e.verdict[:2]: e.verdict[2:] for e in examined if e.verdict}
    held = {r["samples"]["sha256"]: (r["model"]["id"], r["model"]["revision"]) for r in results}
    second, again = timed(held, remembered)
    assert all(e.status == "unchanged" and not e.regraded for e in again)
    third, restaged = timed({}, remembered)
    assert all(e.status == "accepted" and not e.regraded for e in restaged)
    print(f"{args.bundles} bundles, {samples:,} samples, {args.jobs} workers x {args.grading_workers} grader(s)")
    print(f"first intake (re-graded, re-derived): {first:.1f} s, {samples / first:,.0f} samples/s")
    print(f"rebuild (runs already held): {second:.1f} s")
    print(f"rebuild (verdicts remembered, runs staged again): {third:.1f} s, {samples / third:,.0f} samples/s")


if __name__ == "__main__":
    main()
