"""The live display of ``suite eval``: one bar per test, tokens/s over a recent window, queues, ETA where known.

The runner reports graded samples (``Progress``); a thin wrapper around the backend sees every
request handed to the engine and every completion, so each of Table 1's tests gets its own count;
the hf backend also reports each generated token step (``HFBackend.on_step``), so tokens/s moves
while a batch is still generating. An ETA is shown only where the total is known: the solo pass
(exact from the start); the other tests' totals are upper bounds the solo outcomes decide.
``RunProgress`` is the state (pure, on an injected clock); ``LiveProgress`` draws it with rich.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from suite.backends._base import Backend, Blocking, Completion, Request, SamplingConfig
from suite.evaluation._plan import TESTS, PlannedTest

Clock = Callable[[], float]

log = logging.getLogger("suite.progress")

WINDOW_S = 10.0
"""Tokens/s is measured over this many recent seconds: model loading and old batches do not linger in it."""
BAR_WIDTH = 28
LOG_EVERY_S = 30.0
"""A progress line goes to the log (``run.log``) this often."""


def table_column(key: str) -> str:
    """The test of Table 1 a request key belongs to: ``recoverability/shared/q/0.2`` -> ``recoverability_shared``."""
    head, _, rest = key.partition("/")
    if head in ("solo", "control"):
        return head
    subset = rest.partition("/")[0]
    return f"{head}_{subset}" if f"{head}_{subset}" in TESTS else head


class TokenRate:
    """Tokens per second over the last ``window`` seconds (pure)."""

    def __init__(self, window: float = WINDOW_S) -> None:
        self.window = window
        self.events: deque[tuple[float, int]] = deque()
        self.first: float | None = None

    def add(self, now: float, tokens: int) -> None:
        """``tokens`` generated at ``now``."""
        if self.first is None:
            self.first = now
        self.events.append((now, tokens))
        while self.events and self.events[0][0] < now - self.window:
            self.events.popleft()

    def per_second(self, now: float) -> float | None:
        """The recent rate, or None before any token; spans shorter than the window count as they are."""
        if self.first is None:
            return None
        span = min(self.window, now - self.first)
        recent = sum(n for t, n in self.events if t >= now - self.window)
        return recent / span if span > 0 else None


class GenerationCount:
    """Generations of one test: planned (exact or a bound), handed to the engine, generated."""

    def __init__(self, planned: PlannedTest) -> None:
        self.name = planned.name
        self.runs = planned.runs
        self.reason = planned.reason
        self.planned = planned.generations
        self.exact = planned.exact
        self.submitted = 0
        self.generated = 0
        self.started: float | None = None

    def eta(self, now: float) -> float | None:
        """Seconds left at the pace since this test's first generation; None unless the total is exact."""
        if not self.exact or not self.planned or not self.generated or self.started is None:
            return None
        return max(0.0, (self.planned - self.generated) * (now - self.started) / self.generated)


class RunProgress:
    """What the live display shows, updated by the runner, the backend wrapper and the hf token steps (pure)."""

    def __init__(self, clock: Clock = time.monotonic, window: float = WINDOW_S) -> None:
        self.clock = clock
        self.began = clock()
        self.phase = "planning"
        self.tests: dict[str, GenerationCount] = {}
        self.rate = TokenRate(window)
        self.stepped = False
        """Whether the backend reports token steps (then the runner's token totals are not counted twice)."""
        self.graded = self.known = self.tokens = self.in_engine = 0
        self.updates = 0
        """How many times the state changed (the benchmark counts them)."""

    def plan(self, plan: Sequence[PlannedTest]) -> None:
        """One counter per test of the plan."""
        self.tests = {p.name: GenerationCount(p) for p in plan}
        self.phase = "fetching and loading the model"
        self.updates += 1

    def submitted(self, requests: Sequence[Request]) -> None:
        """Requests handed to the engine."""
        now = self.clock()
        self.phase = "generating"
        for r in requests:
            count = self._count(r.key)
            count.submitted += r.n
            count.started = now if count.started is None else count.started
        self.updates += 1

    def generated(self, completions: Sequence[Completion]) -> None:
        """Completions back from the engine."""
        for c in completions:
            self._count(c.key).generated += 1
        self.updates += 1

    def step(self, tokens: int) -> None:
        """One generated token step of ``tokens`` tokens (hf)."""
        self.stepped = True
        self.rate.add(self.clock(), tokens)
        self.updates += 1

    def report(self, graded: int, known: int, tokens: int, in_engine: int) -> None:
        """The runner's totals: samples graded and known, tokens of finished generations, requests in the engine."""
        if not self.stepped and tokens > self.tokens:
            self.rate.add(self.clock(), tokens - self.tokens)
        self.graded, self.known, self.tokens, self.in_engine = graded, known, tokens, in_engine
        self.updates += 1

    @property
    def grading_queue(self) -> int:
        """Samples generated and not graded yet: known, less graded, less those still in the engine."""
        in_engine = sum(max(0, t.submitted - t.generated) for t in self.tests.values())
        return max(0, self.known - self.graded - in_engine)

    def _count(self, key: str) -> GenerationCount:
        name = table_column(key)
        if name not in self.tests:
            self.tests[name] = GenerationCount(PlannedTest(name, True, None, None, None, False))
        return self.tests[name]

    def line(self) -> str:
        """One plain line of the state (for the log)."""
        now = self.clock()
        parts = [f"{t.name} {t.generated}/{_total(t)}" for t in self.tests.values() if t.runs]
        rate = self.rate.per_second(now)
        tok = "-" if rate is None else f"{rate:.0f}"
        return (
            f"progress: {', '.join(parts)} generations; graded {self.graded}/{self.known}; "
            f"{tok} tok/s; {_clock(now - self.began)} elapsed"
        )


def render(state: RunProgress) -> RenderableType:
    """The display: a row per test (bar, generations done/planned, ETA), then rates, queues and time."""
    now = state.clock()
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("test")
    table.add_column("", width=BAR_WIDTH)
    table.add_column("generations", justify="right")
    table.add_column("ETA", justify="right")
    for t in state.tests.values():
        if not t.runs:
            table.add_row(Text(t.name, style="dim"), Text("not run", style="dim"), "", "")
            continue
        table.add_row(t.name, _bar(t), f"{t.generated}/{_total(t)}", _eta(t, now))
    rate = state.rate.per_second(now)
    status = Text.assemble(
        (f"{state.phase}", "bold"),
        f"  {'-' if rate is None else f'{rate:,.0f}'} tok/s (last {state.rate.window:g} s)",
        f"  graded {state.graded}/{state.known}",
        f"  grading queue {state.grading_queue}",
        f"  in engine {state.in_engine} requests",
        f"  {_clock(now - state.began)} elapsed",
    )
    return Group(table, status)


def _bar(t: GenerationCount) -> RenderableType:
    """A bar against an exact total; against a bound only a pulse while the test has work in the engine."""
    if t.exact and t.planned:
        return ProgressBar(total=t.planned, completed=t.generated, width=BAR_WIDTH)
    if t.submitted > t.generated:
        return ProgressBar(total=None, width=BAR_WIDTH, pulse=True)
    return Text("")


def _eta(t: GenerationCount, now: float) -> str:
    if t.exact and t.planned and t.generated >= t.planned:
        return "done"
    eta = t.eta(now)
    return "-" if eta is None else _clock(eta)


def _total(t: GenerationCount) -> str:
    if t.planned is None:
        return "?"
    return str(t.planned) if t.exact else f"≤{t.planned}"


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class LiveProgress:
    """The rich live display of one run, and the callbacks that feed it (thread-safe: rich redraws in a thread)."""

    def __init__(self, console: Console, clock: Clock = time.monotonic, refresh_per_second: float = 4) -> None:
        self.state = RunProgress(clock)
        self.console = console
        self._lock = threading.RLock()
        self._live = Live(
            console=console, get_renderable=self._render, refresh_per_second=refresh_per_second, transient=False
        )
        self._logged = clock()
        self._started = False

    def _render(self) -> RenderableType:
        with self._lock:
            return render(self.state)

    def start(self, plan: Sequence[PlannedTest]) -> None:
        """Show the live display from now on (after the plan panel is printed)."""
        with self._lock:
            self.state.plan(plan)
        if not self._started:
            self._started = True
            self._live.start()

    def stop(self) -> None:
        """Draw the last state and stop redrawing."""
        if self._started:
            self._started = False
            self._live.stop()
            if not self.console.is_terminal:  # rich ends the last drawing without a newline there
                self.console.line()
            log.info(self.state.line())

    def step(self, tokens: int) -> None:
        """Take the hf backend's report of one generated token step."""
        with self._lock:
            self.state.step(tokens)

    def submitted(self, requests: Sequence[Request]) -> None:
        """Requests handed to the engine."""
        with self._lock:
            self.state.submitted(requests)

    def generated(self, completions: Sequence[Completion]) -> None:
        """Completions back from the engine."""
        with self._lock:
            self.state.generated(completions)

    def report(self, graded: int, known: int, tokens: int, in_engine: int) -> None:
        """The runner's ``Progress`` callback."""
        with self._lock:
            self.state.report(graded, known, tokens, in_engine)
            if self.state.clock() - self._logged >= LOG_EVERY_S:
                self._logged = self.state.clock()
                log.info(self.state.line())

    def watch(self, backend: Backend) -> Backend:
        """``backend`` with every request and completion counted per test (and hf's token steps reported)."""
        if hasattr(backend, "on_step"):
            backend.on_step = self.step
        with self._lock:
            self.state.phase = "generating"
        return WatchedBackend(backend, self)


class WatchedBackend(Blocking):
    """A backend that tells a :class:`LiveProgress` what it is handed and what it returns; otherwise the same."""

    def __init__(self, inner: Backend, live: LiveProgress) -> None:
        self.inner, self.live = inner, live
        self.name = inner.name
        self.context_length = inner.context_length
        self.background = inner.background
        self.window = inner.window

    def submit(self, requests: Sequence[Request], sampling: SamplingConfig) -> None:
        """Count, then hand on."""
        self.live.submitted(requests)
        self.inner.submit(requests, sampling)

    @property
    def busy(self) -> int:
        """The engine's."""
        return self.inner.busy

    def collect(self) -> list[Completion]:
        """Hand on, then count."""
        completions = self.inner.collect()
        self.live.generated(completions)
        return completions

    def versions(self) -> dict[str, str]:
        """The engine's."""
        return self.inner.versions()

    def close(self) -> None:
        """The engine's."""
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
