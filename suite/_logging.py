"""Logging of a run: the console at ``--verbosity``, everything at info or more in ``run.log`` in the output folder.

Third-party libraries (transformers, huggingface_hub, torch's and others' ``warnings``) are routed
through :mod:`logging`: quiet on the console by default (errors only), shown from ``--verbosity
info``, and always written to ``run.log``. ``run.log`` is opened only once the run's sample store
exists, so a run refused at start-up never leaves a folder that the next attempt would refuse;
records from before are kept in memory and written first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

VERBOSITIES = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
"""What ``--verbosity`` takes."""
RUN_LOG = "run.log"
STORE = "store.jsonl"
"""The run's sample store: ``run.log`` appears beside it (``suite.evaluation._store.STORE``)."""
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
BUFFERED = 10_000
"""At most this many records wait for the store (the oldest are dropped)."""


class ConsoleFilter(logging.Filter):
    """Shows the suite's records from ``level``; other libraries' from error, or from ``level`` if info or less."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether the console shows ``record``."""
        ours = record.name == "suite" or record.name.startswith("suite.")
        floor = self.level if ours or self.level <= logging.INFO else max(self.level, logging.ERROR)
        return record.levelno >= floor


class RunLogHandler(logging.Handler):
    """Appends to ``out/run.log`` once ``out`` holds the sample store; keeps records in memory until then."""

    def __init__(self, out: Path, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.out = out
        self.waiting: list[logging.LogRecord] = []
        self.file: logging.FileHandler | None = None
        self.setFormatter(logging.Formatter(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record``, or keep it until the store exists."""
        if self.file is None and (self.out / STORE).is_file():
            self.file = logging.FileHandler(self.out / RUN_LOG, encoding="utf-8")
            self.file.setFormatter(self.formatter)
            for waiting in self.waiting:
                self.file.emit(waiting)
            self.waiting = []
        if self.file is not None:
            self.file.emit(record)
        else:
            self.waiting = [*self.waiting[-BUFFERED + 1 :], record]

    def close(self) -> None:
        """Close the file (records still waiting are dropped: the run never got as far as its store)."""
        if self.file is not None:
            self.file.close()
        super().close()


@contextmanager
def run_logging(console: Console, verbosity: str, out: Path) -> Iterator[None]:
    """Route every log record of the run to ``console`` (filtered by ``verbosity``) and to ``out/run.log``."""
    from huggingface_hub.utils import disable_progress_bars

    level = VERBOSITIES[verbosity]
    root = logging.getLogger()
    shown = RichHandler(console=console, show_path=False, markup=False, rich_tracebacks=False)
    shown.addFilter(ConsoleFilter(level))
    kept = RunLogHandler(out, logging.DEBUG if level == logging.DEBUG else logging.INFO)
    previous = root.level
    root.addHandler(shown)
    root.addHandler(kept)
    root.setLevel(min(level, logging.INFO))
    logging.captureWarnings(True)
    disable_progress_bars()  # the live display shows the phase instead
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(shown)
        root.removeHandler(kept)
        root.setLevel(previous)
        kept.close()


def route_transformers() -> None:
    """Send transformers' records through :mod:`logging` (it prints to stderr itself by default), its bars off.

    Called just before the model loads: importing transformers takes seconds, after the plan is shown.
    """
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        return
    transformers_logging.disable_default_handler()
    transformers_logging.enable_propagation()
    transformers_logging.disable_progress_bar()
