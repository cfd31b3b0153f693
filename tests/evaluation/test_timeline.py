"""The timeline's buckets, spreading and bounded size."""

from __future__ import annotations

from suite.evaluation._timeline import Timeline


def test_tokens_spread_over_the_time_they_took_and_depth_is_the_maximum() -> None:
    t = Timeline(start=100.0)
    t.record(104.0, 400, 3, since=100.0)
    t.record(104.5, 10, 7)
    t.spend("generating", 4.0)
    t.spend("idle_with_ready_work", 0.5)
    out = t.to_json(105.0)
    assert [p["tokens_per_s"] for p in out["points"][:5]] == [100, 100, 100, 100, 10]
    assert [p["queue_depth"] for p in out["points"][:5]] == [3, 3, 3, 3, 7]
    assert out["idle_fraction"] == round(0.5 / 5.0, 4) and out["generating_s"] == 4.0


def test_long_runs_stay_under_max_points_and_keep_every_token() -> None:
    t = Timeline(start=0.0, max_points=100)
    for second in range(10_000):
        t.record(second + 0.5, 7, second % 5)
    out = t.to_json(10_000.0)
    assert len(out["points"]) <= 100 and out["bucket_s"] == 128.0
    assert sum(p["tokens_per_s"] * out["bucket_s"] for p in out["points"]) == 70_000
    assert max(p["queue_depth"] for p in out["points"]) == 4
