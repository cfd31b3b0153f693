r"""Chat templates of the reasoning-model families the protocol must handle.

They mimic how real families open (or do not open) the thinking block, using the
tiny tokenizer's own markers, so prompt building is tested on each shape:

- ``qwen3``: the model writes ``<think>`` itself; ``enable_thinking=False``
  prefills an empty thinking block; past assistant turns lose their thinking.
- ``deepseek_r1``: the generation prompt already ends in ``<think>\n``.
- ``openthinker``: the generation prompt opens with ``<think> `` (a space, no newline).
- ``limo``: no think tag at all and a default system prompt (Qwen2.5 style).
"""

from __future__ import annotations

from dataclasses import dataclass

QWEN3 = (
    "{%- for message in messages -%}"
    "{%- if message.role == 'assistant' -%}"
    "{%- set content = message.content.split('</think>')[-1].lstrip('\\n') -%}"
    "{{- '<|im_start|>assistant\\n' + content + '<|im_end|>\\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- if enable_thinking is defined and enable_thinking is false -%}"
    "{{- '<think>\\n\\n</think>\\n\\n' -}}"
    "{%- endif -%}"
    "{%- endif -%}"
)

DEEPSEEK_R1 = (
    "{{- bos_token -}}"
    "{%- for message in messages -%}"
    "{%- if message.role == 'user' -%}"
    "{{- '<|User|>' + message.content -}}"
    "{%- elif message.role == 'assistant' -%}"
    "{{- '<|Assistant|>' + message.content.split('</think>')[-1] + eos_token -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|Assistant|><think>\\n' -}}{%- endif -%}"
)

OPENTHINKER = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n<think> ' -}}{%- endif -%}"
)

LIMO = (
    "{%- if messages[0].role != 'system' -%}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

CHAT_TEMPLATES: dict[str, str] = {
    "qwen3": QWEN3,
    "deepseek_r1": DEEPSEEK_R1,
    "openthinker": OPENTHINKER,
    "limo": LIMO,
}
"""Template family name -> Jinja chat template."""


@dataclass(frozen=True)
class ControlTokens:
    """A real model family's control tokens, to give a tiny tokenizer the same atomic markers."""

    special: tuple[str, ...]
    """Special tokens: single tokens that ``skip_special_tokens=True`` drops."""
    ordinary: tuple[str, ...] = ()
    """Single tokens that survive ``skip_special_tokens=True`` (``<think>`` in Qwen3 and DeepSeek)."""
    bos: str | None = None
    eos: str | None = None
    pad: str | None = None


_DEEPSEEK_BOS, _DEEPSEEK_EOS = "<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"

MODEL_TOKENS: dict[str, ControlTokens] = {
    "qwen": ControlTokens(
        ("<|endoftext|>", "<|im_start|>", "<|im_end|>"), ("<think>", "</think>"), None, "<|im_end|>", "<|endoftext|>"
    ),
    "deepseek": ControlTokens(
        (_DEEPSEEK_BOS, _DEEPSEEK_EOS, "<\uff5cUser\uff5c>", "<\uff5cAssistant\uff5c>"),
        ("<think>", "</think>"),
        _DEEPSEEK_BOS,
        _DEEPSEEK_EOS,
        _DEEPSEEK_EOS,
    ),
    "harmony": ControlTokens(
        (
            "<|startoftext|>",
            "<|endoftext|>",
            "<|start|>",
            "<|end|>",
            "<|message|>",
            "<|channel|>",
            "<|return|>",
            "<|call|>",
            "<|constrain|>",
        ),
        (),
        "<|startoftext|>",
        "<|return|>",
        "<|endoftext|>",
    ),
    "mistral": ControlTokens(
        (
            "<s>",
            "</s>",
            "<pad>",
            "[INST]",
            "[/INST]",
            "[SYSTEM_PROMPT]",
            "[/SYSTEM_PROMPT]",
            "[THINK]",
            "[/THINK]",
            "[AVAILABLE_TOOLS]",
            "[/AVAILABLE_TOOLS]",
            "[TOOL_RESULTS]",
            "[/TOOL_RESULTS]",
            "[TOOL_CALLS]",
            "[ARGS]",
            "[IMG]",
        ),
        (),
        "<s>",
        "</s>",
        "<pad>",
    ),
}
"""Control tokens of real reasoning-model families (Qwen3/QwQ, DeepSeek-R1/V3.1, gpt-oss, Ministral-3), as
their tokenizers have them: a tiny tokenizer built with them tokenises a real chat template's markers the
way the real model does (``build_chat_tokenizer``)."""
