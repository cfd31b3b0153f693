r"""The steered prompt: M's own chat template, the thinking opener, then the spliced thinking.

PROTOCOL.md "Steered prompt": the chat template rendered for the user turn (no
system prompt) with the generation prompt, then ``<think>\n`` if the template
does not open thinking itself, then the spliced thinking as raw text. We
tokenise ourselves so the exact prompt can be hashed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol

from suite._errors import SuiteError

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
OPENER = "<think>\n"
PROBE_THINKING = "Okay, let me probe: 12 + 30 = 42.\n\nWait. Let me think, again (carefully) about x^2 \u2264 7."


class ChatTokenizer(Protocol):
    """The slice of a Hugging Face tokenizer the prompt builder uses."""

    chat_template: Any

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...
    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...
    def decode(self, token_ids: Any, **kwargs: Any) -> str: ...


def opens_thinking(rendered: str) -> bool:
    """True when the text ends inside an open ``<think>`` block."""
    return rendered.rfind(THINK_OPEN) > rendered.rfind(THINK_CLOSE)


def generation_prompt(tokenizer: ChatTokenizer, problem: str) -> str:
    """The chat template rendered for the user turn ``problem`` with the generation prompt."""
    return str(
        tokenizer.apply_chat_template(
            [{"role": "user", "content": problem}], tokenize=False, add_generation_prompt=True
        )
    )


@dataclass(frozen=True)
class SteeredPrompt:
    """A prompt ready for the engine, with its parts and its hash."""

    text: str
    """Rendered template + opener + spliced thinking."""
    token_ids: tuple[int, ...]
    """What the engine receives."""
    opener: str
    """``<think>\\n`` when the template did not open thinking, else ``""``."""

    @property
    def sha256(self) -> str:
        """Hash of the token ids: identical prompts, identical hashes."""
        return hashlib.sha256(json.dumps(list(self.token_ids)).encode()).hexdigest()


def steered_prompt(tokenizer: ChatTokenizer, problem: str, thinking: str = "") -> SteeredPrompt:
    """The prompt that makes M continue ``thinking`` as its own (no ``</think>`` is added)."""
    rendered = generation_prompt(tokenizer, problem)
    opener = "" if opens_thinking(rendered) else OPENER
    text = rendered + opener + thinking
    return SteeredPrompt(text, tuple(tokenizer.encode(text, add_special_tokens=False)), opener)


def probe_template(tokenizer: ChatTokenizer, model: str) -> str:
    """Check once that M's template can carry a thinking prefill; return the opener it needs.

    Refused (SuiteError): no chat template; a generation prompt that closes the
    thinking block (thinking switched off); a template that drops or rewrites the
    user's problem; a tokenizer that does not give back a thinking prefix intact.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise SuiteError(
            f"{model} has no chat template; the suite needs the model's own template to build steered prompts."
        )
    problem = "Probe question: what is 12 + 30?"
    rendered = generation_prompt(tokenizer, problem)
    if problem not in rendered:
        raise SuiteError(f"the chat template of {model} rewrites the user's problem; it cannot be used as is.")
    tail = rendered[rendered.rfind(problem) :]
    if THINK_CLOSE in tail and not opens_thinking(tail):
        raise SuiteError(
            f"the chat template of {model} closes the thinking block in its generation prompt (thinking off), "
            "so it cannot carry a thinking prefill; use a template with thinking on."
        )
    prompt = steered_prompt(tokenizer, problem, PROBE_THINKING)
    decoded = tokenizer.decode(list(prompt.token_ids), skip_special_tokens=False)
    if not decoded.endswith(prompt.opener + PROBE_THINKING):
        raise SuiteError(
            f"the tokenizer of {model} does not carry a thinking prefix intact (it re-encodes it as "
            f"{decoded[-len(PROBE_THINKING) :]!r}); it cannot be evaluated with steered prompts."
        )
    return prompt.opener
