"""Solo solve rates of the tiny trained reasoner (8 samples, temperature 0.6), and the shape of its trajectories.

Usage: python benchmarks/tiny_reasoner_solve_rates.py [--questions 48] [--samples 8] [--max-tokens 640]
Trains (or loads from cache) the reasoner, samples held-out arithmetic questions
with HF transformers on CPU, and prints the solve-rate histogram and accuracy,
tokens per response, the generation time, and the paragraphs of the thinking
(split on blank lines: how many, and words per paragraph), which is what the
protocol cuts into units. Answers are compared as integers taken from the last
\\boxed{} after </think>.
"""

from __future__ import annotations

import argparse
import collections
import re
import statistics
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from suite.tiny import TrainingConfig, arithmetic_problems, ensure_reasoner


def paragraph_words(thinking: str) -> list[int]:
    """Words in each blank-line-separated paragraph of ``thinking`` (empty paragraphs dropped)."""
    return [len(p.split()) for p in re.split(r"\n[ \t]*\n", thinking) if p.strip()]


def describe(name: str, values: list[int]) -> str:
    if not values:
        return f"{name}: none"
    return f"{name}: min {min(values)}, mean {statistics.mean(values):.1f}, max {max(values)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=48)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=320)
    parser.add_argument("--batch", type=int, default=16, help="questions per generate call")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads for generation")
    parser.add_argument("--model", help="a trained reasoner folder (default: train or load the cached one)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.monotonic()
    path = Path(args.model) if args.model else ensure_reasoner(log=True)
    print(f"reasoner at {path} ({time.monotonic() - start:.1f}s)")
    training = path / "training.json"
    if training.is_file():
        print(f"training: {training.read_text().strip()}")
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
    reference = [len(tokenizer(p.response, add_special_tokens=False)["input_ids"]) + 1 for p in held_out]
    torch.manual_seed(args.seed)
    solved: collections.Counter[str] = collections.Counter()
    truncated = 0
    correct_tokens: list[int] = []
    all_tokens: list[int] = []
    paragraphs: list[int] = []
    words: list[int] = []
    short_paragraphs = 0
    gen_seconds = 0.0
    for i in range(0, len(prompts), args.batch):
        batch = tokenizer(prompts[i : i + args.batch], return_tensors="pt", padding=True, add_special_tokens=False)
        gen_start = time.monotonic()
        with torch.no_grad():
            out = model.generate(
                **batch,
                do_sample=True,
                temperature=0.6,
                top_p=0.95,
                top_k=0,
                max_new_tokens=args.max_tokens,
                num_return_sequences=args.samples,
            )
        gen_seconds += time.monotonic() - gen_start
        completions = out[:, batch["input_ids"].shape[1] :]
        texts = tokenizer.batch_decode(completions, skip_special_tokens=True)
        for j, (ids, text) in enumerate(zip(completions, texts, strict=True)):
            problem = held_out[i + j // args.samples]
            n_tokens = int((ids != tokenizer.pad_token_id).sum())  # pads follow the end-of-turn token, which counts
            all_tokens.append(n_tokens)
            if "</think>" not in text:
                truncated += 1
                continue
            counts = paragraph_words(text.split("</think>")[0].removeprefix("<think>"))
            paragraphs.append(len(counts))
            words.extend(counts)
            short_paragraphs += sum(c < 30 for c in counts)
            boxed = re.findall(r"\\boxed\{(-?\d+)\}", text.split("</think>")[-1])
            if boxed and int(boxed[-1]) == problem.answer:
                solved[problem.id] += 1
                correct_tokens.append(n_tokens)
    histogram = collections.Counter(solved[p.id] for p in held_out)
    total = sum(solved.values())
    samples = len(held_out) * args.samples
    print(
        f"generation (hf, CPU, {args.threads} threads, max {args.max_tokens} new tokens): {gen_seconds:.1f}s "
        f"for {samples} samples of {len(held_out)} questions"
    )
    print(f"mean Pass@1: {total / samples:.3f}; truncated (no </think>): {truncated}")
    for k in range(args.samples + 1):
        print(f"  solved {k}/{args.samples}: {histogram.get(k, 0)} questions")
    print(describe("generator's own responses, tokens (with end of turn)", reference))
    print(describe("tokens per correct response (with end of turn)", correct_tokens))
    print(describe("tokens per response (all)", all_tokens))
    print(describe("paragraphs per closed thinking", paragraphs))
    print(describe("words per paragraph", words) + f"; paragraphs under 30 words: {short_paragraphs}")
    if paragraphs:
        kept = [int(n * 0.2) for n in paragraphs]
        print(f"paragraphs a 20% cut keeps, int(n * 0.2): min {min(kept)}, max {max(kept)}")


if __name__ == "__main__":
    main()
