"""Solo solve rates of the tiny trained reasoner (8 samples, temperature 0.6).

Usage: python benchmarks/tiny_reasoner_solve_rates.py [--questions 100] [--samples 8]
Trains (or loads from cache) the reasoner, samples held-out arithmetic questions
with HF transformers on CPU, and prints the solve-rate histogram and accuracy.
Answers are compared as integers taken from the last \\boxed{} after </think>.
"""

from __future__ import annotations

import argparse
import collections
import re
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from suite.tiny import TrainingConfig, arithmetic_problems, ensure_reasoner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--model", help="a trained reasoner folder (default: train or load the cached one)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    start = time.monotonic()
    path = Path(args.model) if args.model else ensure_reasoner(log=True)
    print(f"reasoner at {path} ({time.monotonic() - start:.1f}s)")
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    seen = {p.id for p in arithmetic_problems(TrainingConfig().problems, seed=TrainingConfig().seed)}
    held_out = [p for p in arithmetic_problems(args.questions * 3, seed=args.seed) if p.id not in seen]
    held_out = held_out[: args.questions]
    prompts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p.problem}], tokenize=False, add_generation_prompt=True
        )
        for p in held_out
    ]
    torch.manual_seed(args.seed)
    solved: collections.Counter[str] = collections.Counter()
    truncated = 0
    gen_start = time.monotonic()
    for i in range(0, len(prompts), 25):
        batch = tokenizer(prompts[i : i + 25], return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(
                **batch,
                do_sample=True,
                temperature=0.6,
                top_p=0.95,
                top_k=0,
                max_new_tokens=400,
                num_return_sequences=args.samples,
            )
        texts = tokenizer.batch_decode(out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
        for j, text in enumerate(texts):
            problem = held_out[i + j // args.samples]
            if "</think>" not in text:
                truncated += 1
                continue
            boxed = re.findall(r"\\boxed\{(-?\d+)\}", text.split("</think>")[-1])
            if boxed and int(boxed[-1]) == problem.answer:
                solved[problem.id] += 1
    histogram = collections.Counter(solved[p.id] for p in held_out)
    total = sum(solved.values())
    print(f"generation: {time.monotonic() - gen_start:.1f}s for {len(held_out) * args.samples} samples")
    print(f"mean Pass@1: {total / (len(held_out) * args.samples):.3f}; truncated: {truncated}")
    for k in range(args.samples + 1):
        print(f"  solved {k}/{args.samples}: {histogram.get(k, 0)} questions")


if __name__ == "__main__":
    main()
