"""A streaming pool of killable grading workers.

Math-Verify can hang inside sympy where no signal reaches it, so every answer
is graded in a worker process with a hard deadline: a worker past it is killed
and replaced, the answer is recorded as ``timed_out``, and other answers keep
flowing through the remaining workers. Callers submit answers as generations
finish and collect grades as they complete.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import queue
import threading
import time
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from suite.grading._grade import Grade, GradingConfig, NeedsMathVerify, math_verify_grade, quick_grade

_READY = "ready"


def _worker_main(conn: Connection, config: GradingConfig) -> None:
    """Worker loop: grade tasks until told to stop; imports are paid once, before 'ready'."""
    import math_verify  # noqa: F401  (warm the import before taking work)

    conn.send(_READY)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the pool's process is gone: nothing left to do
            return
        if task is None:
            return
        task_id, gold, pending, multiple = task
        try:
            result = math_verify_grade(gold, pending, multiple, config)
        except Exception as e:  # a grading bug must cost one answer, never the run
            result = Grade(False, error=f"grading failed: {type(e).__name__}: {e}"[:500])
        conn.send((task_id, result.to_json()))


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    ready: bool = False
    task: tuple[int, float] | None = None
    """(task id, deadline) while busy."""


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
        self._inbox: deque[tuple[int, str, NeedsMathVerify, bool]] = deque()
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

    def submit(self, key: Hashable, response: object, gold: str, multiple: bool = False) -> None:
        """Queue one answer; what needs no Math-Verify (exact matches, bad input) is graded at once.

        Only the extracted answers and the answer region travel to a worker, so a
        10 MB response costs no more than a short one.
        """
        with self._lock:
            if self._closing:
                raise RuntimeError("the grader pool is closed")
            self._submitted += 1
        first = quick_grade(response, gold, multiple)
        if isinstance(first, Grade):
            self._out.put((key, first))
            return
        task_id = next(self._ids)
        with self._lock:
            self._keys[task_id] = key
            self._inbox.append((task_id, gold, first, multiple))
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

    def grade_all(self, items: Iterable[tuple[object, str, bool]]) -> list[Grade]:
        """Grade ``(response, gold, multiple)`` triples and return grades in input order."""
        count = 0
        for index, (response, gold, multiple) in enumerate(items):
            self.submit(index, response, gold, multiple)
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
        process.start()
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

    def _dispatch_once(self) -> None:
        now = time.monotonic()
        for worker in self._workers:
            if worker.ready and worker.task is None:
                with self._lock:
                    task = self._inbox.popleft() if self._inbox else None
                if task is None:
                    break
                worker.conn.send(task)
                worker.task = (task[0], now + self.config.timeout_s)
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
                self._replace(
                    index, worker, Grade(False, timed_out=True, error=f"grading took over {self.config.timeout_s:g}s")
                )

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
        worker.task = None
        self._deliver(task_id, Grade.from_json(result))

    def _replace(self, index: int, worker: _Worker, outcome: Grade) -> None:
        """Kill a stuck or dead worker, record its task's outcome, start a fresh worker."""
        worker.process.kill()
        worker.process.join()
        worker.conn.close()
        if worker.task is not None:
            self._deliver(worker.task[0], outcome)
        self._workers[index] = self._start_worker()

    def _deliver(self, task_id: int, result: Grade) -> None:
        with self._lock:
            key = self._keys.pop(task_id)
        self._out.put((key, result))
