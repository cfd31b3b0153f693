"""Leaderboard build at scale: N realistic bundles, the first build (with re-grading), a rebuild, the site's size.

Usage: python benchmarks/leaderboard_build.py [--bundles 300] [--questions 16] [--trace-words 500]
       [--cache /tmp/lb-bench]
Bundles are written once (re-derivable, by tests/leaderboard/bundles.py, on the tiny arithmetic release)
into ``--cache`` and reused. Realistic text: every completion's thinking is 6 paragraphs of the first
``--trace-words`` words of a real DeepSeek-R1 trace (../shared/data/traces, read there, bundle i uses
trace i mod 52), so 500 words make completions of about 3,000 words (about 4,000 tokens), and the steered
prompts carry prefixes and steers of real length; ``--trace-words 0`` gives the old short synthetic text.

Scaled down, and what that changes: a real run has about 12,000 solo generations of a few thousand tokens
plus its steered runs; 300 of those are tens of GB of text, too much to write and re-grade here. Each
bundle here holds every test on ``--questions`` questions (16: about 1,300 samples). The site keeps at most
``SITE_SAMPLES_PER_TEST`` samples of each test of each run (the full samples go to the Hub with
``suite leaderboard publish-samples``), so the site's size does not grow with samples per run: it is
measured here as it would be for full runs of the same text length. The build times do grow with the
samples: ``samples_per_s`` of the first build (re-grading every sample) and of the rebuild (re-grading
nothing it has seen) give the time for other sizes.

Measures, each build in a fresh process (wall time, peak RSS: the largest sum of resident memory over the
build and its worker processes, sampled every 200 ms from /proc): the first build into an empty database,
then a rebuild of the same bundles into the same database; how long headless Debian Chromium takes to
load the index from file:// until it is interactive (a sort click on benchmark has reordered the rows); and the
published site's size in bytes (every file under the site folder; GitHub Pages holds 1 GB).
Targets (issue 15): rebuild <= 120 s on 2 cores, site < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TRACES = ROOT.parent / "shared" / "data" / "traces" / "mip-overthinking" / "math_normal_deepseekR1.json"
"""Real DeepSeek-R1 outputs on 52 MATH-500 questions (read in place, never copied)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundles", type=int, default=300)
    parser.add_argument("--questions", type=int, default=16, help="questions each bundle answers (every test)")
    parser.add_argument("--trace-words", type=int, default=500, help="words of a real trace per paragraph (0: short)")
    parser.add_argument("--cache", default="/tmp/lb-bench")
    parser.add_argument("--project", type=int, default=300, help="bundles to project the figures to (linear)")
    parser.add_argument("--write-only", action="store_true", help="write the bundles into --cache, then stop")
    args = parser.parse_args()
    from suite.tiny import build_arithmetic_release

    cache = Path(args.cache)
    release_dir = cache / f"release-{args.questions}" / "release"
    if not release_dir.exists():
        build_arithmetic_release(release_dir.parent, questions=max(args.questions, 8), shared=5)
    bundles = cache / f"bundles-{args.questions}q-{args.trace_words}w"
    began = time.monotonic()
    todo = [i for i in range(args.bundles) if not (bundles / f"b{i:04d}" / "result.json").exists()]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(write_one, [(bundles, i, args.questions, release_dir, args.trace_words) for i in todo]))
    samples = sum(
        json.loads((bundles / f"b{i:04d}" / "result.json").read_text())["samples"]["count"] for i in range(args.bundles)
    )
    print(f"{args.bundles} bundles, {samples:,} samples (written or found in {time.monotonic() - began:.0f} s)")
    if args.write_only:
        return
    site, db = cache / f"site-{bundles.name}-{args.bundles}", cache / f"lb-{bundles.name}-{args.bundles}.duckdb"
    for stale in (db, Path(str(db) + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(db.parent / f".{db.name}.charts", ignore_errors=True)  # charts kept from an earlier build
    folders = [str(bundles / f"b{i:04d}") for i in range(args.bundles)]
    where = ["--db", str(db), "--site", str(site), "--release", str(release_dir)]
    command = [sys.executable, "-m", "suite.cli", "leaderboard", "build", *folders, *where]
    first_s, first_peak = timed(command)
    with duckdb.connect(str(db), read_only=True) as con:
        held = con.execute("SELECT count(*), coalesce(sum(samples_count), 0) FROM runs").fetchone() or (0, 0)
    rebuild_s, rebuild_peak = timed(command)
    index = site / "index.html"
    sizes = site_size(site)
    per_run = sizes.get("models", 0) + sizes.get("data", 0)  # grows with runs; the rest is fixed (or nearly)
    scale = args.project / args.bundles
    print(
        json.dumps(
            {
                "bundles": args.bundles,
                "accepted": held[0],
                "samples": samples,
                "first_build_s": round(first_s, 1),
                "first_build_peak_rss_gb": round(first_peak / 2**30, 2),
                "first_build_samples_per_s": round(int(held[1]) / first_s),
                "rebuild_s": round(rebuild_s, 1),
                "rebuild_peak_rss_gb": round(rebuild_peak / 2**30, 2),
                "index_kb": round(index.stat().st_size / 1024, 1),
                "interactive_s": interactive(index),
                "site_bytes": sizes["all"],
                "site_bytes_by_part": {k: v for k, v in sizes.items() if k != "all"},
                "site_under_1_gb": sizes["all"] < 10**9,
                # Upper bounds for --project bundles: times scaled linearly, fixed costs (process start, workers'
                # imports) scaled too; the site's per-run part (models/, data/) scaled, the rest kept.
                f"projected_{args.project}": {
                    "first_build_s": round(first_s * scale, 1),
                    "rebuild_s": round(rebuild_s * scale, 1),
                    "site_bytes": round(sizes["all"] - per_run + per_run * scale),
                    "index_kb": round(index.stat().st_size / 1024 * scale, 1),
                },
            }
        )
    )


def timed(command: list[str]) -> tuple[float, int]:
    """Run ``command`` (a build); its wall time in seconds and its peak resident memory in bytes."""
    began = time.monotonic()
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak = 0
    while build.poll() is None:
        peak = max(peak, tree_rss(build.pid))
        time.sleep(0.2)
    if build.returncode:
        raise SystemExit(f"the build failed (exit {build.returncode})")
    return time.monotonic() - began, peak


def site_size(site: Path) -> dict[str, int]:
    """Bytes of every file under ``site`` (``all``) and per top-level entry (``models``, ``data``, ...)."""
    sizes: dict[str, int] = {"all": 0}
    for path in site.rglob("*"):
        if path.is_file():
            part = path.relative_to(site).parts[0]
            sizes[part] = sizes.get(part, 0) + path.stat().st_size
            sizes["all"] += path.stat().st_size
    return sizes


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


def write_one(job: tuple[Path, int, int, Path, int]) -> None:
    """Bundle ``i``: a model whose skill cycles through 0.3-0.9, thinking in the words of a real trace."""
    from suite.release import load_release
    from tests.leaderboard.bundles import FakeRun, write_fake_bundle
    from tests.leaderboard.test_pages import EVERY_TEST

    bundles, i, questions, release_dir, trace_words = job
    text = "Let me compute this step by step."
    if trace_words:
        traces = json.loads(TRACES.read_text(encoding="utf-8"))
        text = " ".join(
            traces[i % len(traces)]["deepseek-reasoner (question)"].split("</think>")[0].split()[:trace_words]
        )
    run = FakeRun(
        f"org/model-{i}-{1 + i % 70}B",
        0.3 + 0.6 * (i % 97) / 97,
        questions=questions,
        seed=i,
        text=text,
        tests=EVERY_TEST,
        release=load_release(release_dir),
    )
    write_fake_bundle(bundles / f"b{i:04d}", run)


def interactive(index: Path) -> float:
    """Seconds from navigation until a sort click (benchmark) has reordered the table, in headless Debian Chromium."""
    from playwright.sync_api import sync_playwright

    from tests.leaderboard.chromium import CHROMIUM, FLAGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        began = time.monotonic()
        page.goto(index.as_uri())
        page.get_by_role("button", name="benchmark", exact=True).click()
        page.wait_for_function("document.querySelector('thead button[aria-sort]').textContent.trim() === 'benchmark'")
        seconds = time.monotonic() - began
        browser.close()
    return round(seconds, 3)


if __name__ == "__main__":
    main()
