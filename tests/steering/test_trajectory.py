"""Units, cutting and splicing, with hypothesis over arbitrary trajectories."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from suite.steering import (
    PAPER,
    PAPER_TEXT_TRANSITION,
    SCRIPTS_TRANSITION,
    Cutting,
    cut,
    cut_tokens,
    guidability_steer,
    recoverability_steer,
    sentence_spans,
    splice,
    unit_spans,
    words,
)

WORD = st.text(alphabet="abcdefgh0123456789=+", min_size=1, max_size=8)
SENTENCE = st.lists(WORD, min_size=1, max_size=25).map(lambda ws: " ".join(ws) + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=8).map(" ".join)
THINKING = st.lists(PARAGRAPH, min_size=0, max_size=10).map("\n\n".join)
FRACTION = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(THINKING, FRACTION)
def test_cut_keeps_int_units_times_fraction_as_an_exact_prefix(thinking: str, fraction: float) -> None:
    prefix = cut(thinking, fraction)
    spans = unit_spans(thinking)
    keep = int(len(spans) * fraction)
    assert thinking.startswith(prefix)
    assert prefix == (thinking[: spans[keep - 1][1]] if keep else "")
    assert len(unit_spans(prefix)) == keep  # the prefix is made of exactly the kept units


@given(THINKING, FRACTION, FRACTION)
def test_longer_fractions_give_longer_prefixes(thinking: str, a: float, b: float) -> None:
    low, high = sorted((a, b))
    for cutting in (PAPER, Cutting("paper-text")):
        assert len(cutting(thinking, low)) <= len(cutting(thinking, high))


@given(THINKING)
def test_fraction_zero_is_empty_and_one_is_everything(thinking: str) -> None:
    for cutting in (PAPER, Cutting("paper-text")):
        assert cutting(thinking, 0) == ""
        assert cutting(thinking, 1) == thinking.rstrip()


@given(THINKING, st.floats(min_value=0.01, max_value=1))
def test_paper_text_cuts_at_the_sentence_end_nearest_the_fraction(thinking: str, fraction: float) -> None:
    prefix = cut_tokens(thinking, fraction)
    ends = [b for _, b in sentence_spans(thinking)]
    if not ends:
        assert prefix == ""
        return
    assert len(prefix) in ends and thinking.startswith(prefix)  # never empty for a fraction above 0
    total = words(thinking)
    distance = abs(words(prefix) - fraction * total)
    assert all(distance <= abs(words(thinking[:b]) - fraction * total) + 1e-9 for b in ends)


@given(THINKING)
def test_units_cover_the_text_in_order_and_are_not_short(thinking: str) -> None:
    spans = unit_spans(thinking)
    assert all(a < b for a, b in spans)
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    text_outside = "".join(thinking[b : spans[i + 1][0]] for i, (_, b) in enumerate(spans[:-1]))
    assert not text_outside.strip()
    if len(spans) > 1:
        assert all(words(thinking[a:b]) >= 30 for a, b in spans[1:])


def test_units_follow_the_scripts_rule() -> None:
    para = lambda n, tag: " ".join(f"{tag}{i}" for i in range(n)) + "."  # noqa: E731
    # Blank lines split; a paragraph under 30 words joins the previous one; the first stays even if short.
    thinking = "\n\n".join([para(10, "a"), para(40, "b"), para(12, "c"), para(35, "d")])
    units = [thinking[a:b] for a, b in unit_spans(thinking)]
    assert units == [para(10, "a"), para(40, "b") + "\n\n" + para(12, "c"), para(35, "d")]
    # Over 60 words: split at line breaks, short lines grouped to at least 30 words.
    lines = "\n".join(para(20, f"l{k}x") for k in range(6))  # 120 words in 6 lines
    assert [words(lines[a:b]) for a, b in unit_spans(lines)] == [40, 40, 40]
    # One line over 60 words: split at sentence ends, grouped the same way.
    long = " ".join(f"Sentence number {i} has exactly seven words." for i in range(20))
    assert [words(long[a:b]) for a, b in unit_spans(long)] == [35, 35, 35, 35]
    # A single newline inside a short paragraph does not split it.
    assert len(unit_spans(para(20, "p") + "\n" + para(20, "q"))) == 1


@given(st.text(max_size=50), st.text(max_size=50), st.text(max_size=20))
def test_splice_is_exactly_own_transition_steer(own: str, steer: str, transition: str) -> None:
    spliced = splice(own, steer, transition)
    assert spliced.text == (own + transition + steer if own else steer)
    assert spliced.transition == (transition if own else "")


def test_recoverability_steer_at_each_position() -> None:
    original = "\n\n".join(f"Own step {k}: " + " ".join(["word"] * 32) + "." for k in range(10))
    distractor = "\n\n".join(f"Other step {k}: " + " ".join(["thing"] * 32) + "." for k in range(10))
    at_zero = recoverability_steer(original, distractor, 0.0)
    assert at_zero.own == "" and at_zero.transition == ""
    assert at_zero.steer == "\n\n".join(distractor.split("\n\n")[:2])  # int(10 * 0.2) = 2 units
    assert recoverability_steer(original, distractor, 0.0, max_units=5).steer == distractor.split("\n\n")[0]
    at_half = recoverability_steer(original, distractor, 0.5)
    assert at_half.own == "\n\n".join(original.split("\n\n")[:5])
    assert at_half.transition == SCRIPTS_TRANSITION == "\nLet me think."
    assert at_half.text == at_half.own + "\nLet me think." + at_half.steer
    prose = recoverability_steer(
        original, distractor, 0.5, transition=PAPER_TEXT_TRANSITION, cutting=Cutting("paper-text")
    )
    assert prose.transition == PAPER_TEXT_TRANSITION and "Wait. Let me think" in prose.text
    kept = recoverability_steer(original, distractor, 0.0, distractor_fraction=0.2, keep_opening=True)
    assert kept.own == original.split("\n\n")[0]
    assert kept.steer == "\n\n".join(distractor.split("\n\n")[1:2])  # the opening dropped, then int(9 * 0.2) = 1


def test_guidability_steer_has_no_transition() -> None:
    guide = "\n\n".join(f"Guide step {k}: " + " ".join(["idea"] * 31) + "." for k in range(10))
    steer = guidability_steer(guide, 0.6)
    assert steer.own == "" and steer.transition == "" and guide.startswith(steer.steer)
    assert steer.text == steer.steer == "\n\n".join(guide.split("\n\n")[:6])


def test_real_traces_cut_into_non_empty_distractors() -> None:
    """Real DeepSeek-R1 / QwQ / R1-Distill thinking (../shared/data/traces): eligible distractors are never empty."""
    import json
    import os
    from pathlib import Path

    from suite.protocol import length_rule

    folder = Path(__file__).resolve().parents[3] / "shared" / "data" / "traces" / "mip-overthinking"
    if not folder.is_dir():
        if os.environ.get("CI"):
            raise AssertionError(f"real traces not found at {folder}")
        return
    thinkings = [
        row["model_answer"].split("</think>", 1)[0]
        for row in json.loads((folder / "math_normal_QwQ.json").read_text(encoding="utf-8"))
    ]
    units = [len(unit_spans(t)) for t in thinkings]
    assert min(units) >= 5 and max(units) > 100
    rule = length_rule(units, 0.2, (80.0, 90.0))
    eligible = [t for t, n in zip(thinkings, units, strict=True) if rule.eligible(n)]
    assert 5 <= len(eligible) <= 15  # the 80th percentile keeps about a fifth
    for t in eligible:
        steer = recoverability_steer(thinkings[0], t, 0.4, max_units=rule.max_units).steer
        assert steer and t.startswith(steer)
        assert len(unit_spans(steer)) == int(min(len(unit_spans(t)), rule.max_units or 0) * 0.2)
