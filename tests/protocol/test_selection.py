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
    first_in_order,
    guidability_items,
    individual_subset,
    own_trajectory,
    seeded_order,
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
    ids = seeded_order([s.question_id for s in pool], 5, "solo-order")
    distractors = distractor_pool({s.question_id: s for s in pool}, ids, seed=5)
    assert distractors is not None and len(distractors) == 50 and len({d.question_id for d in distractors}) == 50
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
    known = {s.question_id: s for s in pool}
    assert control_items(known, seeded_order(known, 0, "solo-order"), 8) == ["q0003", "q0004", "q0005"]
    many = {s.question_id: s for s in solo_pool([8] * 80)}
    assert len(control_items(many, list(many), 8) or []) == 50
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


def test_pool_and_control_are_known_from_a_prefix_of_their_order_and_never_change() -> None:
    pool = solo_pool([k % 9 for k in range(400)])
    ids = [s.question_id for s in pool]
    order = seeded_order(ids, 3, "solo-order")
    assert sorted(order) == sorted(ids) and order != sorted(ids)
    full = {s.question_id: s for s in pool}
    final = distractor_pool(full, order, seed=3)
    control = control_items(full, order, 8)
    assert final is not None and control is not None and len(control) == 44  # every 8/8 question
    known: dict[str, Solo] = {}
    for qid in reversed(order):  # outcomes arrive in any order: the pool appears once, and is the final one
        assert distractor_pool(known, order, seed=3) in (None, final)
        known[qid] = full[qid]
    early = {q: full[q] for q in order[:120]}  # ~8/9 of questions are solved: 120 cover 50 solved ones
    assert distractor_pool(early, order, seed=3) == final
    assert distractor_pool({q: full[q] for q in order[1:]}, order, seed=3) is None  # the first one is unknown
    assert first_in_order(["a", "b"], {}, lambda s: True, 0) == []


def test_pool_draw_is_uniform_over_solved_questions() -> None:
    pool = solo_pool([0, 8] * 20)
    ids = [s.question_id for s in pool]
    known = {s.question_id: s for s in pool}
    hits: Counter[str] = Counter()
    for seed in range(2000):
        hits.update(d.question_id for d in distractor_pool(known, seeded_order(ids, seed, "solo-order"), seed, 4) or [])
    solved = [s.question_id for s in pool if s.solved]
    assert set(hits) == set(solved)
    assert all(abs(hits[q] / 2000 - 4 / 20) < 0.05 for q in solved)  # each solved question: p = 4/20
