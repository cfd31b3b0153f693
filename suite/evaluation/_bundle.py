"""The result bundle: ``result.json`` + ``samples.jsonl.gz``, written atomically, validated from scratch."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite._files import read_json, sha256_file
from suite._schemas import first_error, validator
from suite.evaluation._metrics import compute_metrics
from suite.evaluation._samples import Sample

RESULT, SAMPLES = "result.json", "samples.jsonl.gz"
RESULT_FORMAT = "off-trajectory-suite/result"
RESULT_FORMAT_VERSION = 1


def write_bundle(out: Path, result: dict[str, Any], samples: Sequence[Sample]) -> Path:
    """Write the bundle to ``out`` (replacing what is there) via a temporary folder and a rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.writing-"))
    try:
        buffer = io.BytesIO()
        # mtime=0: the same samples always give the same bytes and the same sha256.
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
            for s in samples:
                gz.write((json.dumps(s.to_json(), ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n").encode())
        (tmp / SAMPLES).write_bytes(buffer.getvalue())
        result = result | {"samples": {"file": SAMPLES, "sha256": sha256_file(tmp / SAMPLES), "count": len(samples)}}
        problem = first_error(validator("result"), result)
        if problem:
            raise AssertionError(f"result.json does not match its schema: {problem}")
        (tmp / RESULT).write_text(json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def read_samples(path: Path) -> list[Sample]:
    """Every sample of a bundle."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [Sample.from_json(json.loads(line)) for line in f if line.strip()]
    except (OSError, EOFError, ValueError, TypeError) as e:
        raise SuiteError(
            f"{path} is not a readable samples file ({type(e).__name__}); re-run or re-download it."
        ) from None


def validate_bundle(directory: Path) -> dict[str, Any]:
    """Schema, hash and a recomputation of every metric from the samples; returns ``result.json``."""
    result_path = directory / RESULT
    if not result_path.is_file():
        raise SuiteError(f"{directory} is not a result bundle: it has no {RESULT}.")
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
    digest = sha256_file(samples_path)
    if digest != result["samples"]["sha256"]:
        raise SuiteError(f"{samples_path} was modified: sha256 expected {result['samples']['sha256']}, found {digest}.")
    samples = read_samples(samples_path)
    if len(samples) != result["samples"]["count"]:
        raise SuiteError(f"{samples_path} holds {len(samples)} samples, result.json says {result['samples']['count']}.")
    recomputed = compute_metrics(samples, result["config"]["seed"], result["items"]["shared_recoverability"])
    mismatch = _first_difference(result["metrics"], recomputed, "metrics")
    if mismatch:
        raise SuiteError(f"{result_path}: {mismatch}; the bundle's numbers do not follow from its samples.")
    return result


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
