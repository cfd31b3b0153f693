"""Item selection with plain values."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from suite.protocol import (
    Solo,
    assign_distractor,
    control_items,
    derive_seed,
    distractor_pool,
    guidability_items,
    individual_subset,
    own_trajectory,
    shared_coverage,
)


def solo_pool(counts: list[int], samples: int = 8) -> list[Solo]:
    return [Solo(f"q{i:04d}", str(i % 97), tuple(j < c for j in range(samples))) for i, c in enumerate(counts)]


def test_individual_subset_balances_solve_rate_buckets() -> None:
    # Heavily skewed pool: 2,000 questions solved 8/8, 100 in each of the buckets 1..7, 300 unsolved.
    counts = [8] * 2000 + [k for k in range(1, 8) for _ in range(100)] + [0] * 300
    pool = solo_pool(counts)
    chosen = individual_subset(pool, seed=1)
    assert len(chosen) == 200 and len(set(chosen)) == 200
    by_id = {s.question_id: s for s in pool}
    buckets = Counter(by_id[q].solved for q in chosen)
    assert 0 not in buckets
    assert all(12 <= buckets[k] <= 40 for k in range(1, 9)), buckets  # ~25 each, not ~150 from 8/8
    assert individual_subset(pool, seed=1) == chosen
    assert individual_subset(pool, seed=2) != chosen


def test_fewer_qualify_than_asked() -> None:
    assert len(individual_subset(solo_pool([0, 0, 3, 8, 1]), seed=0)) == 3


def test_distractors_are_own_correct_trajectories_of_other_questions_with_other_answers() -> None:
    pool = solo_pool([k % 9 for k in range(300)])
    distractors = distractor_pool(pool, seed=5)
    assert len(distractors) == 50 and len({d.question_id for d in distractors}) == 50
    by_id = {s.question_id: s for s in pool}
    for d in distractors:
        assert by_id[d.question_id].correct[d.sample]
    item = by_id["q0010"]
    chosen = assign_distractor(item, distractors, seed=5)
    assert chosen is not None and chosen.question_id != item.question_id and chosen.gold != item.gold
    assert assign_distractor(item, distractors, seed=5) == chosen
    same = [d for d in distractors if d.gold != item.gold]
    equal = {(item.gold, d.gold): True for d in same}
    assert assign_distractor(item, distractors, seed=5, same_answer=equal) is None


def test_guidability_control_and_coverage() -> None:
    pool = solo_pool([0, 1, 2, 8, 8, 8, 7])
    assert guidability_items(pool, 8) == ["q0000", "q0001"]
    assert guidability_items(solo_pool([0, 1, 2], samples=16), 16) == ["q0000", "q0001", "q0002"]
    assert control_items(pool, 8, seed=0) == ["q0003", "q0004", "q0005"]
    assert len(control_items(solo_pool([8] * 80), 8, seed=0)) == 50
    covered, missing = shared_coverage(["q0000", "q0003", "nope"], {s.question_id: s for s in pool})
    assert covered == ["q0003"] and missing == ["q0000", "nope"]


@given(st.integers(0, 2**40), st.text(max_size=10))
def test_seeds_are_stable_and_31_bit(seed: int, part: str) -> None:
    value = derive_seed(seed, part, 3)
    assert value == derive_seed(seed, part, 3)
    assert 0 <= value < 2**31


def test_own_trajectory_is_a_correct_sample() -> None:
    item = Solo("q", "1", (False, True, False, True))
    picks = {own_trajectory(item, seed, "recoverability") for seed in range(40)}
    assert picks == {1, 3}
