"""Grader throughput: single process vs the worker pool, and the cost of a hanging input.

Usage: python benchmarks/grader_throughput.py [--answers 600] [--workers 2] [--timeout 5]
The mix: every benchmark gold of ../shared/data/upstream, each as the final boxed
answer (half right, half another question's gold) after a ~3,000-word chain of thought.
Target (issue 3): the pool with 2 workers >= 1.6x the single-process rate; a hanging
input delays the rest by no more than its timeout.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from suite.grading import GraderPool, GradingConfig, grade

UPSTREAM = Path(__file__).resolve().parents[2] / "shared/data/upstream"
HANG = r"\dfrac{5^{\left(5^{\left(5^{\left(5^5\right)}\right)} - 4\right)} - 5}{16}"
WORDS = [
    "so",
    "we",
    "get",
    "then",
    "substitute",
    "the",
    "value",
    "into",
    "the",
    "equation",
    "and",
    "simplify",
    "both",
    "sides",
    "carefully",
]


def mix(count: int, seed: int = 0) -> list[tuple[str, str, bool]]:
    rng = random.Random(seed)
    rows = [
        json.loads(line)
        for name in ("math500", "aime24", "aime25", "minerva", "olympiadbench")
        for line in (UPSTREAM / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    items = []
    for i in range(count):
        row = rng.choice(rows)
        shown = row["answer"] if i % 2 == 0 else rng.choice(rows)["answer"]
        thinking = " ".join(rng.choice(WORDS) for _ in range(3000)) + f" $x = {rng.randint(1, 99)}$"
        response = f"<think>\n{thinking}\n</think>\n\nTherefore the final answer is $\\boxed{{{shown}}}$."
        items.append((response, row["answer"], bool(row.get("is_multiple_answer"))))
    return items


def pool_run(items: list[tuple[str, str, bool]], workers: int, config: GradingConfig) -> tuple[float, list[float]]:
    with GraderPool(workers, config) as pool:
        pool.grade_all(items[:workers])  # start-up is paid once per run, not per answer
        submitted: dict[int, float] = {}
        start = time.perf_counter()
        for i, (response, gold, multiple) in enumerate(items):
            submitted[i] = time.perf_counter()
            pool.submit(i, response, gold, multiple)
        latencies = []
        for key, _ in pool.results():
            latencies.append(time.perf_counter() - submitted[int(str(key))])
        return time.perf_counter() - start, latencies


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    config = GradingConfig(timeout_s=args.timeout)
    items = mix(args.answers)
    grade(*items[0][:2])  # warm imports
    times = []
    start = time.perf_counter()
    for response, gold, multiple in items:
        t = time.perf_counter()
        grade(response, gold, multiple, config)
        times.append(time.perf_counter() - t)
    single = time.perf_counter() - start
    print(f"answers: {len(items)} (~{len(items[0][0]) // 1000} kB each)")
    print(
        f"single process: {len(items) / single:7.1f} answers/s  "
        f"p50 {statistics.median(times) * 1000:.1f} ms  p99 {pct(times, 0.99) * 1000:.1f} ms per answer"
    )
    elapsed, latencies = pool_run(items, args.workers, config)
    rate = len(items) / elapsed
    print(
        f"pool x{args.workers}:        {rate:7.1f} answers/s  ({rate / (len(items) / single):.2f}x single); "
        f"submit-to-grade p50 {statistics.median(latencies) * 1000:.0f} ms  p99 {pct(latencies, 0.99) * 1000:.0f} ms "
        "(all submitted at once)"
    )
    hung = list(items)
    hung.insert(len(hung) // 3, ("<think>x</think> \\boxed{" + HANG + "}", "7", False))
    elapsed_hang, _ = pool_run(hung, args.workers, config)
    print(
        f"pool x{args.workers} + 1 hanging input: {elapsed_hang:.2f}s vs {elapsed:.2f}s "
        f"(+{elapsed_hang - elapsed:.2f}s; timeout {args.timeout:g}s)"
    )


if __name__ == "__main__":
    main()
