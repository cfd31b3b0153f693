"""The suite's vllm backend vs vLLM itself: the same requests through ``VLLMBackend`` and through ``LLM.generate``.

Usage: VLLM_CPU_KVCACHE_SPACE=1 python benchmarks/vllm_backend_throughput.py [--prompts 48] [--n 8] [--repeat 3]
Model: the tiny trained reasoner (vllm-cpu here; any vLLM build elsewhere). Each
measurement runs in a fresh process with a fresh engine (no prefix cache carried over),
alternating the two ways; generated tokens per second counts only the generation, not
the engine's start-up. Target (issue 5): suite / plain >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any


def requests(prompts: int, n: int) -> list[tuple[list[int], int, int]]:
    """(prompt token ids, n, seed) for ``prompts`` generated arithmetic questions."""
    from transformers import AutoTokenizer

    from suite.steering import steered_prompt
    from suite.tiny import ensure_reasoner
    from suite.tiny._arithmetic import arithmetic_problems

    tokenizer = AutoTokenizer.from_pretrained(ensure_reasoner())
    problems = arithmetic_problems(prompts, seed=99)
    return [(list(steered_prompt(tokenizer, p.problem, "").token_ids), n, 1000 + i) for i, p in enumerate(problems)]


def measure(way: str, prompts: int, n: int, max_tokens: int) -> dict[str, Any]:
    from suite.backends._base import Request, SamplingConfig
    from suite.backends._vllm import VLLMBackend
    from suite.tiny import ensure_reasoner

    model = ensure_reasoner()
    work = requests(prompts, n)
    backend = VLLMBackend(model, seed=0)
    sampling = SamplingConfig(0.6, 0.95, max_tokens)
    began = time.monotonic()
    if way == "suite":
        completions = backend.generate([Request(f"r{i}", tuple(p), k, s) for i, (p, k, s) in enumerate(work)], sampling)
        tokens = sum(c.completion_tokens for c in completions)
    else:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        params = [
            SamplingParams(n=k, seed=s, temperature=0.6, top_p=0.95, top_k=0, max_tokens=max_tokens) for _, k, s in work
        ]
        outputs = backend.llm.generate([TokensPrompt(prompt_token_ids=p) for p, _, _ in work], params, use_tqdm=False)
        tokens = sum(len(o.token_ids) for out in outputs for o in out.outputs)
    seconds = time.monotonic() - began
    backend.close()
    return {"way": way, "tokens": tokens, "seconds": round(seconds, 3), "tokens_per_s": round(tokens / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=48)
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", choices=["suite", "plain"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(measure(args.one, args.prompts, args.n, args.max_tokens)))
        return
    rates: dict[str, list[float]] = {"suite": [], "plain": []}
    for r in range(args.repeat):
        for way in ("plain", "suite") if r % 2 == 0 else ("suite", "plain"):
            command = [sys.executable, __file__, "--one", way, "--prompts", str(args.prompts), "--n", str(args.n)]
            command += ["--max-tokens", str(args.max_tokens)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            row = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))[7:])
            rates[way].append(row["tokens_per_s"])
            print(json.dumps(row), flush=True)
    suite, plain = statistics.median(rates["suite"]), statistics.median(rates["plain"])
    print(f"median tokens/s: suite {suite:.1f}, plain LLM.generate {plain:.1f}; ratio {suite / plain:.3f}")


if __name__ == "__main__":
    main()
