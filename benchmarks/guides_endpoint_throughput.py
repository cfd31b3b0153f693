"""The chat-endpoint guide route vs ``suite eval --backend openai``: completion tokens/s against the same vLLM server.

Usage: VLLM_CPU_KVCACHE_SPACE=1 python benchmarks/guides_endpoint_throughput.py [--questions 8] [--samples 4]
       [--max-tokens 700] [--concurrency 16] [--repeat 2] [--base-url URL]
One vLLM OpenAI server (``--reasoning-parser deepseek_r1``; started here unless --base-url names one) serves
the tiny trained reasoner from the cache. Both routes ask the same questions of the same arithmetic release
with the same sampling (temperature 0.6, top-p 0.95, top-k off, max tokens): ``suite guides generate`` sends
one chat request per sample; ``suite eval --tests solo --backend openai`` sends one token-id completion
request per question with ``n`` samples. Runs alternate; each is a fresh CLI process and a fresh --out, timed
from process start to exit. Prints one JSON line per run, then the medians and the ratio guides / eval.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any


def tiny_reasoner() -> Path:
    """The tiny reasoner ``ensure_reasoner()`` would return if it is cached, else the newest cached one."""
    from suite.tiny import TrainingConfig, cache_root, ensure_reasoner

    trained = [d for d in cache_root().glob("tiny-reasoner-*") if (d / "model.safetensors").is_file()]
    current = cache_root() / f"tiny-reasoner-{TrainingConfig().key()}"
    if current in trained:
        return current
    return max(trained, key=lambda d: d.stat().st_mtime) if trained else ensure_reasoner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model)]
    command += ["--served-model-name", "tiny", "--reasoning-parser", "deepseek_r1", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--max-model-len", "1024", "--dtype", "float32"]
    command += ["--no-enable-chunked-prefill"]  # vllm-cpu and the eval backend's seeded requests (see _vllm.py)
    env = os.environ | {"VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
    server = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 900
    while True:
        if server.poll() is not None:
            raise SystemExit(f"vllm server exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5):
                return server
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise SystemExit(f"vllm server did not start in 900 s; see {log}") from None
            time.sleep(2)


def run(route: str, model: Path, release: Path, url: str, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    common = ["--release", str(release), "--base-url", url, "--out", str(out), "--limit", str(args.questions)]
    common += ["--samples", str(args.samples), "--max-tokens", str(args.max_tokens)]
    if route == "guides":
        command = ["guides", "generate", "tiny", *common, "--concurrency", str(args.concurrency)]
    else:
        command = ["eval", str(model), "--backend", "openai", "--tests", "solo", *common]
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "suite.cli", *command], capture_output=True, text=True)
    seconds = time.monotonic() - began
    if done.returncode != 0:
        raise SystemExit(f"{route} failed: {done.stderr[-2000:]}")
    if route == "guides":
        rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
        tokens = sum(r["completion_tokens"] for r in rows)
        correct, samples = sum(r["correct"] for r in rows), len(rows)
        own_s = float(done.stdout.split("wall time: ")[1].split("s,")[0])  # the summary's "wall time: 12.3s,"
    else:
        result = json.loads((out / "result.json").read_text())
        tokens = result["timing"]["completion_tokens"]
        with gzip.open(out / "samples.jsonl.gz", "rt") as f:
            grades = [json.loads(line)["grade"]["correct"] for line in f]
        correct, samples = sum(grades), len(grades)
        own_s = result["timing"]["wall_s"]
    return {
        "route": route,
        "samples": samples,
        "correct": correct,
        "completion_tokens": tokens,
        "process_s": round(seconds, 2),
        "tokens_per_s": round(tokens / seconds, 1),
        "own_wall_s": round(own_s, 2),
        "own_tokens_per_s": round(tokens / own_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=700)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--base-url", help="a running vLLM server with --reasoning-parser (default: start one)")
    args = parser.parse_args()
    from suite.tiny import build_arithmetic_release

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="guides-throughput-"))
    model = tiny_reasoner()
    release = build_arithmetic_release(work / "arith", questions=max(16, args.questions), shared=5)
    server = None
    url = args.base_url
    if url is None:
        port = free_port()
        server = start_server(model, port, work / "server.log")
        url = f"http://127.0.0.1:{port}/v1"
    print(json.dumps({"model": str(model), "server": url, **vars(args)}), flush=True)
    try:
        rates: dict[str, list[float]] = {"guides": [], "eval": []}
        for r in range(args.repeat):
            for route in ("guides", "eval") if r % 2 == 0 else ("eval", "guides"):
                row = run(route, model, release, url, work / f"{route}-{r}", args)
                rates[route].append(row["tokens_per_s"])
                print(json.dumps(row), flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
    guides, plain = statistics.median(rates["guides"]), statistics.median(rates["eval"])
    print(
        f"median completion tokens/s (process start to exit): guides generate {guides:.1f}, "
        f"eval --backend openai {plain:.1f}; ratio {guides / plain:.3f}"
    )


if __name__ == "__main__":
    main()
