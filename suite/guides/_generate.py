"""``suite guides generate``: guide trajectories for a release's questions from a chat endpoint, graded and saved.

Each sample is its own request (no ``n``): DeepSeek's API and OpenRouter do not support ``n`` > 1, a
failed request then costs one sample instead of eight, and every sample is saved the moment it is
graded. The first request goes alone: an endpoint that sends no reasoning, or refuses the model or the
key, costs one request, not ``concurrency``. Then ``concurrency`` requests are in flight at once.
"""

from __future__ import annotations

import datetime
import queue
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

from suite import __version__
from suite._errors import SuiteError
from suite.grading import Grade, GraderPool, quick_grade
from suite.guides._endpoint import ChatEndpoint, Reply, no_reasoning
from suite.guides._folder import GuideFolder, SampleKey
from suite.guides._records import TEMPERATURE, TOP_P, Generation, GuideSample, Plan, Sampling
from suite.release import Question, Release, load_release

Progress = Callable[[int, int, int, int], None]
"""(samples saved, samples planned, completion tokens so far, requests in flight)."""


@dataclass(frozen=True)
class Summary:
    """What ``suite guides generate`` reports at the end."""

    questions: int
    samples: int
    """Samples saved in the folder (resumed and new)."""
    planned: int
    resumed: int
    correct: int
    """Correct samples in the folder."""
    solved_questions: int
    """Questions with at least one correct sample."""
    prompt_tokens: int
    """Of this invocation's new samples."""
    completion_tokens: int
    wall_s: float
    cost: float | None
    """Sum of ``usage.cost`` of the new samples; None when the endpoint reported none."""
    retries: int
    reasoning_field: str | None

    @property
    def throughput(self) -> float:
        """Completion tokens per second of wall time in this invocation."""
        return self.completion_tokens / self.wall_s if self.wall_s > 0 else 0.0


def select_questions(release: Release, subset: str | None = None, limit: int | None = None) -> list[Question]:
    """The release's questions (or a subset's), in release order, the first ``limit`` of each benchmark."""
    questions = list(release.questions)
    if subset is not None:
        if subset not in release.subsets:
            choices = ", ".join(sorted(release.subsets)) or "none"
            raise SuiteError(f"release {release.version} has no subset {subset!r}; choose one of: {choices}.")
        ids = set(release.subsets[subset].ids)
        questions = [q for q in questions if q.id in ids]
    if limit is not None:
        if limit < 1:
            raise SuiteError(f"--limit {limit} must be at least 1.")
        per_benchmark: dict[str, int] = {}
        kept = []
        for q in questions:
            per_benchmark[q.benchmark] = per_benchmark.get(q.benchmark, 0) + 1
            if per_benchmark[q.benchmark] <= limit:
                kept.append(q)
        questions = kept
    if not questions:
        raise SuiteError(f"subset {subset!r} of release {release.version} is empty; choose another --questions-from.")
    return questions


def generate_guides(
    endpoint: ChatEndpoint,
    release_dir: Path,
    out: Path,
    samples: int = 8,
    max_tokens: int = 32768,
    subset: str | None = None,
    limit: int | None = None,
    concurrency: int = 16,
    grader_workers: int = 2,
    progress: Progress | None = None,
) -> Summary:
    """Ask ``endpoint`` for ``samples`` samples of each chosen question, grade them, save them to ``out``.

    Resumes a folder written with the same arguments (skipping every saved sample) and refuses one
    written with others. Stops with a SuiteError at the first reply without a reasoning field.
    """
    started = time.monotonic()
    for flag, value in (("--samples", samples), ("--max-tokens", max_tokens), ("--concurrency", concurrency)):
        if value < 1:
            raise SuiteError(f"{flag} {value} must be at least 1.")
    release = load_release(release_dir)
    questions = select_questions(release, subset, limit)
    plan = Plan(
        model=endpoint.model,
        base_url=endpoint.base_url,
        sampling=Sampling(TEMPERATURE, TOP_P, None, max_tokens),
        release_version=release.version,
        release_sha256=release.manifest_sha256,
        samples=samples,
        subset=subset,
        limit=limit,
        question_ids=tuple(q.id for q in questions),
    )
    with GuideFolder.open(out, plan) as folder:
        run = _Run(endpoint, folder, questions, concurrency, grader_workers, progress)
        try:
            run.run()
        finally:
            run.stop()
        stored = [*folder.stored.values(), *run.new]
        costs = [s.cost for s in run.new if s.cost is not None]
        generation = folder.generation
        return Summary(
            questions=len(questions),
            samples=len(stored),
            planned=len(questions) * samples,
            resumed=len(folder.stored),
            correct=sum(s.correct for s in stored),
            solved_questions=len({s.question_id for s in stored if s.correct}),
            prompt_tokens=sum(s.prompt_tokens or 0 for s in run.new),
            completion_tokens=sum(s.completion_tokens or 0 for s in run.new),
            wall_s=time.monotonic() - started,
            cost=sum(costs) if costs else None,
            retries=sum(s.attempts - 1 for s in run.new),
            reasoning_field=generation.reasoning_field if generation else None,
        )


class _Run:
    """One invocation: senders, grader and folder, driven from the calling thread."""

    def __init__(
        self,
        endpoint: ChatEndpoint,
        folder: GuideFolder,
        questions: list[Question],
        concurrency: int,
        grader_workers: int,
        progress: Progress | None,
    ) -> None:
        self.endpoint = endpoint
        self.folder = folder
        self.questions = {q.id: q for q in questions}
        self.pending: list[SampleKey] = [
            (q.id, i) for q in questions for i in range(folder.plan.samples) if (q.id, i) not in folder.stored
        ]
        self.senders = _Senders(self._ask, concurrency)
        self.grader = _Grader(grader_workers)
        self.progress = progress
        self.replies: dict[SampleKey, Reply] = {}
        self.new: list[GuideSample] = []
        self.reasoning_field = "reasoning"
        """The field the first reply held its reasoning in: what a new folder records."""
        self.tokens = 0

    def _ask(self, key: SampleKey) -> Reply:
        return self.endpoint.ask(self.questions[key[0]].problem, self.folder.plan.sampling)

    def run(self) -> None:
        if not self.pending:
            return
        planned = len(self.questions) * self.folder.plan.samples
        self.senders.put(self.pending[:1])
        waiting, opened = len(self.pending), False
        while waiting:
            for key, outcome in self.senders.results(timeout=0.05):
                if isinstance(outcome, BaseException):
                    raise outcome
                if not opened:  # the first reply of this invocation decides whether the endpoint fits
                    if outcome.reasoning_field is None:
                        raise no_reasoning(self.endpoint)
                    self.reasoning_field = outcome.reasoning_field
                    self.senders.put(self.pending[1:])
                    opened = True
                self.replies[key] = outcome
                question = self.questions[key[0]]
                self.grader.submit(key, outcome, question.answer, question.is_multiple_answer)
            for key, grade in self.grader.results():
                self._save(key, grade)
                waiting -= 1
            if self.progress is not None:
                self.progress(len(self.folder.stored) + len(self.new), planned, self.tokens, self.senders.busy)

    def _save(self, key: SampleKey, grade: Grade) -> None:
        reply = self.replies.pop(key)
        generation = self.folder.generation or Generation(
            plan=self.folder.plan,
            date=datetime.datetime.now(datetime.UTC).date().isoformat(),
            reasoning_field=self.reasoning_field,
            suite_version=__version__,
        )
        sample = GuideSample(
            question_id=key[0],
            sample=key[1],
            reasoning=reply.reasoning,
            content=reply.content,
            finish_reason=reply.finish_reason,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            correct=grade.correct,
            grade=grade,
            cost=reply.cost,
            attempts=reply.attempts,
            seconds=round(reply.seconds, 3),
            served_model=reply.served_model,
        )
        self.folder.add(sample, generation)
        self.new.append(sample)
        self.tokens += sample.completion_tokens or 0

    def stop(self) -> None:
        self.senders.stop()
        self.grader.close()


class _Senders:
    """``threads`` daemon threads that send requests: a stop (Ctrl-C, an error) never waits for a reply."""

    def __init__(self, ask: Callable[[SampleKey], Reply], threads: int) -> None:
        self._ask = ask
        self._jobs: queue.Queue[SampleKey] = queue.Queue()
        self._done: queue.Queue[tuple[SampleKey, Reply | BaseException]] = queue.Queue()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.busy = 0
        """Requests queued or in flight."""
        for i in range(threads):
            threading.Thread(target=self._work, name=f"guides-sender-{i}", daemon=True).start()

    def put(self, keys: list[SampleKey]) -> None:
        with self._lock:
            self.busy += len(keys)
        for key in keys:
            self._jobs.put(key)

    def results(self, timeout: float) -> list[tuple[SampleKey, Reply | BaseException]]:
        """Replies (or the errors) that came back, waiting up to ``timeout`` for the first."""
        try:
            got = [self._done.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                got.append(self._done.get_nowait())
            except queue.Empty:
                break
        with self._lock:
            self.busy -= len(got)
        return got

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                key = self._jobs.get(timeout=0.2)
            except queue.Empty:
                continue
            if self._stopping.is_set():
                return
            outcome: Reply | BaseException
            try:
                outcome = self._ask(key)
            except Exception as e:  # handed to the main thread, which stops the run with it
                outcome = e
            self._done.put((key, outcome))

    def stop(self) -> None:
        self._stopping.set()


class _Grader:
    """The suite's grader on each answer: exact matches at once, the rest in a ``GraderPool`` started on demand."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: GraderPool | None = None
        self._ready: list[tuple[SampleKey, Grade]] = []

    def submit(self, key: SampleKey, reply: Reply, gold: str, multiple: bool) -> None:
        """Grade the answer (``message.content``: all of it is answer) against the release's gold."""
        if reply.content is None or not reply.content.strip():
            # No answer at all: cut by the token limit while thinking (truncated), or nothing after the thinking.
            self._ready.append((key, Grade(False, no_answer=True, truncated=reply.finish_reason == "length")))
            return
        first = quick_grade(reply.content, gold, multiple, closer="")
        if isinstance(first, Grade):
            self._ready.append((key, first))
            return
        if self._pool is None:
            self._pool = GraderPool(self._workers)
        self._pool.submit(key, reply.content, gold, multiple, closer="")

    def results(self) -> list[tuple[SampleKey, Grade]]:
        """Grades finished so far."""
        ready, self._ready = self._ready, []
        while self._pool is not None and self._pool.pending:
            item: tuple[Hashable, Grade] | None = self._pool.get(timeout=0)
            if item is None:
                break
            key, grade = item
            assert isinstance(key, tuple)
            ready.append((key, grade))
        return ready

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
