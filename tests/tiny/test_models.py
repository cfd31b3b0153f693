"""The random tiny models: every template family, loaded through the real from_pretrained path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import AutoModelForCausalLM, AutoTokenizer

from suite.tiny import CHAT_TEMPLATES

USER = [{"role": "user", "content": "What is 2 plus 3?"}]


@pytest.mark.parametrize(
    ("family", "ending"),
    [
        ("qwen3", "<|im_start|>assistant\n"),
        ("deepseek_r1", "<|Assistant|><think>\n"),
        ("openthinker", "<|im_start|>assistant\n<think> "),
        ("limo", "<|im_start|>assistant\n"),
    ],
)
def test_template_family_generation_prompt(tiny_model: Callable[[str], Path], family: str, ending: str) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model(family))
    prompt = tokenizer.apply_chat_template(USER, tokenize=False, add_generation_prompt=True)
    assert prompt.endswith(ending)
    assert "What is 2 plus 3?" in prompt
    if family == "limo":
        assert "<think>" not in prompt and prompt.startswith("<|im_start|>system\n")


def test_qwen3_thinking_switch_and_history(tiny_model: Callable[[str], Path]) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))
    off = tokenizer.apply_chat_template(USER, tokenize=False, add_generation_prompt=True, enable_thinking=False)
    assert off.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    history = [*USER, {"role": "assistant", "content": "<think>\nsecret\n</think>\n\nFive."}]
    rendered = tokenizer.apply_chat_template(history, tokenize=False)
    assert "secret" not in rendered and "Five." in rendered


@pytest.mark.parametrize("family", sorted(CHAT_TEMPLATES))
def test_model_loads_and_generates(tiny_model: Callable[[str], Path], family: str) -> None:
    path = tiny_model(family)
    assert (path / "config.json").is_file() and (path / "tokenizer.json").is_file()
    model = AutoModelForCausalLM.from_pretrained(path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert model.config.model_type == "qwen3"
    assert 50_000 < sum(p.numel() for p in model.parameters()) < 2_000_000
    ids = tokenizer.apply_chat_template(USER, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    torch.manual_seed(0)
    out = model.generate(**ids, max_new_tokens=5, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    assert out.shape[1] == ids["input_ids"].shape[1] + 5


def test_think_tags_are_single_tokens_that_survive_decoding(tiny_model: Callable[[str], Path]) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))
    for tag in ("<think>", "</think>"):
        ids = tokenizer(tag, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1
        assert tokenizer.decode(ids, skip_special_tokens=True) == tag
    assert (
        tokenizer.decode(tokenizer("<|im_end|>", add_special_tokens=False)["input_ids"], skip_special_tokens=True) == ""
    )


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_text_round_trips_through_the_tokenizer(tiny_model: Callable[[str], Path], text: str) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))
    assert tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"]) == text
