"""A small byte-level BPE tokenizer trained locally with ``tokenizers``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

from suite.tiny._templates import CHAT_TEMPLATES, ControlTokens

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|User|>", "<|Assistant|>")
"""Control tokens: never produced by decoding text, stripped by ``skip_special_tokens``."""
THINK_TOKENS = ("<think>", "</think>")
"""Atomic but ordinary tokens: they survive ``skip_special_tokens`` as in Qwen3."""


def build_tokenizer(
    corpus: Iterable[str], template: str = "qwen3", vocab_size: int = 512, phrases: Sequence[str] = ()
) -> PreTrainedTokenizerFast:
    """Train a BPE tokenizer on ``corpus`` and wrap it with a chat template.

    Digits are split one per token so arithmetic is learnable by a tiny model.
    Byte-level pre-tokenization makes decode(encode(text)) == text for any text.
    Each of ``phrases`` (and the phrase after a space) becomes one ordinary token.
    """
    from transformers import PreTrainedTokenizerFast

    if template not in CHAT_TEMPLATES:
        raise ValueError(f"unknown template family {template!r}; expected one of {sorted(CHAT_TEMPLATES)}")
    tok = _train_bpe(corpus, SPECIAL_TOKENS, (*THINK_TOKENS, *phrases, *(f" {p}" for p in phrases)), vocab_size)
    eos = "<|im_end|>"
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token=eos,
        pad_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATES[template],
        clean_up_tokenization_spaces=False,
    )


def build_chat_tokenizer(
    corpus: Iterable[str], chat_template: str, tokens: ControlTokens, vocab_size: int = 512
) -> PreTrainedTokenizerFast:
    """Like ``build_tokenizer``, but with any chat template and a real model family's control tokens.

    ``tokens.special`` become special tokens, ``tokens.ordinary`` atomic ordinary ones, so markers are
    single tokens and survive (or not) ``skip_special_tokens`` as in the real tokenizer (``MODEL_TOKENS``).
    """
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=_train_bpe(corpus, tokens.special, tokens.ordinary, vocab_size),
        bos_token=tokens.bos,
        eos_token=tokens.eos,
        pad_token=tokens.pad,
        chat_template=chat_template,
        clean_up_tokenization_spaces=False,
    )


def _train_bpe(corpus: Iterable[str], special: Sequence[str], ordinary: Sequence[str], vocab_size: int) -> Tokenizer:
    """A byte-level BPE with one token per digit, ``special`` control tokens and ``ordinary`` atomic tokens."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(special),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    tok.add_tokens([AddedToken(t, normalized=False, special=False) for t in ordinary])
    return tok
