"""Steered prompts on the real chat templates of reasoning models (../shared/data/templates).

Each template is attached to a tiny byte-level tokenizer carrying the real model's control tokens, and the
steered prompt must be, character for character, what the model sees had it written the steer itself. The
expected prompts are written out by hand from reading each template and, where the template keeps a final
assistant turn's thinking, also rendered from a conversation in which the model wrote it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from transformers import AutoTokenizer

from suite._errors import SuiteError
from suite.steering._formats import FORMATS, PROMPT_DATE, format_named, needs_special_tokens
from suite.steering._prompt import generation_prompt, probe_template, steered_prompt
from suite.tiny._templates import CHAT_TEMPLATES, MODEL_TOKENS, ControlTokens
from suite.tiny._tokenizer import build_chat_tokenizer

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = Path(os.environ.get("SUITE_TEMPLATES_DIR", REPO.parent / "shared" / "data" / "templates"))
CORPUS = ["Ada has 3 pens. Ada gets 4 more pens. How many pens does Ada have now? Let me think: 3 + 4 = 7."] * 4

P = "What is 12 + 30?"
T = "Let me add the tens first.\n\nWait. Let me think again.\n\n12 + 30 = 42, so"
A = "The answer is $\\boxed{42}$."

BOS, EOS = "<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"
USER, ASSISTANT = "<\uff5cUser\uff5c>", "<\uff5cAssistant\uff5c>"
QWEN = f"<|im_start|>user\n{P}<|im_end|>\n<|im_start|>assistant\n<think>\n{T}"
R1 = f"{BOS}{USER}{P}{ASSISTANT}<think>\n{T}"
GPT_OSS = (
    "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
    "Knowledge cutoff: 2024-06\nCurrent date: 2026-01-01\n\nReasoning: medium\n\n"
    "# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>"
    f"<|start|>user<|message|>{P}<|end|><|start|>assistant<|channel|>analysis<|message|>{T}"
)
MINISTRAL = (
    "<s>[SYSTEM_PROMPT]# HOW YOU SHOULD THINK AND ANSWER\n\nFirst draft your thinking process (inner monologue) "
    "until you arrive at a response. Format your response using Markdown, and use LaTeX for any mathematical "
    "equations. Write both your thoughts and the response in the same language as the input.\n\nYour thinking "
    "process must follow the template below:[THINK]Your thoughts or/and draft, like working through an exercise "
    "on scratch paper. Be as casual and as long as you want until you are confident to generate the response to "
    "the user.[/THINK]Here, provide a self-contained response.[/SYSTEM_PROMPT]"
    f"[INST]{P}[/INST][THINK]{T}"
)


@dataclass(frozen=True)
class Case:
    """One real template: its tokens, the format and prefill it must get, and the prompt written out by hand."""

    file: str
    tokens: str
    fmt: str
    prefill: str
    expected: str
    kwargs: dict[str, Any] | None = None
    written: dict[str, Any] | None = None
    """The assistant turn that makes the template render the model's own thinking (None: it drops it)."""
    written_kwargs: dict[str, Any] | None = None


QWEN_TURN = {"role": "assistant", "content": f"<think>\n{T}\n</think>\n\n{A}"}
CASES = [
    Case(
        "openai__gpt-oss-20b",
        "harmony",
        "harmony",
        "<|channel|>analysis<|message|>",
        GPT_OSS,
        written={"role": "assistant", "thinking": T, "content": A},
        written_kwargs={"strftime_now": lambda f: PROMPT_DATE.strftime(f)},
    ),
    Case("Qwen__Qwen3-0.6B", "qwen", "think", "<think>\n", QWEN, written=QWEN_TURN),
    Case("Qwen__Qwen3-Thinking-2507", "qwen", "think", "", QWEN, written=QWEN_TURN),
    Case("Qwen__QwQ-32B", "qwen", "think", "", QWEN, written=QWEN_TURN),
    Case("Skywork__Skywork-OR1-32B", "deepseek", "think", "<think>\n", R1),
    Case("deepseek-ai__DeepSeek-R1-0528-Qwen3-8B", "deepseek", "think", "<think>\n", R1),
    Case("deepseek-ai__DeepSeek-R1-Distill-Llama-8B", "deepseek", "think", "", R1),
    Case("deepseek-ai__DeepSeek-R1-Distill-Qwen-32B", "deepseek", "think", "", R1),
    Case("deepseek-ai__DeepSeek-R1-Distill-Qwen-32B.2025-01-20", "deepseek", "think", "<think>\n", R1),
    Case(
        "deepseek-ai__DeepSeek-V3.1",
        "deepseek",
        "think",
        "",
        f"{BOS}{USER}{P}{ASSISTANT}<think>{T}",
        kwargs={"thinking": True},
        written={"role": "assistant", "content": T, "prefix": True},
        written_kwargs={"thinking": True},
    ),
    Case(
        "mistralai__Ministral-3-14B-Reasoning-2512",
        "mistral",
        "mistral",
        "[THINK]",
        MINISTRAL,
        written={"role": "assistant", "content": [{"type": "thinking", "thinking": T}, {"type": "text", "text": A}]},
    ),
]


def template(name: str) -> str:
    path = TEMPLATES / f"{name}.jinja"
    if not path.is_file():
        pytest.fail(f"real chat template not found at {path}; set SUITE_TEMPLATES_DIR to shared/data/templates")
    return path.read_text(encoding="utf-8")


def tokenizer_for(name: str, tokens: str, tmp_path: Path) -> Any:
    """The tiny tokenizer with the real template and control tokens, saved and loaded as the suite loads M's."""
    build_chat_tokenizer(CORPUS, template(name), MODEL_TOKENS[tokens]).save_pretrained(tmp_path)
    return AutoTokenizer.from_pretrained(tmp_path)


def test_every_template_file_is_covered() -> None:
    assert sorted(p.stem for p in TEMPLATES.glob("*.jinja")) == sorted(c.file for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_steered_prompt_is_what_the_model_sees(case: Case, tmp_path: Path) -> None:
    tok = tokenizer_for(case.file, case.tokens, tmp_path)
    fmt = probe_template(tok, case.file, None, case.kwargs)
    assert (fmt.name, fmt.prefill) == (case.fmt, case.prefill)
    assert fmt.special_markers is (case.fmt in ("harmony", "mistral"))
    prompt = steered_prompt(tok, P, T, fmt, case.kwargs)
    assert prompt.text == case.expected
    assert prompt.opener == case.prefill
    if case.written is not None:  # the template itself renders the thinking the model wrote
        full = tok.apply_chat_template(
            [{"role": "user", "content": P}, case.written], tokenize=False, **(case.written_kwargs or {})
        )
        assert full[: full.index(T) + len(T)] == prompt.text
    # Tokenised as the model's own tokenizer would: decodes back intact, every control token one token.
    ids = list(prompt.token_ids)
    assert tok.decode(ids, skip_special_tokens=False) == prompt.text
    vocab = tok.get_vocab()
    spec = MODEL_TOKENS[case.tokens]
    for marker in (*spec.special, *spec.ordinary):
        assert ids.count(vocab[marker]) == prompt.text.count(marker), marker
    if case.fmt != "think":
        assert "<think>" not in prompt.text and "<think>" not in fmt.prefill


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
@pytest.mark.parametrize("tag", ["<think>", "</think>"])
def test_a_question_quoting_a_think_tag_keeps_the_opener(case: Case, tag: str, tmp_path: Path) -> None:
    tok = tokenizer_for(case.file, case.tokens, tmp_path)
    fmt = probe_template(tok, case.file, None, case.kwargs)
    problem = f"What does the tag {tag} mean? {P}"
    prompt = steered_prompt(tok, problem, T, fmt, case.kwargs)
    assert prompt.opener == case.prefill
    assert prompt.text == case.expected.replace(P, problem)


def test_a_template_that_reads_the_date_renders_a_fixed_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import transformers.utils.chat_template_utils as ctu

    tok = tokenizer_for("openai__gpt-oss-20b", "harmony", tmp_path)
    fmt = probe_template(tok, "gpt-oss")
    seen = []
    for day in (datetime(2025, 3, 4), datetime(2027, 11, 30)):

        class Clock(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Clock:
                return cls(day.year, day.month, day.day)  # noqa: B023 - used within the iteration

        monkeypatch.setattr(ctu, "datetime", Clock)
        raw = tok.apply_chat_template([{"role": "user", "content": P}], tokenize=False, add_generation_prompt=True)
        assert f"Current date: {day:%Y-%m-%d}" in raw  # the faked day reaches an unpinned rendering
        seen.append(steered_prompt(tok, P, T, fmt))
    assert seen[0] == seen[1] and seen[0].sha256 == seen[1].sha256
    assert "Current date: 2026-01-01\n" in seen[0].text


def test_hybrid_templates_need_thinking_switched_on(tmp_path: Path) -> None:
    v31 = tokenizer_for("deepseek-ai__DeepSeek-V3.1", "deepseek", tmp_path / "v31")
    with pytest.raises(
        SuiteError, match=r"closes the thinking block .* --chat-template-kwargs '\{\"thinking\": true\}'"
    ):
        probe_template(v31, "DeepSeek-V3.1")
    assert probe_template(v31, "DeepSeek-V3.1", None, {"thinking": True}).prefill == ""
    qwen3 = tokenizer_for("Qwen__Qwen3-0.6B", "qwen", tmp_path / "qwen3")
    with pytest.raises(SuiteError, match=r"closes the thinking block .*'\{\"enable_thinking\": true\}'"):
        probe_template(qwen3, "Qwen3-0.6B", None, {"enable_thinking": False})
    assert probe_template(qwen3, "Qwen3-0.6B", None, {"enable_thinking": True}).prefill == "<think>\n"


@pytest.mark.parametrize(
    ("file", "tokens", "wrong"),
    [
        ("openai__gpt-oss-20b", "harmony", "think"),
        ("mistralai__Ministral-3-14B-Reasoning-2512", "mistral", "think"),
        ("mistralai__Ministral-3-14B-Reasoning-2512", "mistral", "none"),
        ("Qwen__Qwen3-0.6B", "qwen", "harmony"),
        ("deepseek-ai__DeepSeek-R1-Distill-Qwen-32B", "deepseek", "none"),
    ],
)
def test_a_format_the_template_contradicts_is_refused(file: str, tokens: str, wrong: str, tmp_path: Path) -> None:
    tok = tokenizer_for(file, tokens, tmp_path)
    detected = probe_template(tok, file).name
    with pytest.raises(SuiteError, match=rf"the \w+ format\) but --thinking-format is {wrong}; .* pass {detected}\."):
        probe_template(tok, file, wrong)
    assert probe_template(tok, file, detected).name == detected


def test_unknown_format_and_reserved_variables_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="one of harmony, mistral, none, think"):
        format_named("xml")
    tok = tokenizer_for("Qwen__Qwen3-0.6B", "qwen", tmp_path)
    with pytest.raises(SuiteError, match="may not set 'add_generation_prompt'"):
        probe_template(tok, "m", None, {"add_generation_prompt": False})
    limo = build_chat_tokenizer(CORPUS, CHAT_TEMPLATES["limo"], MODEL_TOKENS["qwen"])
    for name, token in (("harmony", "<|start|>"), ("mistral", "[THINK]")):
        with pytest.raises(SuiteError, match=rf"has no '{re.escape(token)}' token, so the model cannot think in"):
            probe_template(limo, "m", name)


def test_limo_style_models_without_markers_think_in_the_whole_output() -> None:
    plain = ControlTokens(("<|endoftext|>", "<|im_start|>", "<|im_end|>"), (), None, "<|im_end|>", "<|endoftext|>")
    tok = build_chat_tokenizer(CORPUS, CHAT_TEMPLATES["limo"], plain)
    fmt = probe_template(tok, "LIMO")
    assert (fmt.name, fmt.prefill, fmt.special_markers) == ("none", "", False)
    prompt = steered_prompt(tok, P, T, fmt)
    expected = f"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{P}<|im_end|>\n"
    assert prompt.text == expected + f"<|im_start|>assistant\n{T}"
    # The same template on a vocabulary that has the think tags: the model writes them (think), unless told.
    with_tags = build_chat_tokenizer(CORPUS, CHAT_TEMPLATES["limo"], MODEL_TOKENS["qwen"])
    assert probe_template(with_tags, "m").prefill == "<think>\n"
    assert steered_prompt(with_tags, P, T, probe_template(with_tags, "m", "none")).text == prompt.text


@pytest.mark.parametrize("case", [c for c in CASES if c.written is not None], ids=lambda c: c.file)
def test_the_models_own_output_splits_into_thinking_and_answer(case: Case, tmp_path: Path) -> None:
    tok = tokenizer_for(case.file, case.tokens, tmp_path)
    fmt = probe_template(tok, case.file, None, case.kwargs)
    if case.fmt == "think" and case.kwargs:  # V3.1's prefix turn has no answer; use a finished one instead
        completion = f"{T}</think>{A}{EOS}"
    else:
        full = tok.apply_chat_template(
            [{"role": "user", "content": P}, case.written], tokenize=False, **(case.written_kwargs or {})
        )
        start = steered_prompt(tok, P, "", fmt, case.kwargs).text
        assert full.startswith(start)
        completion = full[len(start) :]
    assert fmt.split(completion, "stop") == (T, A)
    assert fmt.split(completion[: completion.index(T) + len(T)], "length") == (T, None)


@pytest.mark.parametrize(
    ("fmt", "completion", "finish", "expected"),
    [
        ("think", "a\n</think>\n\nb</think>c<|im_end|><|endoftext|><|endoftext|>", "stop", ("a", "c")),
        ("think", "a <think> b", "stop", ("a <think> b", None)),
        ("mistral", "a[/THINK]b</s>", "stop", ("a", "b")),
        ("harmony", "a<|end|><|start|>assistant<|channel|>final<|message|>b<|return|>", "stop", ("a", "b")),
        ("harmony", "a<|end|><|start|>assistant<|channel|>final<|message|>b<|end|>", "stop", ("a", "b")),
        ("harmony", "a<|end|><|start|>assistant<|channel|>fin", "length", ("a", None)),
        ("harmony", "a<|end|><|start|>assistant<|channel|>commentary<|message|>x<|call|>", "stop", ("a", "")),
        ("harmony", "analysis a assistantfinal b", "stop", ("analysis a assistantfinal b", None)),
        ("none", "a\n\nso \\boxed{1}.<|im_end|>", "stop", ("a\n\nso \\boxed{1}.", "a\n\nso \\boxed{1}.")),
        ("none", "a\n\nso", "length", ("a\n\nso", None)),
    ],
)
def test_split_cases(fmt: str, completion: str, finish: str, expected: tuple[str, str | None]) -> None:
    assert FORMATS[fmt].split(completion, finish) == expected


def test_markers_that_are_special_tokens_need_them_kept_when_decoding(tmp_path: Path) -> None:
    qwen = tokenizer_for("Qwen__Qwen3-0.6B", "qwen", tmp_path / "q")
    gpt = tokenizer_for("openai__gpt-oss-20b", "harmony", tmp_path / "g")
    assert not needs_special_tokens(qwen, FORMATS["think"])
    assert needs_special_tokens(gpt, FORMATS["harmony"])
    assert not needs_special_tokens(gpt, FORMATS["none"])
    assert generation_prompt(gpt, P).endswith(f"<|start|>user<|message|>{P}<|end|><|start|>assistant")
