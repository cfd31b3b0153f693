"""The tiny trained reasoner: cached training and real sampled generations.

Trained weights differ from one CPU to another (float summation order), so the
assertions on sampled text are properties any adequately trained reasoner has,
never particular outputs.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from suite.steering import unit_spans
from suite.tiny import TrainingConfig, arithmetic_problems, ensure_reasoner

MAX_NEW_TOKENS = 320
"""Room for a whole response: the generator's own take 200-245 tokens with the end-of-turn token."""


def test_training_is_cached_and_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUITE_CACHE_DIR", str(tmp_path))
    config = TrainingConfig(problems=64, steps=3, batch_size=4)
    path = ensure_reasoner(config)
    assert path.parent == tmp_path and config.key() in path.name
    assert (path / "training.json").is_file() and (path / "model.safetensors").is_file()
    stamp = (path / "training.json").stat().st_mtime_ns
    assert ensure_reasoner(config) == path
    assert (path / "training.json").stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [path.name]
    assert TrainingConfig(seed=1).key() != TrainingConfig().key()


def test_sampled_solve_rates_vary_and_trajectories_are_worth_cutting(tiny_reasoner: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_reasoner)
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(tiny_reasoner).eval()
    seen = {p.id for p in arithmetic_problems(TrainingConfig().problems, seed=TrainingConfig().seed)}
    questions = [p for p in arithmetic_problems(80, seed=777) if p.id not in seen][:32]
    prompts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p.problem}], tokenize=False, add_generation_prompt=True
        )
        for p in questions
    ]
    batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    torch.manual_seed(0)
    with torch.no_grad():
        out = model.generate(
            **batch,
            do_sample=True,
            temperature=0.6,
            top_p=0.95,
            top_k=0,
            max_new_tokens=MAX_NEW_TOKENS,
            num_return_sequences=8,
        )
    texts = tokenizer.batch_decode(out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
    solved: collections.Counter[int] = collections.Counter()
    closed, worth_cutting = 0, 0
    for i, text in enumerate(texts):
        question = questions[i // 8]
        if "</think>" not in text:
            continue
        closed += 1
        thinking, answer = text.split("</think>", 1)
        # Ten or more units by the protocol's rule (so a 20% cut keeps at least two), none under 30 words.
        thinking = thinking.removeprefix("<think>")
        units = unit_spans(thinking)
        worth_cutting += len(units) >= 10 and min(len(thinking[s:e].split()) for s, e in units) >= 30
        boxed = re.findall(r"\\boxed\{(-?\d+)\}", answer)
        solved[i // 8] += bool(boxed) and int(boxed[-1]) == question.answer
    assert closed >= 0.9 * len(texts), closed
    assert worth_cutting >= 0.8 * closed, (worth_cutting, closed)
    rates = [solved[q] for q in range(len(questions))]
    assert min(rates) == 0, rates
    assert max(rates) >= 7, rates
    assert len(set(rates)) >= 4, rates
