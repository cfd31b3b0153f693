"""The durable output folder of a guide generation: ``generation.json`` and an append-only ``samples.jsonl``.

As the runner's sample store (``suite/evaluation/_store.py``) does: one writer, guarded by a lock file;
every sample appended, flushed and fsynced as it is graded, never rewritten; a crash can only tear the
last line, which reopening cuts off. The folder appears only with its first sample (a temporary folder
renamed into place), so a run that fails before any sample leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from filelock import FileLock, Timeout

from suite._errors import SuiteError
from suite._files import dump_jsonl_line
from suite.guides._records import GENERATION, SAMPLES, Generation, GuideSample, Plan, not_a_record, plan_difference

LOCK = ".generate.lock"

SampleKey = tuple[str, int]
"""(question id, sample index)."""


class GuideFolder:
    """Open with :meth:`open`; ``add`` writes a sample durably, creating the folder with the first one."""

    def __init__(self, out: Path, plan: Plan) -> None:
        self.out = out
        self.plan = plan
        self.generation: Generation | None = None
        """The folder's record; None until the first sample creates the folder."""
        self.stored: dict[SampleKey, GuideSample] = {}
        """Samples on disk when the folder was opened."""
        self._lock: FileLock | None = None
        self._handle: IO[bytes] | None = None

    @classmethod
    def open(cls, out: Path, plan: Plan) -> GuideFolder:
        """Resume ``out`` if it holds a generation with this plan; refuse any other content; write nothing yet."""
        folder = cls(out, plan)
        if out.exists() and not out.is_dir():
            raise SuiteError(f"--out {out} is a file; pass a folder for the guide samples.")
        if not out.exists() or not any(out.iterdir()):
            return folder
        if not (out / GENERATION).is_file():
            raise SuiteError(f"--out {out} is not empty and holds no {GENERATION}; choose another folder.")
        folder._acquire()
        try:
            folder._load()
        except BaseException:
            folder.close()
            raise
        return folder

    def _acquire(self) -> None:
        lock = FileLock(str(self.out / LOCK))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise SuiteError(
                f"another suite guides generate is writing to {self.out}; wait for it to finish or use another --out."
            ) from None
        self._lock = lock

    def _load(self) -> None:
        path = self.out / GENERATION
        try:
            self.generation = Generation.from_json(json.loads(path.read_bytes()))
        except ValueError as e:  # also bad JSON and bad UTF-8
            raise not_a_record(path, str(e)) from None
        differing = plan_difference(self.generation.plan, self.plan)
        if differing:
            raise SuiteError(
                f"{self.out} holds a guide generation with a different {differing}; "
                "use another --out or the same arguments."
            )
        samples = self.out / SAMPLES
        if not samples.is_file():
            raise not_a_record(samples, "it is missing")
        good = 0
        wanted = set(self.plan.question_ids)
        with samples.open("rb") as f:
            for number, raw in enumerate(f, start=1):
                try:
                    sample = GuideSample.from_json(json.loads(raw)) if raw.endswith(b"\n") else None
                except ValueError as e:
                    if f.read(1):  # not the last line: damage, not a torn write
                        raise not_a_record(f"{samples} line {number}", str(e)) from None
                    sample = None
                if sample is None:
                    break
                key = (sample.question_id, sample.sample)
                if key in self.stored or sample.question_id not in wanted or not 0 <= sample.sample < self.plan.samples:
                    raise not_a_record(f"{samples} line {number}", f"sample {key} is repeated or not in the plan")
                self.stored[key] = sample
                good += len(raw)
        self._handle = samples.open("ab")
        if good < samples.stat().st_size:  # a torn last line: cut it off before appending
            self._handle.truncate(good)
            self._handle.seek(good)
            _sync(self._handle)

    def add(self, sample: GuideSample, generation: Generation) -> None:
        """Append one sample (flushed, fsynced); the first one creates the folder with ``generation``."""
        line = dump_jsonl_line(sample.to_json()).encode()
        if self._handle is None:
            self._create(generation, line)
            return
        self._handle.write(line)
        _sync(self._handle)

    def _create(self, generation: Generation, first: bytes) -> None:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.out.parent, prefix=f".{self.out.name}.creating-"))
        try:
            record = json.dumps(generation.to_json(), ensure_ascii=False, indent=2) + "\n"
            for name, data in ((GENERATION, record.encode()), (SAMPLES, first)):
                with (tmp / name).open("wb") as f:
                    f.write(data)
                    _sync(f)
            try:
                os.rename(tmp, self.out)  # replaces an empty folder; fails on a non-empty one
            except OSError:
                raise SuiteError(f"--out {self.out} was filled by someone else meanwhile; use another --out.") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _sync_dir(self.out.parent)
        self.generation = generation
        self._acquire()
        self._handle = (self.out / SAMPLES).open("ab")

    def close(self) -> None:
        """Close the file and release the lock."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> GuideFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sync(handle: IO[bytes]) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
