"""``suite eval``'s streaming loop: ready work to the engine, completions to the store and grader, grades onward."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from suite._errors import SuiteError
from suite.backends._base import Backend, Completion, Request, SamplingConfig
from suite.evaluation._config import EvalConfig
from suite.evaluation._requests import Expected, expected_requests, release_guides
from suite.evaluation._samples import Sample
from suite.evaluation._schedule import Schedule, Work
from suite.evaluation._store import SampleKey, SampleStore
from suite.evaluation._timeline import Timeline
from suite.grading import Grade, GraderPool, GradingConfig, Judge, JudgeConfig, SteerAnswers, normalise
from suite.release import Question, Release
from suite.steering import (
    Cutting,
    ThinkingFormat,
    probe_template,
    steered_prompt,
    unit_spans,
)

if TYPE_CHECKING:
    from suite.evaluation._distractors import ForeignDistractors

Progress = Callable[[int, int, int, int], None]
"""(graded samples, samples known so far, generated tokens, requests in the engine) -> None."""

Clock = Callable[[], float]


def same_answer(a: str, b: str) -> bool:
    """Two gold answers are the same answer when their normalised forms are equal (a distractor needs another)."""
    return normalise(a) == normalise(b)


@dataclass(frozen=True)
class Job:
    """One request and the sample fields every one of its completions shares."""

    request: Request
    question: Question
    template: Sample
    """Sample with the per-completion fields left blank."""


@dataclass
class RunOutcome:
    """What the bundle needs besides the samples (which are in the store)."""

    notes: list[str]
    counts: dict[str, int]
    generate_seconds: float
    timeline: dict[str, Any]
    resumed: int
    """Samples found in the store at the start (not generated again)."""
    thinking: dict[str, Any]
    """M's thinking format as used: name, markers, the prefill the prompts got."""
    steer_answers: dict[str, Any] = field(default_factory=dict)
    """How answer-in-steer was decided (``SteerAnswers.to_json``): method, steers judged, fallbacks."""


def run_protocol(
    config: EvalConfig,
    release: Release,
    questions: Sequence[Question],
    tokenizer: Any,
    backend: Backend,
    model_name: str,
    store: SampleStore,
    progress: Progress,
    clock: Clock = time.monotonic,
    distractors: Sequence[ForeignDistractors] = (),
) -> RunOutcome:
    """Run every requested test on ``questions``; every generation and grade goes to ``store`` as it exists.

    ``distractors``: other models' trajectories for the cross-model ablation (default: M's own).
    """
    thinking_format = probe_template(tokenizer, model_name, config.thinking_format, config.chat_template_kwargs)
    judge = (
        Judge(JudgeConfig(config.judge_url, config.judge_model)) if config.judge_url and config.judge_model else None
    )
    judging = ThreadPoolExecutor(max_workers=judge.config.concurrency if judge else 1, thread_name_prefix="judge")
    # Answer-in-steer asks the judge in its own threads: a steer's request never queues behind re-checks.
    steering = ThreadPoolExecutor(max_workers=judge.config.concurrency if judge else 1, thread_name_prefix="steer")
    steer_answers = SteerAnswers(judge, steering, GradingConfig(timeout_s=config.grading_timeout_s))
    try:
        with GraderPool(config.grading_workers, GradingConfig(timeout_s=config.grading_timeout_s)) as pool:
            runner = _Runner(
                config,
                release,
                questions,
                tokenizer,
                thinking_format,
                backend,
                store,
                pool,
                judge,
                judging,
                steer_answers,
                progress,
                clock,
                distractors,
            )
            return replace(runner.run(), steer_answers=steer_answers.to_json())
    finally:
        judging.shutdown(wait=False, cancel_futures=True)  # on Ctrl-C: do not wait for the judge
        steering.shutdown(wait=False, cancel_futures=True)


class _Runner:
    """The streaming loop: hand ready work to the backend, grade what comes back, unlock what depends on it."""

    def __init__(
        self,
        config: EvalConfig,
        release: Release,
        questions: Sequence[Question],
        tokenizer: Any,
        thinking_format: ThinkingFormat,
        backend: Backend,
        store: SampleStore,
        pool: GraderPool,
        judge: Judge | None,
        judging: ThreadPoolExecutor,
        steer_answers: SteerAnswers,
        progress: Progress,
        clock: Clock,
        distractors: Sequence[ForeignDistractors],
    ) -> None:
        self.config, self.tokenizer, self.backend, self.store = config, tokenizer, backend, store
        self.format = thinking_format
        self.cutting = Cutting(config.protocol, self.length)
        self.foreign = {d.source.name: d.thinking for d in distractors}
        """Other models' thinking by model name (the cross-model ablation's distractors)."""
        self._units: dict[tuple[str, int], int] = {}
        self.pool, self.judge, self.judging, self.progress, self.clock = pool, judge, judging, progress, clock
        self.steer_answers = steer_answers
        self.sampling = SamplingConfig(
            config.temperature, config.top_p, config.max_tokens, skip_special_tokens=not thinking_format.special_markers
        )
        self.question = {q.id: q for q in questions}
        subsets = release.subsets
        self.schedule = Schedule(
            config,
            [q.id for q in questions],
            {q.id: q.answer for q in questions},
            subsets["recoverability_shared"].ids if "recoverability_shared" in subsets else (),
            subsets["guidability_shared"].ids if "guidability_shared" in subsets else (),
            group=max(1, config.hf_batch_size // config.samples),
            units=self.own_units,
            same_answer=same_answer,
            sources=[d.source for d in distractors],
        )
        self.guides = release_guides(release)
        """Each guide's correct trajectories per question, in their fixed order (by sample)."""
        self.jobs: dict[str, Job] = {}
        """Jobs not fully graded yet."""
        self.grades: dict[str, list[Grade | None]] = {}
        self.judged: dict[Future[Grade], SampleKey] = {}
        self.truncated: list[tuple[SampleKey, Grade]] = []
        """Final grades decided without the grader (a marker-less response cut by the token limit)."""
        self.ready: deque[Work] = deque()
        """Work whose dependencies are graded, not handed to the backend yet (at most ``backend.window`` is)."""
        self.known = self.done = self.tokens = 0
        self.generate_s = 0.0
        self.timeline = Timeline(clock())

    def run(self) -> RunOutcome:
        if self.schedule.guidability and not self.guides:
            self.schedule.notes.append("the release has no guide steers: guidability not run")
        self.ready.extend(self.schedule.start())
        reported = -1.0
        while self.jobs or self.ready:
            while self.ready and self.backend.busy < self.backend.window:  # the engine's queue stays full
                self.start(self.ready.popleft())
            began = self.clock()
            engine_had_work = self.backend.busy > 0
            if engine_had_work:
                depth = self.backend.busy
                completions = self.backend.collect()
                generated = self.clock()
                self.generate_s += generated - began
                self.timeline.spend("generating", generated - began)
                self.timeline.record(generated, sum(c.completion_tokens for c in completions), depth, since=began)
                began = generated
                self.receive(completions)
            self.drain(wait=not engine_had_work)
            if (
                not (self.backend.busy or self.pool.pending or self.judged or self.ready or self.truncated)
                and self.jobs
            ):
                key = next(iter(self.jobs))
                raise SuiteError(
                    f"the {self.backend.name} backend returned fewer completions than asked for {len(self.jobs)} "
                    f"request(s), e.g. {key}; check the engine's log, then run the same command to resume."
                )
            ended = self.clock()
            if not engine_had_work:
                self.timeline.spend("waiting", ended - began)
            elif self.backend.background:
                self.timeline.spend("generating", ended - began)
            else:
                self.timeline.spend("idle_with_ready_work", ended - began)
            self.timeline.record(ended, 0, self.backend.busy)
            if ended - reported >= 0.2 or not self.jobs:
                reported = ended
                self.progress(self.done, self.known, self.tokens, self.backend.busy)
        assert self.schedule.finished, "every job is done but some solo outcome never arrived"
        return RunOutcome(
            self.schedule.notes,
            self.schedule.counts,
            self.generate_s,
            self.timeline.to_json(self.clock()),
            self.store.resumed,
            self.format.to_json(),
        )

    # -- work -> jobs -> backend ------------------------------------------------------------------

    def start(self, work: Work) -> None:
        """Turn ready work into jobs; generate what the store lacks, as one group; re-grade what it has."""
        jobs = [j for j in self.jobs_for(work) if self.fits(j)]
        if not jobs:
            return
        for j in jobs:
            self.jobs[j.request.key] = j
            self.grades[j.request.key] = [None] * j.request.n
            self.known += j.request.n
        if not all(self.store.has(j.request.key, j.request.n) for j in jobs):
            # The whole group, even if part of it is stored: hf batches a group together, so its samples
            # depend on the group; stored copies win over regenerated ones.
            self.backend.submit([j.request for j in jobs], self.sampling)
            self.ask_about_steers(jobs)
        for j in jobs:
            for index in range(j.request.n):
                key = (j.request.key, index)
                if key in self.store.grades:
                    self.deliver(key, self.store.grades[key])
                elif key in self.store.offsets:
                    stored = self.store.sample(*key)
                    self.grade(key, stored.completion, stored.finish_reason, j.question)

    def fits(self, job: Job) -> bool:
        """Whether M's context leaves room to continue the prompt; a steered prompt that does not fit is noted, not run.

        (A solo prompt always runs: the schedule waits for every solo outcome, and questions are short.)
        """
        tokens, context = len(job.request.prompt_ids), self.backend.context_length
        if job.template.test == "solo" or tokens + 1 < context:
            return True
        self.schedule.notes.append(
            f"{job.request.key}: the steered prompt has {tokens} tokens and M's context is {context}; not run"
        )
        self.schedule.counts["steered_prompts_over_context"] = (
            self.schedule.counts.get("steered_prompts_over_context", 0) + 1
        )
        return False

    def jobs_for(self, work: Work) -> list[Job]:
        """The requests of ``work`` (``expected_requests``: the same enumeration ``suite validate`` checks)."""
        expected = expected_requests(
            self.config,
            [work],
            self.question,
            self.guides,
            self.own_thinking,
            self.cutting,
            self.foreign,
            note=self.schedule.notes.append,
        )
        return [self.job(e) for e in expected]

    def answer_region(self, key: SampleKey) -> str:
        """The text after M's thinking in a stored completion ("" when it never finished thinking)."""
        stored = self.store.sample(*key)
        return self.format.split(stored.completion, stored.finish_reason)[1] or ""

    def own_thinking(self, question_id: str, sample: int) -> str:
        """M's thinking in one of its solo samples."""
        stored = self.store.sample(f"solo/{question_id}", sample)
        return self.format.split(stored.completion, stored.finish_reason)[0]

    def own_units(self, question_id: str, sample: int) -> int:
        """Units of one of M's solo trajectories (remembered: the schedule asks again while it waits)."""
        key = (question_id, sample)
        if key not in self._units:
            self._units[key] = len(unit_spans(self.own_thinking(question_id, sample)))
        return self._units[key]

    def length(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def job(self, expected: Expected) -> Job:
        """The engine request of an expected one: M's prompt with the steered thinking, and the sample fields."""
        q, steered = self.question[expected.template.question_id], expected.steered
        prompt = steered_prompt(
            self.tokenizer, q.problem, steered.text if steered else "", self.format, self.config.chat_template_kwargs
        )
        template = replace(expected.template, prompt_sha256=prompt.sha256, problem=q.problem, answer=q.answer)
        if steered is not None and template.guide is not None:
            template = replace(
                template, steer_contains_answer=self.steer_answers.now(steered.steer, q.answer, q.is_multiple_answer)
            )
        return Job(Request(expected.request, prompt.token_ids, expected.n, template.seed), q, template)

    # -- backend -> store -> grader -> schedule --------------------------------------------------

    def ask_about_steers(self, jobs: Sequence[Job]) -> None:
        """Start the judge's answer-in-steer request of each guide steer handed to the engine (none without a judge)."""
        for j in jobs:
            if j.template.guide is not None and j.template.steer_text and j.template.steer_contains_answer is None:
                self.steer_answers.prefetch(j.question.problem, j.template.steer_text)

    def with_steer_answer(self, job: Job) -> Sample:
        """The job's template with answer-in-steer decided, where the judge decides it (on this main thread)."""
        t, q = job.template, job.question
        if t.guide is None or not t.steer_text or t.steer_contains_answer is not None:
            return t
        decided = self.steer_answers.decide(q.problem, t.steer_text, q.answer, q.is_multiple_answer)
        return replace(t, steer_contains_answer=decided)

    def receive(self, completions: Sequence[Completion]) -> None:
        fresh = [c for c in completions if (c.key, c.index) not in self.store.offsets]
        samples = [
            (
                c.key,
                replace(
                    self.with_steer_answer(self.jobs[c.key]),
                    sample=c.index,
                    completion=c.text,
                    prompt_tokens=c.prompt_tokens,
                    completion_tokens=c.completion_tokens,
                    finish_reason=c.finish_reason,
                ),
            )
            for c in fresh
        ]
        self.store.add_completions(samples)
        self.tokens += sum(c.completion_tokens for c in completions)
        for c in fresh:
            self.grade((c.key, c.index), c.text, c.finish_reason, self.jobs[c.key].question)

    def grade(self, key: SampleKey, text: str, finish_reason: str, q: Question) -> None:
        if self.format.split(text, finish_reason)[1] is None and not self.format.closer:
            # No thinking markers (LIMO): only the token limit says the model did not finish.
            self.truncated.append((key, Grade(False, truncated=True, details={"how": "none"})))
            return
        self.pool.submit(key, text, q.answer, q.is_multiple_answer, closer=self.format.closer)

    def drain(self, wait: bool) -> None:
        """Take every grade that is ready; when ``wait``, block briefly for the next one."""
        finals: list[tuple[SampleKey, Grade]] = self.truncated
        self.truncated = []
        item = self.pool.get(timeout=0.05 if wait and self.pool.pending else 0)
        while item is not None:
            key, g = item
            assert isinstance(key, tuple)
            region = self.answer_region(key) if self.judge is not None and not (g.correct or g.truncated) else ""
            if self.judge is not None and region.strip():
                # The judge reads the whole answer region, so an answer the extraction missed is seen too.
                q = self.jobs[key[0]].question
                self.judged[self.judging.submit(self.judge.recheck, q.problem, q.answer, g, region)] = key
            else:
                finals.append((key, g))
            item = self.pool.get(timeout=0)
        if self.judged:
            done, _ = futures_wait(self.judged, timeout=0.05 if wait and not finals else 0, return_when=FIRST_COMPLETED)
            finals.extend((self.judged.pop(f), f.result()) for f in done)
        if finals:
            self.store.add_grades(finals)
        for key, g in finals:
            self.deliver(key, g)

    def deliver(self, key: SampleKey, g: Grade) -> None:
        request_key, index = key
        slots = self.grades[request_key]
        slots[index] = g
        self.done += 1
        if any(s is None for s in slots):
            return
        job = self.jobs.pop(request_key)
        del self.grades[request_key]
        if job.template.test == "solo":
            # What a graded question unlocks goes ahead of solo work not yet started: items finish early.
            self.ready.extendleft(
                reversed(self.schedule.solo_done(job.question.id, [bool(s and s.correct) for s in slots]))
            )


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
