"""``suite eval``: the solo pass, then recoverability and guidability, graded and written as a bundle."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from suite._errors import SuiteError
from suite.backends._base import Backend, Request, SamplingConfig
from suite.evaluation._config import EvalConfig
from suite.evaluation._samples import Sample, Test
from suite.grading import Grade, GraderPool, GradingConfig, Judge, JudgeConfig, grade
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
from suite.release import Question, Release
from suite.steering import SteeredThinking, guidability_steer, probe_template, recoverability_steer, steered_prompt

Progress = Callable[[str, int, int, int], None]
"""(phase, done, total, generated tokens) -> None."""


@dataclass(frozen=True)
class Job:
    """One request and the sample fields every one of its completions shares."""

    request: Request
    question: Question
    template: Sample
    """Sample with the per-completion fields left blank."""


@dataclass
class RunOutcome:
    """Everything the bundle needs."""

    samples: list[Sample]
    notes: list[str]
    generate_seconds: float
    counts: dict[str, int]


def trajectory(completion: str) -> str:
    """M's thinking in a completion: the text before ``</think>``."""
    return completion.split("</think>", 1)[0].strip("\n")


def run_protocol(
    config: EvalConfig,
    release: Release,
    questions: Sequence[Question],
    tokenizer: Any,
    backend: Backend,
    model_name: str,
    progress: Progress,
) -> RunOutcome:
    """Run every requested test on ``questions`` and grade each generation."""
    probe_template(tokenizer, model_name)
    sampling = SamplingConfig(config.temperature, config.top_p, config.max_tokens)

    def length(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    judge = (
        Judge(JudgeConfig(config.judge_url, config.judge_model)) if config.judge_url and config.judge_model else None
    )
    notes: list[str] = []
    counts: dict[str, int] = {}
    samples: list[Sample] = []
    clock = {"generate": 0.0}
    by_id = {q.id: q for q in release.questions}

    with GraderPool(config.grading_workers, GradingConfig(timeout_s=config.grading_timeout_s)) as pool:

        def run(phase: str, jobs: list[Job]) -> list[Sample]:
            done: list[Sample] = []
            tokens = 0
            size = getattr(backend, "chunk", 16) or max(1, len(jobs))
            for start in range(0, len(jobs), size):
                chunk = jobs[start : start + size]
                began = time.monotonic()
                completions = backend.generate([j.request for j in chunk], sampling)
                clock["generate"] += time.monotonic() - began
                by_key = {j.request.key: j for j in chunk}
                for c in completions:
                    job = by_key[c.key]
                    tokens += c.completion_tokens
                    pool.submit(len(done), c.text, job.question.answer, job.question.is_multiple_answer)
                    done.append(
                        replace(
                            job.template,
                            sample=c.index,
                            completion=c.text,
                            prompt_tokens=c.prompt_tokens,
                            completion_tokens=c.completion_tokens,
                            finish_reason=c.finish_reason,
                        )
                    )
                progress(phase, min(start + len(chunk), len(jobs)), len(jobs), tokens)
            graded = dict(pool.results())
            grades = [graded[i] for i in range(len(done))]
            if judge is not None:  # re-checks only wrong, complete answers, `concurrency` at a time
                grades = judge.recheck_all(
                    [
                        (by_id[s.question_id].problem, by_id[s.question_id].answer, g)
                        for s, g in zip(done, grades, strict=True)
                    ]
                )
            return [replace(s, grade=g) for s, g in zip(done, grades, strict=True)]

        def job(key: str, q: Question, n: int, test: Test, thinking: SteeredThinking | None, **fields: Any) -> Job:
            prompt = steered_prompt(tokenizer, q.problem, thinking.text if thinking else "")
            seed = derive_seed(config.seed, key)
            template = Sample(
                test=test,
                question_id=q.id,
                benchmark=q.benchmark,
                sample=0,
                seed=seed,
                prompt_sha256=prompt.sha256,
                completion="",
                prompt_tokens=0,
                completion_tokens=0,
                finish_reason="",
                grade=Grade(False),
                steer_own=thinking.own if thinking else None,
                steer_transition=thinking.transition if thinking else None,
                steer_text=thinking.steer if thinking else None,
                **fields,
            )
            return Job(Request(key, prompt.token_ids, n, seed), q, template)

        # Solo pass.
        solo_samples = run("solo", [job(f"solo/{q.id}", q, config.samples, "solo", None) for q in questions])
        samples.extend(solo_samples)
        outcomes: dict[str, list[Sample]] = {}
        for s in solo_samples:
            outcomes.setdefault(s.question_id, []).append(s)
        for group in outcomes.values():
            group.sort(key=lambda s: s.sample)
        solo = {q.id: Solo(q.id, q.answer, tuple(s.grade.correct for s in outcomes.get(q.id, []))) for q in questions}
        solo_list = list(solo.values())
        texts = {qid: [trajectory(s.completion) for s in group] for qid, group in outcomes.items()}
        question = {q.id: q for q in questions}

        if "recoverability" in config.tests:
            pool_d = distractor_pool(solo_list, config.seed, config.distractor_pool_size)
            individual = individual_subset(solo_list, config.seed, config.individual_subset_size)
            if len(individual) < config.individual_subset_size:
                notes.append(
                    f"individual recoverability subset: {len(individual)} questions qualified "
                    f"(fewer than {config.individual_subset_size})"
                )
            shared_ids = (
                list(release.subsets["recoverability_shared"].ids) if "recoverability_shared" in release.subsets else []
            )
            covered, _ = shared_coverage([q for q in shared_ids if q in solo], solo)
            counts["individual_recoverability"] = len(individual)
            counts["shared_recoverability"] = len(shared_ids)
            jobs = []
            for subset, ids in (("individual", individual), ("shared", covered)):
                for qid in ids:
                    item = solo[qid]
                    distractor = assign_distractor(item, pool_d, config.seed)
                    if distractor is None:
                        notes.append(f"{qid}: no distractor with a different answer; item skipped")
                        continue
                    own = own_trajectory(item, config.seed, "recoverability")
                    for m in config.positions:
                        thinking = recoverability_steer(
                            texts[qid][own],
                            texts[distractor.question_id][distractor.sample],
                            m,
                            config.distractor_fraction,
                            config.transition,
                            config.keep_opening,
                            length,
                        )
                        jobs.append(
                            job(
                                f"recoverability/{subset}/{qid}/{m:g}",
                                question[qid],
                                config.recoverability_continuations,
                                "recoverability",
                                thinking,
                                subset=subset,
                                position=m,
                                distractor_question_id=distractor.question_id,
                                own_sample=own,
                            )
                        )
            samples.extend(run("recoverability", jobs))

        if "guidability" in config.tests:
            guides = {name: {t.question_id: t for t in steers if t.correct} for name, steers in release.guides.items()}
            if not guides:
                notes.append("the release has no guide steers: guidability not run")
            shared_ids = (
                list(release.subsets["guidability_shared"].ids) if "guidability_shared" in release.subsets else []
            )
            groups: tuple[tuple[str | None, Test, list[str]], ...] = (
                ("individual", "guidability", guidability_items(solo_list, config.samples)),
                ("shared", "guidability", [q for q in shared_ids if q in solo]),
                (None, "control", control_items(solo_list, config.samples, config.seed, config.control_size)),
            )
            jobs = []
            for kind, test, ids in groups:
                counts[f"{test}_{kind or 'control'}"] = len(ids)
                for qid in ids:
                    for name, steers in sorted(guides.items()):
                        if qid not in steers:
                            continue
                        for f in config.guide_fractions:
                            thinking = guidability_steer(steers[qid].thinking, f, length)
                            contains = grade(
                                "</think>" + thinking.steer, question[qid].answer, question[qid].is_multiple_answer
                            ).correct
                            jobs.append(
                                job(
                                    f"{test}/{kind or 'control'}/{qid}/{name}/{f:g}",
                                    question[qid],
                                    config.guidability_continuations,
                                    test,
                                    thinking,
                                    subset=kind,
                                    fraction=f,
                                    guide=name,
                                    steer_contains_answer=contains,
                                )
                            )
            samples.extend(run("guidability", jobs))
    return RunOutcome(samples, notes, clock["generate"], counts)


def select_questions(release: Release, config: EvalConfig) -> list[Question]:
    """The release's questions of the chosen benchmarks, the first ``limit`` of each."""
    available = {q.benchmark for q in release.questions}
    wanted = list(config.benchmarks) if config.benchmarks else sorted(available)
    unknown = [b for b in wanted if b not in available]
    if unknown:
        raise SuiteError(
            f"benchmark(s) {', '.join(unknown)} are not in release {release.version}; "
            f"choose from {', '.join(sorted(available))}."
        )
    chosen: list[Question] = []
    for b in wanted:
        of_b = [q for q in release.questions if q.benchmark == b]
        chosen.extend(of_b[: config.limit] if config.limit else of_b)
    return chosen
