"""Steered prompts on every template family of the tiny test models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from suite._errors import SuiteError
from suite.steering._prompt import PROBE_THINKING, probe_template, steered_prompt

PROBLEM = "Ada has 3 pens. Ada gets 4 more pens. How many pens does Ada have now?"
THINKING = "Let me read the problem again carefully.\n\nWait. Let me think.\n\nBen has"


@pytest.mark.parametrize(
    ("family", "opener", "before"),
    [
        ("qwen3", "<think>\n", "<|im_start|>assistant\n<think>\n"),
        ("deepseek_r1", "", "<|Assistant|><think>\n"),
        ("openthinker", "", "<|im_start|>assistant\n<think> "),
        ("limo", "<think>\n", "<|im_start|>assistant\n<think>\n"),
    ],
)
def test_steered_prompt_per_family(tiny_model: Callable[[str], Path], family: str, opener: str, before: str) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model(family))
    fmt = probe_template(tokenizer, family)
    assert (fmt.name, fmt.prefill, fmt.special_markers) == ("think", opener, False)
    prompt = steered_prompt(tokenizer, PROBLEM, THINKING, fmt)
    assert prompt.opener == opener
    assert steered_prompt(tokenizer, PROBLEM, THINKING).text == prompt.text  # old call sites: the think format
    assert prompt.text.endswith(before + THINKING)
    assert prompt.text.count("<think>") == 1 and "</think>" not in prompt.text
    assert tokenizer.decode(list(prompt.token_ids), skip_special_tokens=False) == prompt.text
    assert len(prompt.sha256) == 64
    assert steered_prompt(tokenizer, PROBLEM, THINKING).sha256 == prompt.sha256
    assert steered_prompt(tokenizer, PROBLEM, THINKING + " ").sha256 != prompt.sha256


def test_template_with_thinking_switched_off_is_refused(tiny_model: Callable[[str], Path]) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))
    tokenizer.chat_template = tokenizer.chat_template.replace(
        "{%- if enable_thinking is defined and enable_thinking is false -%}", "{%- if true -%}"
    )
    with pytest.raises(SuiteError, match="closes the thinking block in its generation prompt"):
        probe_template(tokenizer, "m")


def test_missing_or_rewriting_templates_are_refused(tiny_model: Callable[[str], Path]) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))
    tokenizer.chat_template = None
    with pytest.raises(SuiteError, match="has no chat template"):
        probe_template(tokenizer, "m")
    tokenizer.chat_template = "{{ '<|im_start|>user\\nSolve it.<|im_end|>\\n<|im_start|>assistant\\n' }}"
    with pytest.raises(SuiteError, match="rewrites the user's problem"):
        probe_template(tokenizer, "m")


def test_tokenizer_that_mangles_the_prefix_is_refused(tiny_model: Callable[[str], Path]) -> None:
    from tokenizers import normalizers

    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))
    tokenizer.backend_tokenizer.normalizer = normalizers.Lowercase()
    with pytest.raises(SuiteError, match="does not carry a thinking prefix intact"):
        probe_template(tokenizer, "m")
    assert PROBE_THINKING.lower() != PROBE_THINKING
