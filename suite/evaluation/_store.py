"""The durable sample store: every generation and grade of a run, appended to ``store.jsonl`` as it exists.

An append-only JSON Lines file, flushed and fsynced after every batch of records:
one writer (guarded by a lock file), records written once and never rewritten, a
crash can only tear the last line, which reading drops. The first line names the
run (its configuration); resuming checks it knob by knob.

Only offsets and grades stay in memory; texts are read back from disk when needed,
so a long run's memory does not grow with its samples.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from filelock import FileLock, Timeout

from suite._errors import SuiteError
from suite.evaluation._config import EXECUTION_KNOBS
from suite.evaluation._samples import Sample
from suite.grading import Grade

STORE = "store.jsonl"
STORE_FORMAT = 1

SampleKey = tuple[str, int]
"""(request key, sample index)."""


def _line(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n").encode()


class SampleStore:
    """Open with :meth:`open`; ``add_completions``/``add_grades`` append, ``samples`` reads back in key order."""

    def __init__(self, path: Path, lock: FileLock, handle: IO[bytes]) -> None:
        self.path = path
        self._lock = lock
        self._handle = handle
        self._reader = path.open("rb")
        self.offsets: dict[SampleKey, int] = {}
        """Where each completion record starts."""
        self.grades: dict[SampleKey, Grade] = {}
        self.resumed = 0
        """Completions found on disk when the store was opened."""

    @classmethod
    def open(cls, out: Path, header: Mapping[str, Any]) -> SampleStore:
        """Create ``out/store.jsonl`` or resume it; refuses a store written by a run with another header."""
        out.mkdir(parents=True, exist_ok=True)
        path = out / STORE
        lock = FileLock(str(out / ".store.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise SuiteError(
                f"another suite eval is writing to {out}; wait for it to finish or use another --out."
            ) from None
        try:
            if not path.exists() or path.stat().st_size == 0:
                path.write_bytes(b"")
                handle = path.open("ab")
                store = cls(path, lock, handle)
                store._append([{"record": "run", "format": STORE_FORMAT, **header}])
                return store
            store = cls(path, lock, path.open("ab"))
            store._load(header)
            return store
        except BaseException:
            lock.release()
            raise

    def _load(self, header: Mapping[str, Any]) -> None:
        good = 0
        with self.path.open("rb") as f:
            for number, raw in enumerate(f, start=1):
                try:
                    record = json.loads(raw) if raw.endswith(b"\n") else None
                except ValueError:
                    record = None
                if record is None:
                    if f.read(1):  # not the last line: this is damage, not a torn write
                        raise SuiteError(
                            f"{self.path} line {number} is corrupt; move the folder away and run again from scratch."
                        )
                    break
                if number == 1:
                    _check_header(self.path, record, header)
                elif record.get("record") == "completion":
                    self.offsets.setdefault((record["key"], record["sample"]["sample"]), good)
                elif record.get("record") == "grade":
                    self.grades[(record["key"], record["index"])] = Grade.from_json(record["grade"])
                good += len(raw)
        if good < self.path.stat().st_size:  # a torn last record: cut it off before appending
            self._handle.truncate(good)
            self._handle.seek(good)
        self.resumed = len(self.offsets)

    def has(self, key: str, n: int) -> bool:
        """All ``n`` completions of request ``key`` are stored."""
        return all((key, i) in self.offsets for i in range(n))

    def add_completions(self, completions: list[tuple[str, Sample]]) -> None:
        """Append (key, sample) completions (their grades come later); the first copy of a sample wins."""
        fresh = [(k, s) for k, s in completions if (k, s.sample) not in self.offsets]
        position = self._handle.seek(0, os.SEEK_END)
        records = []
        for key, sample in fresh:
            value = sample.to_json()
            del value["grade"]
            records.append({"record": "completion", "key": key, "sample": value})
        for (key, sample), line in zip(fresh, map(_line, records), strict=True):
            self.offsets[(key, sample.sample)] = position
            position += len(line)
        self._append(records)

    def add_grades(self, grades: list[tuple[SampleKey, Grade]]) -> None:
        """Append final grades."""
        self.grades.update(grades)
        self._append(
            [{"record": "grade", "key": key, "index": index, "grade": g.to_json()} for (key, index), g in grades]
        )

    def sample(self, key: str, index: int) -> Sample:
        """One stored sample, read from disk (graded if its grade is stored, else with a blank grade)."""
        self._reader.seek(self.offsets[(key, index)])
        value = json.loads(self._reader.readline())["sample"]
        return Sample.from_json({**value, "grade": self.grades.get((key, index), Grade(False)).to_json()})

    def samples(self) -> Iterator[Sample]:
        """Every graded sample in (key, index) order: the bundle's order, whatever order the run took."""
        for key, index in sorted(self.offsets):
            if (key, index) in self.grades:
                yield self.sample(key, index)

    def _append(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        self._handle.write(b"".join(map(_line, records)))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the files and release the lock."""
        self._handle.close()
        self._reader.close()
        self._lock.release()

    def __enter__(self) -> SampleStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_header(path: Path, recorded: Mapping[str, Any], header: Mapping[str, Any]) -> None:
    if recorded.get("record") != "run" or recorded.get("format") != STORE_FORMAT:
        raise SuiteError(f"{path} is not a sample store this suite writes; use another --out.")
    differing = config_difference(recorded, header)
    if differing:
        raise SuiteError(f"{path.parent} holds a run with {differing}; use another --out or the same configuration.")


def config_difference(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> str | None:
    """The first knob (``config.seed``, ``release``...) whose value differs, described; None if none.

    Execution knobs (the servers, the grading workers) may differ: they change where work runs, not what it is.
    """
    recorded_config = recorded.get("config") or {}
    current_config = current.get("config") or {}
    for knob in sorted((set(recorded_config) | set(current_config)) - EXECUTION_KNOBS):
        if recorded_config.get(knob) != current_config.get(knob):
            return f"a different {knob} ({recorded_config.get(knob)!r}, now {current_config.get(knob)!r})"
    for part in sorted((set(recorded) | set(current)) - {"config", "record", "format"}):
        if recorded.get(part) != current.get(part):
            return f"a different {part} ({recorded.get(part)!r}, now {current.get(part)!r})"
    return None
