"""Random-initialised tiny Qwen3 models for tests (no download)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast


def build_random_model(
    tokenizer: PreTrainedTokenizerFast, hidden_size: int = 128, layers: int = 4, seed: int = 0
) -> PreTrainedModel:
    """A Qwen3-architecture causal LM sized to ``tokenizer``, randomly initialised."""
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(seed)
    heads = max(2, hidden_size // 32)
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        head_dim=hidden_size // heads,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return Qwen3ForCausalLM(config)


def save_random_model(
    out_dir: Path,
    template: str = "qwen3",
    corpus: list[str] | None = None,
    tokenizer: PreTrainedTokenizerFast | None = None,
) -> Path:
    """Build a tokenizer with ``template`` (or use ``tokenizer``) and a random tiny model; save both to ``out_dir``."""
    from suite.tiny._arithmetic import arithmetic_problems
    from suite.tiny._tokenizer import build_tokenizer

    if tokenizer is None:
        if corpus is None:
            problems = arithmetic_problems(300, seed=0)
            corpus = [p.problem for p in problems] + [p.response for p in problems]
        tokenizer = build_tokenizer(corpus, template=template)
    model = build_random_model(tokenizer)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
