"""The openai backend over one server vs two: the same requests, completion tokens/s and wall time.

Usage: VLLM_CPU_KVCACHE_SPACE=1 python benchmarks/two_servers.py [--questions 24] [--samples 8]
       [--max-tokens 320] [--repeat 3] [--pin-cores] [--base-url URL --base-url URL]
Without --base-url, two vLLM OpenAI servers (vllm-cpu here) serve the tiny trained reasoner, started
together. By default both share all CPU cores, so two servers have the hardware of one; with --pin-cores each
is pinned to its own core (``taskset`` and ``VLLM_CPU_OMP_THREADS_BIND``): one server is then the hardware of
one replica and two servers twice that, as with one GPU per server. With two --base-url, those servers are
used (e.g. one vLLM server per GPU). Each measurement sends the same requests (``questions`` arithmetic
prompts, ``samples`` seeded samples each, ``solo/...`` keys, so each question stays on one server) through
``OpenAIBackend`` to the first server alone, then to both; the order alternates between repeats, after one
warm-up pass. Prints one JSON line per measurement, then the medians and the ratio two / one.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model: Path, log: Path, core: int | None) -> tuple[subprocess.Popen[bytes], str]:
    """A vLLM OpenAI server for the tiny reasoner on loopback (on one CPU core when ``core`` is given)."""
    port = free_port()
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model)]
    command += ["--served-model-name", "tiny", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--max-model-len", "1024", "--dtype", "float32", "--no-enable-chunked-prefill"]
    env = os.environ | {"VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
        env["VLLM_CPU_OMP_THREADS_BIND"] = str(core)
    # A session of its own: stopping it stops its engine process too.
    server = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return server, f"http://127.0.0.1:{port}/v1"


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wait_up(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 1800
    while True:
        if server.poll() is not None:
            raise SystemExit(f"vllm server exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url + "/models", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"vllm server did not start in 1800 s; see {log}") from None
            time.sleep(2)


def requests(tokenizer: Any, questions: int, samples: int) -> list[Any]:
    """One request per generated arithmetic question, ``samples`` seeded samples each (the solo pass's shape)."""
    from suite.backends._base import Request
    from suite.steering import steered_prompt
    from suite.tiny._arithmetic import arithmetic_problems

    problems = arithmetic_problems(questions, seed=99)
    return [
        Request(f"solo/q{i}", steered_prompt(tokenizer, p.problem, "").token_ids, samples, 1000 + 100 * i)
        for i, p in enumerate(problems)
    ]


def measure(urls: list[str], tokenizer: Any, work: list[Any], max_tokens: int) -> dict[str, Any]:
    from suite.backends._base import SamplingConfig
    from suite.backends._openai import OpenAIBackend

    backend = OpenAIBackend(urls, "tiny", tokenizer, 1024)
    began = time.monotonic()
    completions = backend.generate(work, SamplingConfig(max_tokens=max_tokens))
    seconds = time.monotonic() - began
    backend.close()
    tokens = sum(c.completion_tokens for c in completions)
    return {
        "servers": len(urls),
        "samples": len(completions),
        "completion_tokens": tokens,
        "wall_s": round(seconds, 2),
        "tokens_per_s": round(tokens / seconds, 1),
        "calls_per_server": backend.answered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=24)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=320)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pin-cores", action="store_true", help="each started server on its own CPU core")
    parser.add_argument("--base-url", action="append", help="two running servers (default: start two here)")
    args = parser.parse_args()
    if args.base_url is not None and len(args.base_url) != 2:
        parser.error("pass --base-url twice, or not at all")
    from transformers import AutoTokenizer

    from suite.tiny import ensure_reasoner

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = ensure_reasoner()
    tokenizer = AutoTokenizer.from_pretrained(model)
    work_dir = Path(tempfile.mkdtemp(prefix="two-servers-"))
    servers: list[subprocess.Popen[bytes]] = []
    urls = args.base_url or []
    cores = sorted(os.sched_getaffinity(0))
    if args.pin_cores and len(cores) < 2:
        parser.error("--pin-cores needs two CPU cores")
    try:
        for i in range(0 if args.base_url else 2):
            server, url = start_server(model, work_dir / f"server-{i}.log", cores[i] if args.pin_cores else None)
            servers.append(server)
            urls.append(url)
        for i, (server, url) in enumerate(zip(servers, urls, strict=False)):
            wait_up(server, url, work_dir / f"server-{i}.log")
        knobs = {k: v for k, v in vars(args).items() if k != "base_url"}
        print(json.dumps({"model": str(model), "servers": urls, "cores": len(cores), **knobs}), flush=True)
        work = requests(tokenizer, args.questions, args.samples)
        for url in urls:  # warm-up: each server's first batch pays for one-time set-up
            measure([url], tokenizer, work[:2], args.max_tokens)
        rates: dict[int, list[float]] = {1: [], 2: []}
        walls: dict[int, list[float]] = {1: [], 2: []}
        for r in range(args.repeat):
            for count in (1, 2) if r % 2 == 0 else (2, 1):
                row = measure(urls[:count], tokenizer, work, args.max_tokens)
                rates[count].append(row["tokens_per_s"])
                walls[count].append(row["wall_s"])
                print(json.dumps(row), flush=True)
    finally:
        for server in servers:
            stop(server)
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(
        f"median completion tokens/s: one server {one:.1f} (wall {statistics.median(walls[1]):.1f} s), "
        f"two servers {two:.1f} (wall {statistics.median(walls[2]):.1f} s); ratio two / one {two / one:.2f}"
    )


if __name__ == "__main__":
    main()
