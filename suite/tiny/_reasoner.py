"""The tiny trained reasoner: a ~1M-parameter Qwen3 that does arithmetic in <think>.

Trained on CPU in a few minutes with a fixed seed, then cached on disk so tests
and the demo pay for it once. Its solve rate over 8 samples varies by question,
which is what the twin tests need from a model under test.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from suite.tiny._arithmetic import PHRASES, arithmetic_problems
from suite.tiny._model import build_random_model
from suite.tiny._tokenizer import build_tokenizer

_FORMAT = 4  # bump when the problem generator or training changes meaning


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides the trained weights; its hash names the cache entry."""

    seed: int = 0
    problems: int = 8000
    steps: int = 720
    batch_size: int = 16
    learning_rate: float = 5e-3
    warmup_steps: int = 40
    hidden_size: int = 96
    layers: int = 4
    vocab_size: int = 1024
    threads: int = 2
    digit_weight: float = 3.0
    """Loss weight of digit tokens against 1 for the rest: the arithmetic is what decides the answer."""

    def key(self) -> str:
        """Short content hash of this config and the data format."""
        blob = json.dumps({"format": _FORMAT, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def cache_root() -> Path:
    """Where trained tiny models live (``SUITE_CACHE_DIR`` overrides)."""
    base = os.environ.get("SUITE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "off-trajectory-suite"
    )
    return Path(base)


def ensure_reasoner(config: TrainingConfig | None = None, log: bool = False) -> Path:
    """Return the directory of the trained reasoner, training it first if not cached.

    Safe when several processes ask at once: a file lock serialises training and
    the finished model is moved into place atomically.
    """
    from filelock import FileLock

    config = config or TrainingConfig()
    target = cache_root() / f"tiny-reasoner-{config.key()}"
    if (target / "training.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "training.json").is_file():
            return target
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tiny-reasoner-"))
        try:
            train_reasoner(tmp, config, log=log)
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def train_reasoner(out_dir: Path, config: TrainingConfig, log: bool = False) -> None:
    """Train the tiny reasoner from scratch and save it with ``save_pretrained``."""
    import torch

    start = time.monotonic()
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    problems = arithmetic_problems(config.problems, seed=config.seed)
    tokenizer = build_tokenizer(
        [p.problem for p in problems[:4000]] + [p.response for p in problems[:4000]],
        template="qwen3",
        vocab_size=config.vocab_size,
        phrases=PHRASES,
    )
    model = build_random_model(tokenizer, hidden_size=config.hidden_size, layers=config.layers, seed=config.seed)
    prompts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p.problem}], tokenize=False, add_generation_prompt=True
        )
        for p in problems
    ]
    prompt_ids = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    response_ids = tokenizer([p.response for p in problems], add_special_tokens=False)["input_ids"]
    examples = [(p, [*r, tokenizer.eos_token_id]) for p, r in zip(prompt_ids, response_ids, strict=True)]

    digits = torch.zeros(len(tokenizer), dtype=torch.bool)
    digits[[tokenizer.convert_tokens_to_ids(d) for d in "0123456789"]] = True
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min(1.0, (s + 1) / config.warmup_steps) * max(0.05, 1 - s / config.steps),
    )
    model.train()
    for step in range(config.steps):
        batch = rng.sample(examples, config.batch_size)
        width = max(len(p) + len(r) for p, r in batch)
        ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (p, r) in enumerate(batch):
            ids[row, : len(p) + len(r)] = torch.tensor(p + r)
            labels[row, len(p) : len(p) + len(r)] = torch.tensor(r)
            mask[row, : len(p) + len(r)] = 1
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
        targets = labels[:, 1:]
        token_loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100, reduction="none"
        )
        weights = torch.where(digits[targets.clamp(min=0)], config.digit_weight, 1.0).reshape(-1) * (
            targets.reshape(-1) != -100
        )
        loss = (token_loss * weights).sum() / weights.sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if log and (step % 50 == 0 or step == config.steps - 1):
            print(f"step {step:4d}  loss {loss.item():.4f}  {time.monotonic() - start:6.1f}s", flush=True)
    model.eval()
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    summary = {
        "config": asdict(config),
        "format": _FORMAT,
        "parameters": sum(p.numel() for p in model.parameters()),
        "seconds": round(time.monotonic() - start, 1),
    }
    (out_dir / "training.json").write_text(json.dumps(summary, indent=2) + "\n")
