"""The result bundle: ``result.json`` + ``samples.jsonl.gz``, written atomically, validated from scratch."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite._files import read_json, sha256_file
from suite._schemas import first_error, validator
from suite.evaluation._metrics import compute_metrics
from suite.evaluation._samples import Outcome, Sample

RESULT, SAMPLES = "result.json", "samples.jsonl.gz"
RESULT_FORMAT = "off-trajectory-suite/result"
RESULT_FORMAT_VERSION = 1
MAX_RESULT_BYTES = 16 * 2**20
MAX_SAMPLES_BYTES = 4 * 2**30
"""Larger files are refused before anything parses them (a submission cannot exhaust the checker)."""


def write_bundle(out: Path, result: dict[str, Any], samples: Iterable[Sample]) -> Path:
    """Write ``samples.jsonl.gz`` then ``result.json`` into ``out``, each through a temporary file and a rename.

    Samples stream from ``samples`` to disk; other files in ``out`` (the sample store) are left alone.
    """
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with tempfile.NamedTemporaryFile(dir=out, prefix=f".{SAMPLES}.", delete=False) as raw:
        try:
            # mtime=0 and no file name: the same samples always give the same bytes and the same sha256.
            with gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
                for s in samples:
                    gz.write(
                        (json.dumps(s.to_json(), ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n").encode()
                    )
                    count += 1
            raw.flush()
            os.fsync(raw.fileno())
        except BaseException:
            Path(raw.name).unlink()
            raise
    os.replace(raw.name, out / SAMPLES)
    result = result | {"samples": {"file": SAMPLES, "sha256": sha256_file(out / SAMPLES), "count": count}}
    problem = first_error(validator("result"), result)
    if problem:
        raise AssertionError(f"result.json does not match its schema: {problem}")
    text = json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out, prefix=f".{RESULT}.", delete=False) as f:
        f.write(text)
    os.replace(f.name, out / RESULT)
    return out


def iter_samples(path: Path) -> Iterator[Sample]:
    """Every sample of a bundle, read as a stream."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield Sample.from_json(json.loads(line))
    except (OSError, EOFError, ValueError, TypeError) as e:
        raise SuiteError(
            f"{path} is not a readable samples file ({type(e).__name__}); re-run or re-download it."
        ) from None


def read_samples(path: Path) -> list[Sample]:
    """Every sample of a bundle, as a list."""
    return list(iter_samples(path))


def validate_bundle(directory: Path) -> dict[str, Any]:
    """Schema, hash, every steer real, and a recomputation of every metric from the samples; returns ``result.json``."""
    result, samples_path = checked_result(directory)
    check_metrics(result, samples_path, checked_steers(iter_samples(samples_path), samples_path))
    return result


def checked_steers(samples: Iterable[Sample], path: Path) -> Iterator[Sample]:
    """``samples`` as they are, refusing a steered sample whose steer is empty or whose distractor is its own question.

    A ``guide_sample`` must be the sample index of a guidability or control sample's guide trajectory.
    An empty steer would score an unsteered prompt as recoverability or guidability (PROTOCOL.md: never empty).
    """
    for line, s in enumerate(samples, 1):
        if s.test != "solo" and not s.steer_text:
            raise SuiteError(
                f"{path} line {line}: a {s.test} sample of {s.question_id} has an empty steer; "
                "such a prompt is not steered, so the bundle cannot be used."
            )
        if s.test == "recoverability" and s.distractor_question_id in (None, s.question_id):
            raise SuiteError(
                f"{path} line {line}: the recoverability sample of {s.question_id} has no distractor from "
                "another question; the bundle cannot be used."
            )
        if s.guide_sample is not None and (
            s.test not in ("guidability", "control")
            or not isinstance(s.guide_sample, int)
            or isinstance(s.guide_sample, bool)
            or s.guide_sample < 0
        ):
            raise SuiteError(
                f"{path} line {line}: a {s.test} sample of {s.question_id} names guide trajectory "
                f"{s.guide_sample!r}, which only a guidability or control sample may, as a sample index; "
                "the bundle cannot be used."
            )
        yield s


def checked_result(directory: Path) -> tuple[dict[str, Any], Path]:
    """``result.json`` checked against its schema, and the samples file it names checked against its sha256."""
    result_path = directory / RESULT
    if not result_path.is_file():
        raise SuiteError(f"{directory} is not a result bundle: it has no {RESULT}.")
    _within(result_path, MAX_RESULT_BYTES)
    result = read_json(result_path)
    version = result.get("format_version") if isinstance(result, dict) else None
    if isinstance(version, int) and version > RESULT_FORMAT_VERSION:
        raise SuiteError(f"{result_path} has result format {version}, newer than this suite reads; upgrade the suite.")
    problem = first_error(validator("result"), result)
    if problem:
        raise SuiteError(f"{result_path} does not match schemas/result.schema.json: {problem}.")
    samples_path = directory / result["samples"]["file"]
    if not samples_path.is_file():
        raise SuiteError(f"{samples_path} is missing; a bundle needs its samples.")
    _within(samples_path, MAX_SAMPLES_BYTES)
    digest = sha256_file(samples_path)
    if digest != result["samples"]["sha256"]:
        raise SuiteError(f"{samples_path} was modified: sha256 expected {result['samples']['sha256']}, found {digest}.")
    return result, samples_path


def check_metrics(result: dict[str, Any], samples_path: Path, outcomes: Iterable[Outcome]) -> None:
    """Every metric of ``result`` recomputed from ``outcomes`` (all samples of ``samples_path``, in any order)."""
    count = 0

    def counted() -> Iterator[Outcome]:
        nonlocal count
        for s in outcomes:
            count += 1
            yield s

    recomputed = compute_metrics(counted(), result["config"]["seed"], result["items"]["shared_recoverability"])
    if count != result["samples"]["count"]:
        raise SuiteError(f"{samples_path} holds {count} samples, result.json says {result['samples']['count']}.")
    mismatch = _first_difference(result["metrics"], recomputed, "metrics")
    if mismatch:
        raise SuiteError(
            f"{samples_path.parent / RESULT}: {mismatch}; the bundle's numbers do not follow from its samples."
        )


def _within(path: Path, limit: int) -> None:
    size = path.stat().st_size
    if size > limit:
        raise SuiteError(f"{path} is {size:,} bytes, over the {limit:,}-byte limit for a bundle file; it was not read.")


def _first_difference(claimed: Any, actual: Any, path: str) -> str | None:
    if isinstance(claimed, dict) and isinstance(actual, dict):
        for key in sorted(set(claimed) | set(actual)):
            if key not in actual:
                return f"{path}.{key} is reported but has no samples"
            if key not in claimed:
                return f"{path}.{key} is missing though samples exist"
            found = _first_difference(claimed[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if claimed != actual:
        return f"{path} is {claimed!r} but the samples give {actual!r}"
    return None
