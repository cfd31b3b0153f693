"""Item selection with plain values."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from suite.protocol import (
    LengthRule,
    Solo,
    control_items,
    derive_seed,
    distractor_pool,
    draw_distractor,
    first_in_order,
    guidability_items,
    individual_subset,
    length_rule,
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


def units_by_index(question_id: str, sample: int) -> int:
    """A stand-in unit count: 4..23 units by question."""
    return 4 + int(question_id[1:]) % 20


ANY = LengthRule(0.2, unit_cut=False)


def test_distractors_exclude_test_items_and_need_other_answers() -> None:
    pool = solo_pool([k % 9 for k in range(300)])
    ids = seeded_order([s.question_id for s in pool], 5, "solo-order")
    known = {s.question_id: s for s in pool}
    items = ids[:40]
    distractors = distractor_pool(known, ids, 5, units_by_index, ANY, excluded=set(items))
    assert distractors is not None and len(distractors) == 50 and len({d.question_id for d in distractors}) == 50
    for d in distractors:
        assert known[d.question_id].correct[d.sample] and d.question_id not in items
        assert d.units == units_by_index(d.question_id, d.sample) and d.source is None
    item = known["q0010"]
    draws = {draw_distractor(item, [distractors], 5, "shared", m) for m in (0, 0.2, 0.4, 0.6, 0.8)}
    assert None not in draws and len(draws) > 1  # each (item, position) draws its own
    for drawn in draws:
        assert drawn is not None and drawn.question_id != item.question_id and drawn.gold != item.gold
    assert draw_distractor(item, [distractors], 5, "shared", 0.2) == draw_distractor(
        item, [distractors], 5, "shared", 0.2
    )
    assert draw_distractor(item, [distractors], 5, "shared", 0.2, same_answer=lambda a, b: True) is None


def test_length_rule_is_the_scripts_percentiles() -> None:
    originals = list(range(1, 11))  # 1..10 units
    rule = length_rule(originals, 0.2, (80.0, 90.0))
    assert rule.min_units == 8.2 and rule.max_units == 9  # numpy's linear percentiles
    assert [n for n in range(1, 30) if rule.eligible(n)] == list(range(9, 30))
    assert not length_rule([3, 3, 3], 0.2, (80.0, 90.0)).eligible(3)  # int(3 * 0.2) = 0 units: an empty steer
    assert length_rule([3, 3, 3], 0.4, (80.0, 90.0)).eligible(3)
    assert length_rule(originals, 0.2, None, unit_cut=False).eligible(1)  # paper-text: any non-empty one
    pool = solo_pool([8] * 200)
    known = {s.question_id: s for s in pool}
    order = seeded_order(known, 1, "solo-order")
    strict = length_rule([units_by_index(q, 0) for q in order[:50]], 0.2, (80.0, 90.0))
    chosen = distractor_pool(known, order, 1, units_by_index, strict, excluded=set(order[:50]))
    qualifying = [q for q in order[50:] if strict.eligible(units_by_index(q, 0))]
    assert chosen is not None and [d.question_id for d in chosen] == qualifying[:50] and len(chosen) == 20
    assert all(d.units >= strict.min_units for d in chosen)


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
    final = distractor_pool(full, order, 3, units_by_index, ANY, ())
    control = control_items(full, order, 8)
    assert final is not None and control is not None and len(control) == 44  # every 8/8 question
    known: dict[str, Solo] = {}
    for qid in reversed(order):  # outcomes arrive in any order: the pool appears once, and is the final one
        assert distractor_pool(known, order, 3, units_by_index, ANY, ()) in (None, final)
        known[qid] = full[qid]
    early = {q: full[q] for q in order[:120]}  # ~8/9 of questions are solved: 120 cover 50 solved ones
    assert distractor_pool(early, order, 3, units_by_index, ANY, ()) == final
    assert distractor_pool({q: full[q] for q in order[1:]}, order, 3, units_by_index, ANY, ()) is None
    assert first_in_order(["a", "b"], {}, lambda s: True, 0) == []


def test_pool_draw_is_uniform_over_solved_questions() -> None:
    pool = solo_pool([0, 8] * 20)
    ids = [s.question_id for s in pool]
    known = {s.question_id: s for s in pool}
    hits: Counter[str] = Counter()
    for seed in range(2000):
        order = seeded_order(ids, seed, "solo-order")
        hits.update(d.question_id for d in distractor_pool(known, order, seed, units_by_index, ANY, (), 4) or [])
    solved = [s.question_id for s in pool if s.solved]
    assert set(hits) == set(solved)
    assert all(abs(hits[q] / 2000 - 4 / 20) < 0.05 for q in solved)  # each solved question: p = 4/20
