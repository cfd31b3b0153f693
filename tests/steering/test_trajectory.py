"""Units, cutting and splicing, with hypothesis over arbitrary trajectories."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from suite.steering import (
    DEFAULT_TRANSITION,
    cut,
    guidability_steer,
    recoverability_steer,
    splice,
    unit_spans,
    words,
)
from suite.tiny import make_problem

WORD = st.text(alphabet="abcdefgh0123456789=+", min_size=1, max_size=8)
SENTENCE = st.lists(WORD, min_size=1, max_size=25).map(lambda ws: " ".join(ws) + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=8).map(" ".join)
THINKING = st.lists(PARAGRAPH, min_size=0, max_size=10).map("\n\n".join)
FRACTION = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(THINKING, FRACTION)
def test_cut_is_a_prefix_at_a_unit_boundary(thinking: str, fraction: float) -> None:
    prefix = cut(thinking, fraction)
    assert thinking.startswith(prefix)
    boundaries = {0, len(thinking)} | {b for _, b in unit_spans(thinking)}
    assert len(prefix) in boundaries


@given(THINKING, FRACTION, FRACTION)
def test_longer_fractions_give_longer_prefixes(thinking: str, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert len(cut(thinking, low)) <= len(cut(thinking, high))


@given(THINKING)
def test_fraction_zero_is_empty_and_one_is_everything(thinking: str) -> None:
    assert cut(thinking, 0) == ""
    assert cut(thinking, 1) == thinking


@given(THINKING, FRACTION)
def test_cut_respects_the_fraction(thinking: str, fraction: float) -> None:
    assert words(cut(thinking, fraction)) <= fraction * words(thinking) + 1e-9 or fraction == 1


@given(THINKING)
def test_units_cover_the_text_in_order_and_are_not_short(thinking: str) -> None:
    spans = unit_spans(thinking)
    assert all(a < b for a, b in spans)
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    text_outside = "".join(thinking[b : spans[i + 1][0]] for i, (_, b) in enumerate(spans[:-1]))
    assert not text_outside.strip()
    if len(spans) > 1:
        assert all(words(thinking[a:b]) >= 30 for a, b in spans[1:])


@given(st.text(max_size=50), st.text(max_size=50), st.text(max_size=20))
def test_splice_is_exactly_own_transition_steer(own: str, steer: str, transition: str) -> None:
    spliced = splice(own, steer, transition)
    assert spliced.text == (own + transition + steer if own else steer)
    assert spliced.transition == (transition if own else "")


def test_paragraphs_are_units_and_long_ones_split_at_sentences() -> None:
    thinking = make_problem("add", 23, 45, "Ada", "pens").thinking
    spans = unit_spans(thinking)
    assert [thinking[a:b] for a, b in spans] == thinking.split("\n\n")
    long = " ".join(f"Sentence number {i} has exactly seven words." for i in range(20))
    # 140 words in one paragraph: split at sentence ends, sentences of 7 words grouped to >= 30 words.
    assert [words(long[a:b]) for a, b in unit_spans(long)] == [35, 35, 35, 35]


def test_recoverability_steer_at_each_position() -> None:
    original = make_problem("add", 23, 45, "Ada", "pens").thinking
    distractor = make_problem("multiply", 4, 38, "Ben", "coins").thinking
    at_zero = recoverability_steer(original, distractor, 0.0)
    assert at_zero.own == "" and at_zero.transition == ""
    # Four paragraphs of ~25% each: a 20% cut keeps no whole unit; 60% keeps two.
    assert at_zero.steer == cut(distractor, 0.2) == ""
    assert recoverability_steer(original, distractor, 0.0, distractor_fraction=0.6).steer == "\n\n".join(
        distractor.split("\n\n")[:2]
    )
    at_half = recoverability_steer(original, distractor, 0.5)
    paragraphs = original.split("\n\n")
    assert at_half.own in ["\n\n".join(paragraphs[:k]) for k in (1, 2)]
    assert at_half.text == at_half.own + DEFAULT_TRANSITION + at_half.steer
    kept = recoverability_steer(original, distractor, 0.0, distractor_fraction=0.6, keep_opening=True)
    assert kept.own == original.split("\n\n")[0]
    assert kept.steer == distractor.split("\n\n")[1]  # the distractor's opening is dropped, then cut


def test_guidability_steer_has_no_transition() -> None:
    guide = make_problem("subtract", 62, 46, "Cara", "cards").thinking
    steer = guidability_steer(guide, 0.6)
    assert steer.own == "" and steer.transition == "" and guide.startswith(steer.steer)
    assert steer.text == steer.steer
