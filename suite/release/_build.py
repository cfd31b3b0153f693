"""Build a release directory from benchmark sources, atomically."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from suite import __version__
from suite._errors import SuiteError
from suite._files import dump_jsonl_line, iter_jsonl, read_text
from suite._schemas import first_error, validator
from suite.release._benchmarks import BENCHMARKS, PAPER_POOL
from suite.release._manifest import describe_files, write_manifest
from suite.release._records import FORMAT, FORMAT_VERSION, SHARED_SUBSETS, GuideTrajectory, Question, Subset
from suite.release._sources import SourceRows, read_hub, read_mirror, read_pinned

RELEASE_VERSION = "1.0.0"
"""Version of the release this suite builds by default (the paper's math pool)."""
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_BENCHMARK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def build_release(
    source: str,
    out: Path,
    benchmarks: Sequence[str] = PAPER_POOL,
    version: str = RELEASE_VERSION,
    force: bool = False,
    subsets: Mapping[str, Path] | None = None,
    guides: Mapping[str, Path] | None = None,
) -> Path:
    """Read ``benchmarks`` from ``source`` ("hf", "pinned" or a mirror folder) and write a release to ``out``.

    Nothing is left at ``out`` unless the whole release was written and verifies.
    """
    if not _SEMVER.match(version):
        raise SuiteError(f"release version {version!r} is not semantic (MAJOR.MINOR.PATCH); pass e.g. --version 1.0.0.")
    if len(set(benchmarks)) != len(benchmarks) or not benchmarks:
        raise SuiteError("--benchmarks must name at least one benchmark, each once.")
    for name in benchmarks:
        if not _BENCHMARK_NAME.match(name):
            raise SuiteError(
                f"benchmark name {name!r} must be lower-case letters, digits, '_' or '-'; rename its file."
            )
    if out.exists() and not force:
        raise SuiteError(f"{out} already exists; choose another --out or pass --force to replace it.")
    if source == "hf":
        read = [read_hub(name) for name in benchmarks]
    elif source == "pinned":
        read = [read_pinned(name) for name in benchmarks]
    else:
        directory = Path(source)
        if not directory.is_dir():
            raise SuiteError(
                f"source folder {directory} does not exist; pass --source hf or a mirror folder, or --source pinned."
            )
        read = [read_mirror(directory, name) for name in benchmarks]
    questions = collect_questions(read)
    known_ids = {q.id for q in questions}
    subset_records = [_read_subset(name, (subsets or {}).get(name), known_ids) for name in _subset_names(subsets)]
    guide_records = {name: _read_guide(name, path, known_ids) for name, path in (guides or {}).items()}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "release_version": version,
        "created": _created(),
        "suite_version": __version__,
        "benchmarks": [
            {
                "name": r.benchmark,
                "title": BENCHMARKS[r.benchmark].title if r.benchmark in BENCHMARKS else r.benchmark,
                "count": len(r.rows),
                "provenance": r.provenance,
            }
            for r in read
        ],
        "subsets": [s.name for s in subset_records],
        "guides": [],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        write_jsonl(tmp / "questions.jsonl", [q.to_json() for q in questions])
        (tmp / "subsets").mkdir()
        for subset in subset_records:
            _write_json(tmp / "subsets" / f"{subset.name}.json", subset.to_json())
        for name, trajectories in guide_records.items():
            rel = f"steers/guides/{name}.jsonl"
            (tmp / "steers" / "guides").mkdir(parents=True, exist_ok=True)
            write_jsonl(tmp / rel, [t.to_json() for t in trajectories])
            manifest["guides"].append(
                {
                    "name": name,
                    "model": trajectories[0].guide_model,
                    "revision": trajectories[0].guide_revision,
                    "file": rel,
                }
            )
        manifest["files"] = describe_files(tmp)
        write_manifest(tmp, manifest)
        from suite.release._verify import verify_release

        verify_release(tmp)
        _move_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def collect_questions(sources: Sequence[SourceRows]) -> list[Question]:
    """Check and convert every source row; errors name the row and the fix."""
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for source in sources:
        expected = BENCHMARKS[source.benchmark].count if source.benchmark in BENCHMARKS else None
        if expected is not None and len(source.rows) != expected:
            raise SuiteError(
                f"benchmark {source.benchmark} has {len(source.rows)} rows in its source, expected {expected}; "
                "the source file is incomplete or not this benchmark."
            )
        for where, fields in source.rows:
            for key in ("problem", "answer"):
                value = fields.get(key)
                if not isinstance(value, str) or not value.strip():
                    raise SuiteError(f"{where} has an empty or non-text {key}; fix the row or remove it.")
            native = str(fields["id"]).strip()
            if not native:
                raise SuiteError(f"{where} has an empty id; give every row a unique id.")
            if native.startswith(source.benchmark + "-"):
                native = native[len(source.benchmark) + 1 :]
            qid = f"{source.benchmark}/{native}"
            if qid in seen:
                raise SuiteError(f"{where} repeats the id {qid!r} of {seen[qid]}; ids must be unique.")
            seen[qid] = where
            questions.append(
                Question(
                    id=qid,
                    benchmark=source.benchmark,
                    problem=fields["problem"],
                    answer=fields["answer"].strip(),
                    answer_type=fields.get("answer_type"),
                    is_multiple_answer=bool(fields.get("is_multiple_answer", False)),
                    unit=fields.get("unit") or None,
                    source=str(fields.get("_source") or where),
                    metadata={k: v for k, v in fields.get("metadata", {}).items() if v is not None},
                )
            )
    return questions


def _subset_names(subsets: Mapping[str, Path] | None) -> list[str]:
    extra = [name for name in (subsets or {}) if name not in SHARED_SUBSETS]
    return [*SHARED_SUBSETS, *extra]


def _read_subset(name: str, path: Path | None, known_ids: set[str]) -> Subset:
    if not _NAME.match(name):
        raise SuiteError(f"subset name {name!r} must be lower-case letters, digits, '.', '_' or '-'.")
    ids: list[str] = []
    if path is not None:
        for number, line in enumerate(read_text(path).splitlines(), start=1):
            qid = line.strip()
            if not qid or qid.startswith("#"):
                continue
            if qid not in known_ids:
                raise SuiteError(f"{path} line {number}: {qid!r} is not a question of this release; fix the id.")
            if qid in ids:
                raise SuiteError(f"{path} line {number} repeats {qid!r}; list each id once.")
            ids.append(qid)
    description = SHARED_SUBSETS.get(name, f"Frozen subset {name}.")
    return Subset(name, description, tuple(ids))


def _read_guide(name: str, path: Path, known_ids: set[str]) -> list[GuideTrajectory]:
    if not _NAME.match(name):
        raise SuiteError(f"guide name {name!r} must be lower-case letters, digits, '.', '_' or '-'.")
    trajectories = []
    for number, row in iter_jsonl(path):
        problem = first_error(validator("release", "guideTrajectory"), row)
        if problem:
            raise SuiteError(f"{path} line {number} is not a guide trajectory ({problem}); fix the row.")
        if row["question_id"] not in known_ids:
            raise SuiteError(f"{path} line {number}: question {row['question_id']!r} is not in this release.")
        trajectories.append(GuideTrajectory(**row))
    if not trajectories:
        raise SuiteError(f"guide file {path} holds no trajectories; a guide steer set needs at least one.")
    models = {(t.guide_model, t.guide_revision) for t in trajectories}
    if len(models) != 1:
        raise SuiteError(f"guide file {path} mixes several guide models; use one file per guide model.")
    return trajectories


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.writelines(dump_jsonl_line(row) for row in rows)
        f.flush()
        os.fsync(f.fileno())


def _write_json(path: Path, value: dict[str, Any]) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _created() -> str:
    """Build time in UTC; ``SOURCE_DATE_EPOCH`` makes builds byte-reproducible."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _move_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished release to ``out``; an old one (``--force``) is swapped out, then deleted."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.replaced-{os.getpid()}")
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old) if old.is_dir() else old.unlink()
