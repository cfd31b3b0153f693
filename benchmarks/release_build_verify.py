"""Time building and verifying the full 1,507-question release from the offline mirror.

Usage: python benchmarks/release_build_verify.py [--source ../shared/data/upstream] [--repeat 5]
Target (issue 2): loading (= verifying) the full release in <= 1 s.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from suite.release import build_release, verify_release


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", default=str(Path(__file__).resolve().parents[2] / "shared/data/upstream"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    builds, verifies = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            start = time.perf_counter()
            out = build_release(args.source, Path(tmp) / f"r{i}")
            builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            release = verify_release(out)
            verifies.append(time.perf_counter() - start)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"questions: {len(release.questions)}")
    print(f"build  (includes its own verify): median {statistics.median(builds):.3f}s  min {min(builds):.3f}s")
    print(f"verify/load:                      median {statistics.median(verifies):.3f}s  min {min(verifies):.3f}s")


if __name__ == "__main__":
    main()
