"""Writes valid, realistic result bundles without running a model (for leaderboard tests and benchmarks).

Every bundle passes ``suite validate``: its metrics are computed from its samples by the
suite's own code. Strings that reach the site can carry hostile payloads (``payload``).

Given the release (``FakeRun.release``), a bundle is also re-derivable, as the leaderboard requires:
its questions are all the release's (``questions`` only says whether there are any), its grades are
what the grader gives its completions, and its items, steers and seeds are the ones the protocol
derives from the seed and the solo grades (the suite's own ``suite.evaluation._rederive`` makes them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from suite.evaluation import EvalConfig, write_bundle
from suite.evaluation._bundle import RESULT_FORMAT, RESULT_FORMAT_VERSION
from suite.evaluation._metrics import compute_metrics
from suite.evaluation._samples import Sample
from suite.grading import Grade, GradingConfig
from suite.release import Release

BENCHMARKS = ("aime24", "math500", "minerva")


@dataclass(frozen=True)
class FakeRun:
    """What a synthetic bundle looks like."""

    model_id: str
    skill: float
    """Probability that a solo sample is right (per-question rates spread around it)."""
    questions: int = 60
    release_version: str = "1.0.0"
    manifest_sha256: str = "0" * 64
    seed: int = 0
    created: str = "2026-11-26T00:00:00Z"
    judged: bool = False
    text: str = "Let me compute this step by step."
    """Thinking text of every completion (a payload goes here)."""
    words: int = 40
    """Words of thinking per completion."""
    tests: tuple[tuple[str, str | None], ...] = ()
    """``result.json``'s ``tests``: (test, None when it ran, else why it did not)."""
    guide: str | None = None
    """Name of the second guide (default: the model id's first 24 characters)."""
    revision: str = "0" * 40
    kind: str = "hub"
    """``hub`` (the id must be a Hub id to rank) or ``local`` (any printable ASCII name)."""
    boxed_wrong: bool = False
    """On a release: a wrong sample ends with a wrong boxed answer (Math-Verify decides it when re-graded) instead
    of being cut by the token limit (truncated, decided at once); realistic for intake benchmarks, slower to check."""
    release: Release | None = field(default=None, compare=False, repr=False)
    """The release the bundle is made on: its questions, guides and subsets (None: made-up question ids,
    which ``suite validate`` and the leaderboard cannot re-derive)."""


def samples_of(run: FakeRun) -> list[Sample]:
    rng = random.Random(f"{run.model_id}/{run.seed}")
    out: list[Sample] = []
    guides = ("oracle", run.guide or run.model_id[:24] or "guide")

    def sample(test: Any, qid: str, index: int, ok: bool, **fields: Any) -> Sample:
        thinking = " ".join([run.text] * max(1, run.words // max(1, len(run.text.split()))))
        answer = "42" if ok else "41"
        return Sample(
            test=test,
            question_id=qid,
            benchmark=qid.split("/")[0],
            sample=index,
            seed=rng.randrange(2**31),
            prompt_sha256=f"{rng.getrandbits(256):064x}",
            completion=f"{thinking}\n</think>\n\nSo the answer is \\boxed{{{answer}}}.",
            prompt_tokens=120,
            completion_tokens=len(thinking.split()) + 12,
            finish_reason="stop",
            grade=Grade(ok, answer=answer, method="string_match"),
            **fields,
        )

    solved: dict[str, int] = {}
    for i in range(run.questions):
        qid = f"{BENCHMARKS[i % len(BENCHMARKS)]}/{i}"
        rate = min(1.0, max(0.0, rng.gauss(run.skill, 0.3)))
        oks = [rng.random() < rate for _ in range(8)]
        solved[qid] = sum(oks)
        out.extend(sample("solo", qid, k, ok) for k, ok in enumerate(oks))
    shared = list(solved)[:20]
    skipped = {name for name, reason in run.tests if reason}
    for subset, ids in (("individual", [q for q, k in solved.items() if k][:200]), ("shared", shared)):
        for qid in ids if f"recoverability_{subset}" not in skipped else ():
            if subset == "shared" and not solved[qid]:
                continue  # not covered
            for m in (0.0, 0.2, 0.4, 0.6, 0.8):
                out.append(
                    sample(
                        "recoverability",
                        qid,
                        0,
                        rng.random() < run.skill * (0.6 + m / 2),
                        subset=subset,
                        position=m,
                        distractor_question_id=shared[-1] if qid != shared[-1] else shared[0],
                        own_sample=0,
                        steer_own=run.text * (m > 0),
                        steer_transition="\n\nWait. Let me think.\n\n" if m else "",
                        steer_text=run.text,
                    )
                )
    groups: tuple[tuple[str, str | None, list[str]], ...] = (
        ("guidability", "individual", [q for q, k in solved.items() if k <= 1]),
        ("guidability", "shared", shared),
        ("control", None, [q for q, k in solved.items() if k == 8][:50]),
    )
    for test, kind, ids in groups:
        for qid in ids if ("control" if test == "control" else f"guidability_{kind}") not in skipped else ():
            for guide in guides:
                for f in (0.2, 0.4, 0.6, 0.8):
                    contains = rng.random() < f / 3
                    for k in range(8):
                        ok = rng.random() < (0.95 if test == "control" else 0.1 + f / 4)
                        out.append(
                            sample(
                                test,
                                qid,
                                k,
                                ok,
                                subset=kind,
                                fraction=f,
                                guide=guide,
                                steer_own="",
                                steer_transition="",
                                steer_text=run.text,
                                steer_contains_answer=contains,
                            )
                        )
    return out


CONTEXT = 131072
"""The context length synthetic runs record, the model's own and the engine's (R1-Distill-Qwen's)."""


def config_of(run: FakeRun) -> EvalConfig:
    """The configuration a bundle of ``run`` records: the standard one (on a release: all its questions, ranked)."""
    return EvalConfig(model=run.model_id, seed=run.seed)


def thinking_of(run: FakeRun, question_id: str, index: int) -> str:
    """Thinking of several units (paragraphs of at least 30 words), so that every cut keeps something."""
    words = run.text.split() or ["x"]
    paragraph = " ".join(words * (30 // len(words) + 1))
    return "\n\n".join(f"Step {i + 1}. {paragraph}" for i in range(6))


def derived_samples_of(run: FakeRun) -> tuple[list[Sample], dict[str, int]]:
    """Samples of a run on ``run.release`` that re-derive, and the item counts its ``result.json`` records."""
    from suite.evaluation._rederive import derived_work, trajectories_needed
    from suite.evaluation._requests import expected_requests, release_guides
    from suite.evaluation._run import select_questions
    from suite.steering import PAPER, unit_spans

    assert run.release is not None
    release, config = run.release, config_of(run)
    rng = random.Random(f"{run.model_id}/{run.seed}")
    questions = select_questions(release, config) if run.questions else []
    by_id = {q.id: q for q in questions}

    def generated(template: Sample, index: int, ok: bool) -> Sample:
        gold = by_id[template.question_id].answer
        answer = gold if ok else f"{gold}1"
        thinking = thinking_of(run, template.question_id, index)
        cut = not ok and not run.boxed_wrong
        return replace(
            template,
            sample=index,
            prompt_sha256=f"{rng.getrandbits(256):064x}",
            completion=thinking if cut else f"{thinking}\n</think>\n\nSo the answer is \\boxed{{{answer}}}.",
            prompt_tokens=120,
            completion_tokens=len(thinking.split()) + 12,
            finish_reason="length" if cut else "stop",
            grade=(
                Grade(False, truncated=True, details={"how": "none"})
                if cut
                else Grade(ok, answer=answer, method="math_verify" if not ok else "string_match")
            ),
        )

    solo: dict[str, tuple[bool, ...]] = {}
    for q in questions:
        rate = min(1.0, max(0.0, rng.gauss(run.skill, 0.3)))
        solo[q.id] = tuple(rng.random() < rate for _ in range(config.samples))
    units = len(unit_spans(thinking_of(run, "", 0)))
    schedule, work = derived_work(config, questions, release, solo, lambda q, s: units)
    texts = {key: thinking_of(run, *key) for key in trajectories_needed(work)}
    out: list[Sample] = []
    for e in expected_requests(config, work, by_id, release_guides(release), lambda q, s: texts[(q, s)], PAPER):
        test = e.template.test
        for k in range(e.n):
            if test == "solo":
                out.append(generated(e.template, k, solo[e.template.question_id][k]))
                continue
            scale = (0.6 + (e.template.position or 0) / 2) if test == "recoverability" else 0.5
            ok = rng.random() < (0.95 if test == "control" else run.skill * scale)
            contains = None if test == "recoverability" else rng.random() < (e.template.fraction or 0) / 3
            out.append(replace(generated(e.template, k, ok), steer_contains_answer=contains))
    counts = {"questions": len(questions), "shared_recoverability": 0, **schedule.counts}
    return out, counts


def write_fake_bundle(out: Path, run: FakeRun) -> Path:
    """Write a valid bundle for ``run`` into ``out`` (re-derivable when ``run.release`` is given)."""
    if run.release is not None:
        samples, items = derived_samples_of(run)
    else:
        samples, items = samples_of(run), {"questions": run.questions, "shared_recoverability": 20}
    config = config_of(run)
    judge = {"judge_model": "judge", "judge_url": "http://127.0.0.1:1/v1", "judge_prompt_sha256": "0" * 64}
    result = {
        "format": RESULT_FORMAT,
        "format_version": RESULT_FORMAT_VERSION,
        "created": run.created,
        "suite": {"version": "0.1.0", "git_commit": None, "git_dirty": None},
        "release": (
            {"version": run.release.version, "manifest_sha256": run.release.manifest_sha256}
            if run.release is not None
            else {"version": run.release_version, "manifest_sha256": run.manifest_sha256}
        ),
        "model": {"id": run.model_id, "revision": run.revision, "kind": run.kind, "context_length": CONTEXT},
        "backend": {"name": "vllm", "versions": {"vllm": "0.0.0"}, "context_length": CONTEXT},
        "hardware": {"gpus": [], "cpu": "x86_64", "cpu_count": 2, "platform": "test"},
        "config": config.to_json(),
        "sampling": {"temperature": 0.6, "top_p": 0.95, "top_k": None, "max_tokens": 32768},
        "grading": GradingConfig().to_json() | {"judge": judge if run.judged else None},
        "timing": {"wall_s": 1.0, "generate_s": 1.0, "prompt_tokens": 0, "completion_tokens": 0},
        "timeline": {
            "bucket_s": 1.0,
            "points": [],
            "wall_s": 1.0,
            "generating_s": 1.0,
            "idle_with_ready_work_s": 0.0,
            "waiting_s": 0.0,
            "idle_fraction": 0.0,
        },
        "items": items,
        "notes": [],
        "metrics": compute_metrics(samples, run.seed, items["shared_recoverability"]),
    }
    if run.tests:
        result["tests"] = {
            name: {
                "status": "not run" if reason else "run",
                "reason": reason,
                "planned_questions": 0 if reason else run.questions,
                "planned_generations": 0 if reason else 8 * run.questions,
                "exact": True,
            }
            for name, reason in run.tests
        }
    return write_bundle(out, result, samples)
