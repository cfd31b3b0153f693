r"""Thinking formats: how a reasoning model marks its thinking, and where its answer starts.

PROTOCOL.md "Grading" (thinking formats): most reasoners think inside
``<think>...</think>``; Mistral's reasoning models inside ``[THINK]...[/THINK]``;
gpt-oss (harmony) in an ``analysis`` channel message, its answer in the
``final`` channel; LIMO-style models write no markers at all, so their whole
output is reasoning. The table below is explicit: a format the suite does not
know is refused, never guessed.

A completion is what the engine generated after the prompt. Where a format's
markers are special tokens of M's tokenizer (harmony, Mistral) the backends must
decode with ``skip_special_tokens=False`` (see ``needs_special_tokens``); such a
completion then also carries end-of-turn markers (``<|return|>``,
``<|im_end|>``, ``</s>`` ...), which ``ThinkingFormat.split`` strips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from suite._errors import SuiteError

PROMPT_DATE = datetime(2026, 1, 1)
"""The date a template's ``strftime_now`` returns while the suite renders it (recorded; never the real day)."""
END_MARKERS: tuple[str, ...] = (
    "<|im_end|>",
    "<|endoftext|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "</s>",
    "<\uff5cend\u2581of\u2581sentence\uff5c>",
    "<|eot_id|>",
    "<|end_of_text|>",
)
"""End-of-turn and padding markers a completion decoded with special tokens may end with."""


class MarkerTokenizer(Protocol):
    """The slice of a Hugging Face tokenizer that ``needs_special_tokens`` uses."""

    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...
    def decode(self, token_ids: Any, **kwargs: Any) -> str: ...


def strip_end_markers(text: str) -> str:
    """``text`` without the end-of-turn markers and whitespace it ends with (repeated padding included)."""
    while True:
        stripped = text.rstrip()
        for marker in END_MARKERS:
            stripped = stripped.removesuffix(marker)
        if stripped == text:
            return text
        text = stripped


@dataclass(frozen=True)
class ThinkingFormat:
    """How M marks its thinking: one row of ``FORMATS``, or that row bound to M's template by the probe."""

    name: str
    """``think``, ``mistral``, ``harmony`` or ``none``."""
    opener: str
    """Text that opens the thinking block, as the model writes it (``""``: no markers)."""
    closer: str
    """Text that ends the thinking block (``""``: no markers, the whole output is reasoning)."""
    prefill: str
    """What the suite appends after the generation prompt to open thinking. In ``FORMATS``: what M would
    write itself. In the probe's answer: what M's prompts actually get (``""`` where the template opens
    thinking itself)."""
    answer_marker: str = ""
    """Text after which the answer starts when it is not simply after the closer (harmony's final channel)."""
    special_markers: bool = False
    """Whether the markers are special tokens of M's tokenizer, so completions must be decoded with
    ``skip_special_tokens=False`` (set by the probe; ``False`` in ``FORMATS``)."""

    def opens(self, text: str) -> bool:
        """True when ``text`` ends inside an open thinking block of this format."""
        return bool(self.opener) and text.rfind(self.opener) > text.rfind(self.closer)

    def closes(self, text: str) -> bool:
        """True when ``text`` (a generation prompt) already ended thinking: a template with thinking off.

        That is a closer outside open thinking; for harmony, whose closer also ends every other message,
        a started final-channel message.
        """
        if self.answer_marker:
            return self.answer_marker in text and not self.opens(text)
        return bool(self.closer) and self.closer in text and not self.opens(text)

    def split(self, completion: str, finish_reason: str) -> tuple[str, str | None]:
        """(thinking, answer region) of a completion; the answer region is None when M never finished thinking.

        With markers: the thinking is the text before the first closer (line breaks before the closer
        dropped); the answer region is the text after the last closer (harmony: after the last final-channel
        header; ``""`` when M stopped without writing one). No closer means truncated. Without markers
        (``none``): both are the whole completion, truncated only when ``finish_reason == "length"``.
        End-of-turn markers are stripped from the end of both, surrounding whitespace from the answer region.
        """
        if not self.closer:
            text = strip_end_markers(completion)
            return text, None if finish_reason == "length" else text.strip()
        end = completion.find(self.closer)
        if end < 0:
            return strip_end_markers(completion), None
        thinking = completion[:end].rstrip("\n")
        if not self.answer_marker:
            return thinking, strip_end_markers(completion[completion.rfind(self.closer) + len(self.closer) :]).strip()
        start = completion.rfind(self.answer_marker)
        if start < end:
            return thinking, None if finish_reason == "length" else ""
        return thinking, strip_end_markers(completion[start + len(self.answer_marker) :]).strip()

    def to_json(self) -> dict[str, Any]:
        """For the result file: the format's name (``format``), its markers, the prefill, and the template date."""
        return {
            "format": self.name,
            "opener": self.opener,
            "closer": self.closer,
            "prefill": self.prefill,
            "answer_marker": self.answer_marker,
            "special_markers": self.special_markers,
            "template_date": PROMPT_DATE.date().isoformat(),
        }


FORMATS: dict[str, ThinkingFormat] = {
    "think": ThinkingFormat("think", "<think>", "</think>", "<think>\n"),
    "mistral": ThinkingFormat("mistral", "[THINK]", "[/THINK]", "[THINK]"),
    "harmony": ThinkingFormat(
        "harmony",
        "<|channel|>analysis<|message|>",
        "<|end|>",
        "<|channel|>analysis<|message|>",
        answer_marker="<|channel|>final<|message|>",
    ),
    "none": ThinkingFormat("none", "", "", ""),
}
"""Every thinking format the suite can build steered prompts for, by name. Markers as in the models' own
chat templates: Qwen3/QwQ/DeepSeek-R1 (``<think>\\n``), Ministral-3 Reasoning (``[THINK]``), gpt-oss (the
generation prompt ``<|start|>assistant`` is followed by ``<|channel|>analysis<|message|>``, the thinking ends
at ``<|end|>`` and the answer follows ``<|start|>assistant<|channel|>final<|message|>``), LIMO (nothing)."""


def format_named(name: str) -> ThinkingFormat:
    """The format called ``name`` (SuiteError naming the known formats otherwise)."""
    if name not in FORMATS:
        raise SuiteError(
            f"unknown thinking format {name!r}; --thinking-format takes one of {', '.join(sorted(FORMATS))}."
        )
    return FORMATS[name]


def needs_special_tokens(tokenizer: MarkerTokenizer, fmt: ThinkingFormat) -> bool:
    """True when decoding with ``skip_special_tokens=True`` would drop one of ``fmt``'s markers for this tokenizer."""
    markers = [m for m in (fmt.opener, fmt.closer, fmt.answer_marker) if m]
    return any(
        tokenizer.decode(tokenizer.encode(m, add_special_tokens=False), skip_special_tokens=True) != m for m in markers
    )
