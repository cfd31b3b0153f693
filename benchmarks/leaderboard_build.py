"""Leaderboard build at scale: N realistic bundles of ~S samples each, then ``suite leaderboard build``.

Usage: python benchmarks/leaderboard_build.py [--bundles 300] [--questions 800] [--cache /tmp/lb-bench]
Bundles are written once (valid, by tests/leaderboard/bundles.py) into ``--cache`` and reused;
``--questions 800`` gives about 20,000 samples per bundle. Measures the whole build in a fresh
process (wall time, peak RSS), the size of index.html, and how long headless Debian Chromium
takes to load the index from file:// until it is interactive (a sort click has reordered the rows).
Peak memory is the largest sum of resident memory over the build and its worker processes (sampled
every 200 ms from /proc).
Targets (issue 6): build <= 120 s and <= 4 GB for 300 bundles of ~20,000 samples; index <= 1 MB,
interactive <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundles", type=int, default=300)
    parser.add_argument("--questions", type=int, default=800)
    parser.add_argument("--cache", default="/tmp/lb-bench")
    args = parser.parse_args()
    from suite.release import load_release
    from suite.tiny import build_arithmetic_release

    cache = Path(args.cache)
    release_dir = cache / "release"
    if not release_dir.exists():
        build_arithmetic_release(cache, questions=8)
    release = load_release(release_dir)
    bundles = cache / f"bundles-{args.questions}"
    began = time.monotonic()
    todo = [i for i in range(args.bundles) if not (bundles / f"b{i:04d}" / "result.json").exists()]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        jobs = [(bundles, i, args.questions, release.version, release.manifest_sha256) for i in todo]
        list(pool.map(write_one, jobs))
    samples = sum(
        json.loads((bundles / f"b{i:04d}" / "result.json").read_text())["samples"]["count"] for i in range(args.bundles)
    )
    print(f"{args.bundles} bundles, {samples:,} samples (written or found in {time.monotonic() - began:.0f} s)")
    site, db = cache / "site", cache / "lb.duckdb"
    for stale in (db, Path(str(db) + ".wal")):
        stale.unlink(missing_ok=True)
    where = ["--db", str(db), "--site", str(site), "--release", str(release_dir)]
    command = [sys.executable, "-m", "suite.cli", "leaderboard", "build", str(bundles), *where]
    began = time.monotonic()
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak = 0
    while build.poll() is None:
        peak = max(peak, tree_rss(build.pid))
        time.sleep(0.2)
    wall = time.monotonic() - began
    if build.returncode:
        raise SystemExit(f"the build failed (exit {build.returncode})")
    index = site / "index.html"
    print(
        json.dumps(
            {
                "build_s": round(wall, 1),
                "peak_rss_gb": round(peak / 2**30, 2),
                "samples_per_s": round(samples / wall),
                "index_kb": round(index.stat().st_size / 1024, 1),
                "interactive_s": interactive(index),
            }
        )
    )


def tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and all its descendants (its worker processes) right now."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, grew = {pid}, True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    total = 0
    for member in tree:
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        found = next((line for line in status.splitlines() if line.startswith("VmRSS:")), None)
        total += int(found.split()[1]) * 1024 if found else 0
    return total


def write_one(job: tuple[Path, int, int, str, str]) -> None:
    """Bundle ``i``: a model of 1-70B whose skill cycles through 0.3-0.9."""
    from tests.leaderboard.bundles import FakeRun, write_fake_bundle

    bundles, i, questions, version, manifest = job
    run = FakeRun(
        f"org/model-{i}-{1 + i % 70}B",
        0.3 + 0.6 * (i % 97) / 97,
        questions=questions,
        seed=i,
        release_version=version,
        manifest_sha256=manifest,
    )
    write_fake_bundle(bundles / f"b{i:04d}", run)


def interactive(index: Path) -> float:
    """Seconds from navigation until a sort click has reordered the table, in headless Debian Chromium."""
    from playwright.sync_api import sync_playwright

    from tests.leaderboard.chromium import CHROMIUM, FLAGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        began = time.monotonic()
        page.goto(index.as_uri())
        page.get_by_role("button", name="recoverability shared").click()
        page.wait_for_selector("thead button[aria-sort]")
        seconds = time.monotonic() - began
        browser.close()
    return round(seconds, 3)


if __name__ == "__main__":
    main()
