"""Harness overhead: ``suite eval`` wall time vs the time spent inside the backend, hf backend, tiny reasoner.

Usage: python benchmarks/harness_overhead.py [--questions 24] [--workers 2]
Runs the real command (``suite eval --backend hf``) in a fresh process on generated
arithmetic questions with the oracle guide set, then reads ``result.json``: ``wall_s``
(from loading the release to the validated bundle, model loading included),
``generate_s`` (inside the backend), and the timeline's idle fraction (the engine held
work while the harness was busy elsewhere). Target (issue 5): wall / generate <= 1.2;
idle fraction < 5%.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=24)
    args = parser.parse_args()
    from suite.tiny import build_arithmetic_release, ensure_reasoner

    model = ensure_reasoner()
    root = Path(tempfile.mkdtemp(prefix="harness-overhead-"))
    release = build_arithmetic_release(root, questions=args.questions, shared=min(args.questions, 8))
    command = [sys.executable, "-m", "suite.cli", "eval", str(model), "--release", str(release)]
    command += ["--out", str(root / "run"), "--max-tokens", "400"]
    began = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    process_s = time.monotonic() - began
    result = json.loads((root / "run" / "result.json").read_text())
    timing, timeline = result["timing"], result["timeline"]
    print(
        json.dumps(
            {
                "questions": args.questions,
                "samples": result["samples"]["count"],
                "completion_tokens": timing["completion_tokens"],
                "process_s": round(process_s, 1),
                "wall_s": timing["wall_s"],
                "generate_s": timing["generate_s"],
                "wall_over_generate": round(timing["wall_s"] / timing["generate_s"], 3),
                "idle_fraction": timeline["idle_fraction"],
                "waiting_s": timeline["waiting_s"],
            }
        )
    )


if __name__ == "__main__":
    main()
