"""Peak RSS of ``suite eval``'s harness at two run sizes 10x apart: results stream to disk, memory stays flat.

Usage: python benchmarks/harness_memory.py [--questions 60] [--factor 10] [--kb 8]
Each size runs in a fresh process: the real runner, sample store, grader pool, bundle
writer and validation, on generated arithmetic questions, with a synthetic engine that
answers each submitted group at once with ``--kb`` KB of thinking (right about half the
time), so the only thing measured is what the harness keeps. The individual subset and
the control are uncapped, so samples grow with questions. Prints one JSON line per size.
Target (issue 5): peak RSS does not grow with the number of samples.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from suite.backends._base import Blocking, Completion, Request, SamplingConfig


class SyntheticEngine(Blocking):
    """Answers instantly: ``kb`` KB of thinking, then the gold or a wrong number, decided by the request seed."""

    name = "hf"  # result.json only admits real backend names; versions() says what this really is
    background = False
    window = 64
    context_length = 1 << 20

    def __init__(self, golds: dict[str, str], kb: int) -> None:
        self.golds, self.kb = golds, kb
        self._queue: list[list[Request]] = []

    def submit(self, requests: Sequence[Request], sampling: SamplingConfig) -> None:
        self._queue.append(list(requests))

    @property
    def busy(self) -> int:
        return sum(map(len, self._queue))

    def collect(self) -> list[Completion]:
        """One submitted group per call, like a real engine finishing work over time."""
        out = []
        for r in self._queue.pop(0):
            qid = r.key.split("/", 1)[1] if r.key.startswith("solo/") else "/".join(r.key.split("/")[2:4])
            for i in range(r.n):
                digest = hashlib.sha256(f"{r.seed}/{i}".encode()).hexdigest()
                words = " ".join(digest[j : j + 6] for j in range(0, 60, 6))
                paragraphs = "\n\n".join(f"Step {k}: {words} {words} {words}." for k in range(self.kb * 4))
                answer = self.golds[qid] if int(digest[:2], 16) < 140 else str(10_000 + int(digest[2:6], 16))
                text = f"{paragraphs[: self.kb * 1024]}\n</think>\n\nThe answer is \\boxed{{{answer}}}."
                out.append(Completion(r.key, i, text, len(r.prompt_ids), self.kb * 256, "stop"))
        return out

    def versions(self) -> dict[str, str]:
        return {"synthetic": "1"}

    def close(self) -> None:
        """Nothing to release."""


def one_run(questions: int, kb: int, model: str) -> dict[str, Any]:
    """Build a release of ``questions`` questions and run ``suite eval`` on it in this process."""
    from transformers import AutoTokenizer

    from suite.evaluation import EvalConfig, evaluate
    from suite.release import load_release
    from suite.tiny import build_arithmetic_release

    root = Path(tempfile.mkdtemp(prefix="harness-memory-"))
    release = build_arithmetic_release(root, questions=questions, shared=max(1, questions // 6))
    golds = {q.id: q.answer for q in load_release(release).questions}
    # No caps on the individual subset and the control, so samples grow in proportion to questions.
    config = EvalConfig(model=model, max_tokens=1 << 16, individual_subset_size=10**6, control_size=10**6)
    began = time.monotonic()
    result = evaluate(
        config,
        release,
        root / "run",
        lambda *a: None,
        lambda c, source: (SyntheticEngine(golds, kb), AutoTokenizer.from_pretrained(source.path)),
    )
    store_mb = round((root / "run" / "store.jsonl").stat().st_size / 2**20, 1)
    shutil.rmtree(root)
    return {
        "questions": questions,
        "samples": result["samples"]["count"],
        "store_mb": store_mb,
        "seconds": round(time.monotonic() - began, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--kb", type=int, default=8)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from suite.tiny import ensure_reasoner

    model = str(ensure_reasoner())  # its tokenizer and chat template; no model weights are run
    if args.one:
        print(json.dumps(one_run(args.one, args.kb, model)))
        return
    rows = []
    for size in (args.questions, args.questions * args.factor):
        command = [sys.executable, __file__, "--one", str(size), "--kb", str(args.kb)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    small, large = rows
    print(
        f"samples x{large['samples'] / small['samples']:.1f}, store x{large['store_mb'] / small['store_mb']:.1f}, "
        f"peak RSS {small['peak_rss_mb']} MB -> {large['peak_rss_mb']} MB "
        f"(x{large['peak_rss_mb'] / small['peak_rss_mb']:.2f})"
    )


if __name__ == "__main__":
    main()
