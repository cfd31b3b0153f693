"""Leaderboard intake rate: how many samples per second the build examines, in its worker pool.

Usage: python benchmarks/leaderboard_intake.py [--bundles 4] [--questions 200] [--jobs 2] [--cache /tmp/lb-intake]
Writes ``--bundles`` valid synthetic bundles (tests/leaderboard/bundles.py; ``--questions 200`` gives about
5,000 samples each) once into ``--cache``, then examines all of them as ``suite leaderboard build`` does
(strict JSON within the size limits, every steer and metric checked, the samples staged as Parquet), in
``--jobs`` worker processes, and prints samples/s. A second pass over the same bundles, with their runs
already held, shows what a rebuild costs (the samples are not read again).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundles", type=int, default=4)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", default="/tmp/lb-intake")
    args = parser.parse_args()
    from suite.leaderboard._build import _in_workers
    from suite.leaderboard._intake import examine, start_examiner, stop_examiner
    from suite.release import load_release
    from suite.tiny import build_arithmetic_release
    from tests.leaderboard.bundles import FakeRun, write_fake_bundle

    cache = Path(args.cache)
    if not (cache / "release").exists():
        build_arithmetic_release(cache, questions=8)
    release = load_release(cache / "release")
    bundles = []
    for i in range(args.bundles):
        folder = cache / f"bundles-{args.questions}" / f"b{i:03d}"
        if not (folder / "result.json").exists():
            run = FakeRun(
                f"org/model-{i}",
                0.3 + 0.4 * i / max(1, args.bundles),
                questions=args.questions,
                seed=i,
                release_version=release.version,
                manifest_sha256=release.manifest_sha256,
            )
            write_fake_bundle(folder, run)
        bundles.append(folder)
    results = [json.loads((b / "result.json").read_text()) for b in bundles]
    samples = sum(r["samples"]["count"] for r in results)
    releases = [(release.version, release.manifest_sha256)]
    with tempfile.TemporaryDirectory() as staging:
        began = time.monotonic()
        verdicts = list(
            _in_workers(examine, bundles, args.jobs, start_examiner, (releases, {}, Path(staging)), stop_examiner)
        )
        first = time.monotonic() - began
    assert all(v.status == "accepted" for v in verdicts), [v.reason for v in verdicts if v.status != "accepted"]
    held = {r["samples"]["sha256"]: (r["model"]["id"], r["model"]["revision"]) for r in results}
    with tempfile.TemporaryDirectory() as staging:
        began = time.monotonic()
        again = list(
            _in_workers(examine, bundles, args.jobs, start_examiner, (releases, held, Path(staging)), stop_examiner)
        )
        second = time.monotonic() - began
    assert all(v.status == "unchanged" for v in again)
    print(f"{args.bundles} bundles, {samples:,} samples, {args.jobs} workers")
    print(f"first intake: {first:.1f} s, {samples / first:,.0f} samples/s")
    print(f"rebuild (runs already held): {second:.1f} s")


if __name__ == "__main__":
    main()
