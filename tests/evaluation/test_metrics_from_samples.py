"""compute_metrics with plain sample values."""

from __future__ import annotations

from suite.evaluation import Sample, compute_metrics
from suite.grading import Grade


def sample(test: str, qid: str, ok: bool, **fields: object) -> Sample:
    return Sample(
        test=test,  # type: ignore[arg-type]
        question_id=qid,
        benchmark=qid[0],
        sample=0,
        seed=0,
        prompt_sha256="0" * 64,
        completion="",
        prompt_tokens=1,
        completion_tokens=1,
        finish_reason="stop",
        grade=Grade(ok),
        **fields,  # type: ignore[arg-type]
    )


def test_metrics_cells_from_plain_samples() -> None:
    samples = [
        sample("solo", "a1", True),
        sample("solo", "a1", False),
        sample("solo", "b1", True),
        sample("recoverability", "a1", True, subset="individual", position=0.0),
        sample("recoverability", "a1", False, subset="individual", position=0.2),
        sample("recoverability", "b1", True, subset="shared", position=0.0),
        sample("guidability", "a1", True, subset="individual", fraction=0.2, guide="g", steer_contains_answer=True),
        sample("guidability", "a1", False, subset="individual", fraction=0.2, guide="g", steer_contains_answer=True),
        sample("control", "b1", True, fraction=0.4, guide="g", steer_contains_answer=False),
    ]
    m = compute_metrics(samples, seed=0, shared_recoverability_size=3)
    assert m["solo"]["per_benchmark"]["a"]["value"] == 0.5 and m["solo"]["macro"]["value"] == 0.75
    assert m["recoverability"]["individual"]["per_position"]["0"]["value"] == 1.0
    assert m["recoverability"]["individual"]["per_position"]["0.2"]["value"] == 0.0
    assert m["recoverability"]["individual"]["mean"]["value"] == 0.5
    assert m["recoverability"]["shared"]["coverage"] == {"covered": 1, "total": 3}
    g = m["guidability"]["individual"]
    assert g["per_fraction"]["0.2"]["value"] == 0.5 and g["per_fraction"]["0.2"]["generations"] == 2
    assert g["answer_in_steer"]["value"] == 1.0 and g["answer_in_steer"]["generations"] == 1
    assert m["guidability"]["control"]["mean"]["value"] == 1.0
    assert compute_metrics([], 0, 0) == {}


def test_answer_in_steer_counts_each_guide_trajectory_once() -> None:
    # Two trajectories of one guide at one fraction are two steers: one states the answer, one does not.
    def guided(k: int, guide_sample: int, contains: bool) -> Sample:
        return sample(
            "guidability",
            "a1",
            k % 2 == 0,
            subset="individual",
            fraction=0.4,
            guide="g",
            guide_sample=guide_sample,
            steer_contains_answer=contains,
        )

    samples = [sample("solo", "a1", False), *(guided(k, k % 2, k % 2 == 0) for k in range(8))]
    g = compute_metrics(samples, seed=0, shared_recoverability_size=0)["guidability"]["individual"]
    assert g["answer_in_steer"]["value"] == 0.5 and g["answer_in_steer"]["generations"] == 2
    assert g["answer_in_steer_per_guide"]["g"]["value"] == 0.5
