"""The hf backend on a GPU (bf16 on CUDA): two identical runs, a third killed mid-run and resumed, each validated.

Usage: python benchmarks/gpu_hf_check.py MODEL RELEASE OUT [--max-tokens 400]
Prints one JSON object: the device, torch/transformers versions, the dtype the backend loaded,
each run's wall time, generated tokens/s and idle fraction, the solo score, and whether the
three samples files are byte-identical (same seed, same batches: the same samples, also after
a SIGKILL and a resume). Runs on CPU too (float32), for comparison.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("release")
    parser.add_argument("out")
    parser.add_argument("--max-tokens", default="400")
    parser.add_argument("--kill-after", type=int, default=150, help="stored samples before the SIGKILL")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "suite.cli", "eval", args.model, "--release", args.release]
    command += ["--max-tokens", args.max_tokens]
    report: dict[str, Any] = {"environment": environment(args.model)}
    runs = {}
    for name in ("first", "second"):
        runs[name] = timed([*command, "--out", str(out / name)])
    killed = out / "killed"
    process = subprocess.Popen([*command, "--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store = killed / "store.jsonl"
    while process.poll() is None and lines(store) < args.kill_after:
        time.sleep(0.1)
    stopped_at = lines(store)
    process.send_signal(signal.SIGKILL)
    process.wait()
    runs["killed_then_resumed"] = timed([*command, "--out", str(killed)]) | {"stored_when_killed": stopped_at}
    for name, run in runs.items():
        folder = out / ("killed" if name.startswith("killed") else name)
        run |= summary(folder)
        run["validate_exit"] = subprocess.run(
            [sys.executable, "-m", "suite.cli", "validate", str(folder), "--release", args.release], capture_output=True
        ).returncode
    report["runs"] = runs
    digests = {run["samples_sha256"] for run in runs.values()}
    report["samples_identical"] = len(digests) == 1
    print(json.dumps(report, indent=2))
    (out / "report.json").write_text(json.dumps(report, indent=2))


def environment(model: str) -> dict[str, Any]:
    """The device and the dtype the hf backend loads the model in (the same call ``suite eval`` makes)."""
    import torch
    import transformers

    from suite.evaluation import EvalConfig
    from suite.evaluation._evaluate import make_backend
    from suite.evaluation._model import resolve_model

    backend, _ = make_backend(EvalConfig(model=model, backend="hf"), resolve_model(model, None, False))
    found = {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "backend_device": str(next(backend.model.parameters()).device),  # type: ignore[attr-defined]
        "dtype": str(next(backend.model.parameters()).dtype),  # type: ignore[attr-defined]
    }
    backend.close()
    return found


def timed(command: list[str]) -> dict[str, Any]:
    began = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ | {"HF_HUB_OFFLINE": "1"})
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"process_s": round(time.monotonic() - began, 1)}


def lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def summary(folder: Path) -> dict[str, Any]:
    result = json.loads((folder / "result.json").read_text())
    wall = result["timing"]["wall_s"]
    return {
        "wall_s": wall,
        "generate_s": result["timing"]["generate_s"],
        "completion_tokens": result["timing"]["completion_tokens"],
        "tokens_per_s": round(result["timing"]["completion_tokens"] / max(result["timing"]["generate_s"], 1e-9)),
        "idle_fraction": result["timeline"]["idle_fraction"],
        "resumed_samples": result["timing"].get("resumed_samples", 0),
        "samples": result["samples"]["count"],
        "solo_macro": result["metrics"]["solo"]["macro"]["value"],
        "recoverability_shared": result["metrics"].get("recoverability", {}).get("shared", {}).get("mean"),
        "backend": result["backend"],
        "samples_sha256": hashlib.sha256((folder / "samples.jsonl.gz").read_bytes()).hexdigest(),
    }


if __name__ == "__main__":
    main()
