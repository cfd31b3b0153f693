r"""The steered prompt: M's own chat template, its thinking opener, then the spliced thinking.

PROTOCOL.md "Steered prompt": the chat template rendered for the user turn (no
system prompt) with the generation prompt, then the thinking opener of M's
format if the template has not opened thinking itself after the question, then
the spliced thinking as raw text; no closer is added. We tokenise ourselves so
the exact prompt can be hashed. Templates render with a fixed date
(``PROMPT_DATE``) so a prompt never depends on the day it was built.

``probe_template`` checks once, at start-up, that the suite can build M's
prompts exactly, and refuses with one sentence where it cannot.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any, Protocol

from suite._errors import SuiteError
from suite.steering._formats import FORMATS, PROMPT_DATE, ThinkingFormat, format_named, needs_special_tokens

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
OPENER = "<think>\n"
PROBE_PROBLEM = "Probe question: what is 12 + 30?"
PROBE_THINKING = "Okay, let me probe: 12 + 30 = 42.\n\nWait. Let me think, again (carefully) about x^2 \u2264 7."
RESERVED_TEMPLATE_KWARGS = frozenset(
    {"messages", "conversation", "add_generation_prompt", "tokenize", "continue_final_message", "strftime_now"}
)
"""Template variables the suite sets itself; ``chat_template_kwargs`` may not override them."""

_MARKERS: dict[str, tuple[str, ...]] = {
    "harmony": ("<|channel|>",),
    "mistral": ("[THINK]", "[/THINK]"),
    "think": (THINK_OPEN, THINK_CLOSE),
}
"""Text in a chat template that shows which format M uses, checked in this order."""
_MARKER_TOKENS: dict[str, tuple[str, ...]] = {
    "harmony": ("<|start|>", "<|channel|>", "<|message|>", "<|end|>"),
    "mistral": ("[THINK]", "[/THINK]"),
    "think": (THINK_OPEN, THINK_CLOSE),
}
"""The pieces of each format's markers that models have as single tokens."""
_SPECIAL_ONLY = frozenset({"harmony", "mistral"})
"""Formats whose markers exist only as tokens of the models that use them (unlike ``<think>``, which some
models write as plain text)."""


class ChatTokenizer(Protocol):
    """The slice of a Hugging Face tokenizer the prompt builder uses."""

    chat_template: Any

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...
    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...
    def decode(self, token_ids: Any, **kwargs: Any) -> str: ...
    def get_vocab(self) -> dict[str, int]: ...


def fixed_strftime_now(fmt: str) -> str:
    """``strftime_now`` for templates: ``PROMPT_DATE`` formatted with ``fmt``."""
    return PROMPT_DATE.strftime(fmt)


def opens_thinking(text: str, fmt: ThinkingFormat = FORMATS["think"]) -> bool:
    """True when ``text`` ends inside an open thinking block of ``fmt`` (pass the text after the question)."""
    return fmt.opens(text)


def generation_prompt(
    tokenizer: ChatTokenizer, problem: str, chat_template_kwargs: dict[str, Any] | None = None
) -> str:
    """The chat template rendered for the user turn ``problem`` with the generation prompt, at ``PROMPT_DATE``."""
    kwargs = dict(chat_template_kwargs or {})
    reserved = sorted(RESERVED_TEMPLATE_KWARGS & kwargs.keys())
    if reserved:
        raise SuiteError(f"--chat-template-kwargs may not set {reserved[0]!r}: the suite sets it itself; remove it.")
    return str(
        tokenizer.apply_chat_template(
            [{"role": "user", "content": problem}],
            tokenize=False,
            add_generation_prompt=True,
            strftime_now=fixed_strftime_now,
            **kwargs,
        )
    )


def after_question(rendered: str, problem: str) -> str:
    """The rendered text after the (last occurrence of the) question: where the template may open thinking."""
    for text in (problem, problem.strip()):
        at = rendered.rfind(text)
        if text and at >= 0:
            return rendered[at + len(text) :]
    raise SuiteError(
        f"the chat template rewrites the question {problem[:60]!r}; steered prompts need it verbatim, "
        "so use a template that keeps the user turn as given."
    )


@dataclass(frozen=True)
class SteeredPrompt:
    """A prompt ready for the engine, with its parts and its hash."""

    text: str
    """Rendered template + opener + spliced thinking."""
    token_ids: tuple[int, ...]
    """What the engine receives."""
    opener: str
    """What the suite appended to open thinking (the format's prefill), ``""`` when the template opened it."""

    @property
    def sha256(self) -> str:
        """Hash of the token ids: identical prompts, identical hashes."""
        return hashlib.sha256(json.dumps(list(self.token_ids)).encode()).hexdigest()


def steered_prompt(
    tokenizer: ChatTokenizer,
    problem: str,
    thinking: str = "",
    fmt: ThinkingFormat | None = None,
    chat_template_kwargs: dict[str, Any] | None = None,
) -> SteeredPrompt:
    """The prompt that makes M continue ``thinking`` as its own, in format ``fmt`` (default ``think``).

    The format's prefill is added only when the template has not opened thinking after the question; the
    result always ends inside open thinking (formats with markers), else SuiteError. No closer is added.
    """
    fmt = fmt or FORMATS["think"]
    rendered = generation_prompt(tokenizer, problem, chat_template_kwargs)
    tail = after_question(rendered, problem)
    opener = "" if fmt.opens(tail) else fmt.prefill
    if fmt.opener and not fmt.opens(tail + opener):
        raise SuiteError(
            f"the chat template leaves no open {fmt.name} thinking block after the question {problem[:60]!r}, "
            "so its steered prompt cannot be built; check the template with probe_template first."
        )
    text = rendered + opener + thinking
    return SteeredPrompt(text, tuple(tokenizer.encode(text, add_special_tokens=False)), opener)


def template_source(tokenizer: ChatTokenizer) -> str:
    """M's chat template as text (``""`` when it has none)."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = template.get("default", "")
    return str(template or "")


def marked_formats(text: str) -> list[str]:
    """Formats whose markers appear in ``text`` (a chat template), most specific first."""
    return [name for name, markers in _MARKERS.items() if any(m in text for m in markers)]


def detect_format(tokenizer: ChatTokenizer, chat_template_kwargs: dict[str, Any] | None = None) -> ThinkingFormat:
    """M's thinking format, from the markers in its chat template (and in its rendered generation prompt).

    A template with no markers at all: ``think`` when ``<think>`` and ``</think>`` are tokens of M's
    vocabulary (the model was trained to write them), else ``none`` (LIMO-style: all output is reasoning).
    """
    text = template_source(tokenizer) + generation_prompt(tokenizer, PROBE_PROBLEM, chat_template_kwargs)
    marked = marked_formats(text)
    if marked:
        return FORMATS[marked[0]]
    vocab = tokenizer.get_vocab()
    return FORMATS["think" if THINK_OPEN in vocab and THINK_CLOSE in vocab else "none"]


def _thinking_switch(template: str) -> str:
    """How to turn thinking on, judged from the variables the template reads."""
    if "enable_thinking" in template:
        return """turn thinking on with --chat-template-kwargs '{"enable_thinking": true}'"""
    if re.search(r"(?<![\w.'\"])thinking\s+is\s+defined", template):
        return """turn thinking on with --chat-template-kwargs '{"thinking": true}'"""
    return "pass the template variable that turns thinking on with --chat-template-kwargs"


def probe_template(
    tokenizer: ChatTokenizer,
    model: str,
    fmt_override: str | None = None,
    chat_template_kwargs: dict[str, Any] | None = None,
) -> ThinkingFormat:
    """Check once that the suite can build M's steered prompts exactly; return M's format bound to its template.

    The answer's ``prefill`` is what every prompt gets (``""`` where the template opens thinking itself) and
    ``special_markers`` says whether completions must be decoded with ``skip_special_tokens=False``.
    Refused (SuiteError, one sentence): no chat template; a template that fails on a user turn, rewrites
    the problem, or closes thinking in its generation prompt (thinking off); ``fmt_override`` naming a
    format other than the one the template's markers show, or harmony/mistral on a tokenizer without
    their marker tokens; a tokenizer that does not give the prompt back intact or splits a marker it has
    as one token.
    """
    template = template_source(tokenizer)
    if not template:
        raise SuiteError(
            f"{model} has no chat template; the suite needs the model's own template to build steered prompts."
        )
    try:
        rendered = generation_prompt(tokenizer, PROBE_PROBLEM, chat_template_kwargs)
    except SuiteError:
        raise
    except Exception as e:  # a template's raise_exception, a missing variable, a kwargs clash
        raise SuiteError(
            f"the chat template of {model} fails on a single user turn ({e}); fix it or pass the variables it "
            "needs with --chat-template-kwargs."
        ) from None
    if PROBE_PROBLEM not in rendered:
        raise SuiteError(
            f"the chat template of {model} rewrites the user's problem; use a template that keeps the user turn "
            "verbatim."
        )
    detected = detect_format(tokenizer, chat_template_kwargs)
    fmt = detected if fmt_override is None else format_named(fmt_override)
    marked = marked_formats(template + rendered)
    if marked and fmt.name not in marked:
        raise SuiteError(
            f"the chat template of {model} marks thinking with {_MARKERS[marked[0]][0]!r} (the {marked[0]} "
            f"format) but --thinking-format is {fmt.name}; drop --thinking-format or pass {marked[0]}."
        )
    vocab = tokenizer.get_vocab()
    missing = [m for m in _MARKER_TOKENS[fmt.name] if m not in vocab] if fmt.name in _SPECIAL_ONLY else []
    if missing:
        raise SuiteError(
            f"the tokenizer of {model} has no {missing[0]!r} token, so the model cannot think in the {fmt.name} "
            "format; drop --thinking-format or pass the one its chat template uses."
        )
    tail = rendered[rendered.rfind(PROBE_PROBLEM) + len(PROBE_PROBLEM) :]
    if fmt.closes(tail):
        raise SuiteError(
            f"the chat template of {model} closes the thinking block in its generation prompt (thinking off), "
            f"so it cannot carry a thinking prefill; {_thinking_switch(template)}."
        )
    prompt = steered_prompt(tokenizer, PROBE_PROBLEM, PROBE_THINKING, fmt, chat_template_kwargs)
    decoded = tokenizer.decode(list(prompt.token_ids), skip_special_tokens=False)
    if decoded != prompt.text:
        raise SuiteError(
            f"the tokenizer of {model} does not carry a thinking prefix intact (it re-encodes it as "
            f"{decoded[-len(PROBE_THINKING) :]!r}); it cannot be evaluated with steered prompts."
        )
    for marker in (m for m in _MARKER_TOKENS.get(fmt.name, ()) if m in vocab):
        if tokenizer.encode(marker, add_special_tokens=False) != [vocab[marker]]:
            raise SuiteError(
                f"the tokenizer of {model} splits the thinking marker {marker!r} into pieces although its "
                "vocabulary has it as one token; load the model's own tokenizer settings."
            )
    return replace(fmt, prefill=prompt.opener, special_markers=needs_special_tokens(tokenizer, fmt))
