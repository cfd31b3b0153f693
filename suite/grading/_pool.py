"""A streaming pool of killable grading workers.

Math-Verify can hang inside sympy where no signal reaches it, so every answer
is graded in a worker process with a hard deadline: a worker past it is killed
and replaced, and other answers keep flowing through the remaining workers.
Callers submit answers as generations finish and collect grades as they complete.

How long an answer takes depends on the machine's load, so an answer that times
out (the worker's deadline, or Math-Verify's own limit) is graded once more with
the generous ``GradingConfig.retry_timeout_s`` as soon as no first attempt is
waiting for a worker; only if that times out too is it graded wrong with
``timed_out``. ``get``/``results`` hand back final grades only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import multiprocessing
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from suite.grading._extract import THINK_END
from suite.grading._grade import Grade, GradingConfig, NeedsMathVerify, math_verify_grade, quick_grade

_READY = "ready"


@dataclass(frozen=True)
class _Task:
    """One Math-Verify comparison as it travels to a worker."""

    id: int
    gold: str
    pending: NeedsMathVerify
    multiple: bool
    limit_s: float
    """Deadline of this attempt; Math-Verify's own limits use it too."""
    retry: bool = False
    """True for the second, last attempt."""


def _worker_main(conn: Connection, config: GradingConfig) -> None:
    """Worker loop: grade tasks until told to stop; start-up is paid once, before 'ready'."""
    # Ctrl-C in a terminal reaches the whole process group: the parent stops the run and prints how to
    # resume; a worker only dies with the pool, never with a KeyboardInterrupt traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Warm up before taking work: the first comparison pays for imports and lazy parser set-up
    # (about half a second), which must not count against the first real answer's deadline.
    math_verify_grade("1", NeedsMathVerify(("1",), "", "warm-up"), False, config)
    conn.send(_READY)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the pool's process is gone: nothing left to do
            return
        if task is None:
            return
        try:
            result = math_verify_grade(task.gold, task.pending, task.multiple, config, task.limit_s)
        except Exception as e:  # a grading bug must cost one answer, never the run
            result = Grade(False, error=f"grading failed: {type(e).__name__}: {e}"[:500])
        conn.send((task.id, result.to_json()))


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    ready: bool = False
    task: tuple[_Task, float] | None = None
    """(task, deadline) while busy."""


class GraderPool:
    """Grade answers in ``workers`` processes with a hard per-answer timeout.

    ``submit`` returns at once; ``results``/``get`` hand back ``(key, Grade)`` in
    completion order. Use as a context manager so workers are always stopped.
    """

    def __init__(self, workers: int = 2, config: GradingConfig | None = None) -> None:
        if workers < 1:
            raise ValueError("a grader pool needs at least one worker")
        self.config = config or GradingConfig()
        self._context = multiprocessing.get_context("spawn")
        self._inbox: deque[_Task] = deque()
        self._retries: deque[_Task] = deque()
        self._keys: dict[int, Hashable] = {}
        self._out: queue.Queue[tuple[Hashable, Grade]] = queue.Queue()
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._submitted = 0
        self._delivered = 0
        self._closing = False
        self._failure: BaseException | None = None
        self._wake_r, self._wake_w = self._context.Pipe(duplex=False)
        self._workers = [self._start_worker() for _ in range(workers)]
        self._thread = threading.Thread(target=self._dispatch_forever, name="grader-pool", daemon=True)
        self._thread.start()

    # -- public API -------------------------------------------------------------------------------

    def submit(
        self, key: Hashable, response: object, gold: str, multiple: bool = False, closer: str = THINK_END
    ) -> None:
        """Queue one answer; what needs no Math-Verify (exact matches, bad input) is graded at once.

        ``closer`` ends the thinking (``""``: none, the whole response is the answer region).
        Only the extracted answers and the answer region travel to a worker, so a
        10 MB response costs no more than a short one.
        """
        with self._lock:
            if self._closing:
                raise RuntimeError("the grader pool is closed")
            self._submitted += 1
        first = quick_grade(response, gold, multiple, closer)
        if isinstance(first, Grade):
            self._out.put((key, first))
            return
        task = _Task(next(self._ids), gold, first, multiple, self.config.timeout_s)
        with self._lock:
            self._keys[task.id] = key
            self._inbox.append(task)
        self._wake_w.send_bytes(b"1")

    @property
    def pending(self) -> int:
        """Answers submitted whose grade has not been handed back yet."""
        with self._lock:
            return self._submitted - self._delivered

    def get(self, timeout: float | None = None) -> tuple[Hashable, Grade] | None:
        """The next finished ``(key, Grade)``, waiting up to ``timeout`` seconds (None: no limit)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._failure is not None:
                raise RuntimeError("the grader pool's dispatcher failed") from self._failure
            wait_for = 0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
            try:
                item = self._out.get(timeout=wait_for)
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                continue
            with self._lock:
                self._delivered += 1
            return item

    def results(self) -> Iterator[tuple[Hashable, Grade]]:
        """Yield grades until everything submitted so far has been handed back."""
        while self.pending:
            item = self.get()
            if item is not None:
                yield item

    def grade_all(self, items: Iterable[tuple[object, str, bool]], closer: str = THINK_END) -> list[Grade]:
        """Grade ``(response, gold, multiple)`` triples and return grades in input order."""
        count = 0
        for index, (response, gold, multiple) in enumerate(items):
            self.submit(index, response, gold, multiple, closer)
            count += 1
        grades: dict[Hashable, Grade] = dict(itertools.islice(self.results(), count))
        return [grades[i] for i in range(count)]

    def close(self) -> None:
        """Stop the dispatcher and every worker (work still queued is dropped)."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
        self._wake_w.send_bytes(b"0")
        self._thread.join(timeout=10)
        for worker in self._workers:
            self._stop_worker(worker)

    def __enter__(self) -> GraderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- dispatcher -------------------------------------------------------------------------------

    def _start_worker(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child, self.config), daemon=True)
        main = threading.current_thread() is threading.main_thread()  # only the main thread may set handlers
        handler = signal.getsignal(signal.SIGINT) if main else None
        if handler is None:
            process.start()  # a replacement, from the dispatcher: quiet once _worker_main runs
        else:  # started with SIGINT ignored (kept across exec), so a Ctrl-C while it imports is quiet too
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                process.start()
            finally:
                signal.signal(signal.SIGINT, handler)
        child.close()
        return _Worker(process, parent)

    def _stop_worker(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError, ValueError):
            worker.conn.send(None)
        worker.process.join(timeout=2)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def _dispatch_forever(self) -> None:
        try:
            while not self._closing:
                self._dispatch_once()
        except BaseException as e:  # surfaced to callers by get()
            self._failure = e

    def _next_task(self) -> _Task | None:
        """A first attempt if one waits, else a retry: retries never hold up fresh answers."""
        with self._lock:
            if self._inbox:
                return self._inbox.popleft()
            return self._retries.popleft() if self._retries else None

    def _dispatch_once(self) -> None:
        now = time.monotonic()
        for worker in self._workers:
            if worker.ready and worker.task is None:
                task = self._next_task()
                if task is None:
                    break
                worker.conn.send(task)
                worker.task = (task, now + task.limit_s)
        deadlines = [w.task[1] for w in self._workers if w.task is not None]
        timeout = max(0.0, min(deadlines) - now) if deadlines else None
        watched: list[Any] = [self._wake_r, *(w.conn for w in self._workers)]
        ready = wait(watched, timeout=timeout)
        if self._wake_r in ready:
            while self._wake_r.poll():
                self._wake_r.recv_bytes()
        for index, worker in enumerate(self._workers):
            if worker.conn in ready:
                self._receive(index, worker)
        now = time.monotonic()
        for index, worker in enumerate(self._workers):
            if worker.task is not None and now >= worker.task[1]:
                task = worker.task[0]
                self._replace(index, worker, None if self._retry(task) else self._timed_out(task))

    def _retry(self, task: _Task) -> bool:
        """Queue the one retry of a first attempt that timed out; False when it gets none."""
        if task.retry or self.config.retry_timeout_s <= 0:
            return False
        with self._lock:
            self._retries.append(dataclasses.replace(task, limit_s=self.config.retry_timeout_s, retry=True))
        return True

    def _timed_out(self, task: _Task) -> Grade:
        limit = f"grading took over {self.config.timeout_s:g}s"
        if task.retry:
            limit += f", and over {task.limit_s:g}s on a retry"
        return Grade(False, timed_out=True, error=limit, details={"retried": task.retry})

    def _receive(self, index: int, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            self._replace(index, worker, Grade(False, error="grader worker died"))
            return
        if message == _READY:
            worker.ready = True
            return
        task_id, result = message
        assert worker.task is not None and worker.task[0].id == task_id
        task = worker.task[0]
        worker.task = None
        grade = Grade.from_json(result)
        if grade.timed_out and self._retry(task):  # Math-Verify's own limit fired: same as the deadline
            return
        if task.retry:
            grade = dataclasses.replace(grade, details={**grade.details, "retried": True})
        self._deliver(task.id, grade)

    def _replace(self, index: int, worker: _Worker, outcome: Grade | None) -> None:
        """Kill a stuck or dead worker, record its task's outcome (None: it was queued again), start a fresh one."""
        worker.process.kill()
        worker.process.join()
        worker.conn.close()
        if worker.task is not None and outcome is not None:
            self._deliver(worker.task[0].id, outcome)
        self._workers[index] = self._start_worker()

    def _deliver(self, task_id: int, result: Grade) -> None:
        with self._lock:
            key = self._keys.pop(task_id)
        self._out.put((key, result))
