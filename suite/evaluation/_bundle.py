"""The result bundle: ``result.json`` + ``samples.jsonl.gz``, written atomically, validated from scratch."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite._files import read_text, sha256_file
from suite._schemas import first_error, validator
from suite.evaluation._metrics import compute_metrics
from suite.evaluation._samples import Outcome, Sample

RESULT, SAMPLES = "result.json", "samples.jsonl.gz"
RESULT_FORMAT = "off-trajectory-suite/result"
RESULT_FORMAT_VERSION = 1
MAX_RESULT_BYTES = 16 * 2**20
MAX_SAMPLES_BYTES = 4 * 2**30
"""Larger files are refused before anything parses them (a submission cannot exhaust the checker)."""
MAX_UNPACKED_BYTES = 32 * 2**30
"""Decompressed bytes of ``samples.jsonl.gz`` read at most (a small gzip can hold a huge file)."""
MAX_LINE_BYTES = 8 * 2**20
"""Bytes of one line of ``samples.jsonl.gz`` at most (32K tokens of text are well under 1 MiB)."""
MAX_INTEGER = 2**53
"""Integers beyond this (in absolute value) are refused: no field of a bundle needs one."""


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
            _readable(raw.fileno())
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
        _readable(f.fileno())
    os.replace(f.name, out / RESULT)
    return out


def _readable(fd: int) -> None:
    """Give a temporary file (created 0600) the mode a plain ``open`` would: 0666 less the umask (usually 0644)."""
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)


def strict_json(text: str | bytes, where: str) -> Any:
    """Parse strict JSON; errors name ``where``.

    Refused, though Python's parser lets them through: NaN, Infinity, numbers out of range (``1e999``),
    duplicate keys, lone surrogates and nesting too deep to walk.

    ``suite validate`` and the leaderboard build read every bundle file through this one function.
    """
    try:
        value = json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            object_pairs_hook=_unique_keys,
        )
        _no_lone_surrogates(value)
    except RecursionError:
        raise SuiteError(f"{where} is nested too deeply to be JSON a bundle holds; regenerate it.") from None
    except ValueError as e:  # JSONDecodeError is a ValueError
        why = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
        raise SuiteError(f"{where} is not strict JSON ({why}); regenerate it with the suite.") from None
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 20 or abs(int(text)) > MAX_INTEGER:
        raise ValueError(f"the integer {text[:40]} is out of range")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"the key {twice[:40]!r} appears twice in one object")
    return found


def _no_lone_surrogates(value: Any) -> None:
    """Refuse a string (value or key) that is not Unicode text: a surrogate escape with no partner."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("a string holds a lone surrogate, which is not Unicode text") from None
        elif isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def iter_samples(path: Path) -> Iterator[Sample]:
    """Every sample of a bundle, read as a stream through ``strict_json``, within the size limits."""
    try:
        with gzip.open(path, "rb") as f:
            unpacked = 0
            for number, line in enumerate(iter(lambda: f.readline(MAX_LINE_BYTES + 1), b""), 1):
                unpacked += len(line)
                if len(line) > MAX_LINE_BYTES:
                    raise SuiteError(
                        f"{path} line {number} is over {MAX_LINE_BYTES:,} bytes, the limit for one sample; "
                        "it was not read."
                    )
                if unpacked > MAX_UNPACKED_BYTES:
                    raise SuiteError(
                        f"{path} unpacks to over {MAX_UNPACKED_BYTES:,} bytes, the limit for a samples file; "
                        "it was not read further."
                    )
                if line.strip():
                    row = strict_json(line.decode("utf-8"), f"{path} line {number}")
                    problem = sample_problem(row)
                    if problem:
                        raise SuiteError(f"{path} line {number}: {problem}; the bundle cannot be used.")
                    yield Sample.from_json(row)
    except (OSError, EOFError, UnicodeDecodeError, ValueError, TypeError, KeyError) as e:
        raise SuiteError(
            f"{path} is not a readable samples file ({type(e).__name__}); re-run or re-download it."
        ) from None


_TEXT = ("question_id", "benchmark", "prompt_sha256", "completion", "finish_reason")
_COUNTS = ("sample", "seed", "prompt_tokens", "completion_tokens")
_OPTIONAL_TEXT = (
    "subset",
    "guide",
    "distractor_question_id",
    "distractor_model",
    "steer_own",
    "steer_transition",
    "problem",
    "answer",
)
_OPTIONAL_COUNTS = ("guide_sample", "distractor_sample", "own_sample")
TESTS = ("solo", "recoverability", "guidability", "control")


def sample_problem(row: Any) -> str | None:
    """What is wrong with the shape of one parsed line of ``samples.jsonl.gz``, or None (types only)."""
    if not isinstance(row, dict):
        return "the line is not a JSON object (one sample)"
    if row.get("test") not in TESTS:
        return f"test {str(row.get('test'))[:40]!r} is not one of {', '.join(TESTS)}"
    grade = row.get("grade")
    if not isinstance(grade, dict) or not isinstance(grade.get("correct"), bool):
        return "the sample has no true/false grade"
    wrong = (
        [k for k in _TEXT if not isinstance(row.get(k), str)]
        + [k for k in _COUNTS if isinstance(row.get(k), bool) or not isinstance(row.get(k), int)]
        + [k for k in (*_OPTIONAL_TEXT, "steer_text") if row.get(k) is not None and not isinstance(row[k], str)]
        + [
            k
            for k in _OPTIONAL_COUNTS
            if row.get(k) is not None and (isinstance(row[k], bool) or not isinstance(row[k], int))
        ]
        + [k for k in ("steer_contains_answer",) if row.get(k) is not None and not isinstance(row[k], bool)]
    )
    if wrong:
        return f"{wrong[0]} is missing or of the wrong type"
    return None


def read_samples(path: Path) -> list[Sample]:
    """Every sample of a bundle, as a list."""
    return list(iter_samples(path))


def validate_bundle(directory: Path) -> dict[str, Any]:
    """Schema, hash, every steer real, and a recomputation of every metric from the samples; returns ``result.json``.

    What needs no release. ``suite validate`` then re-derives the bundle from its release
    (``suite.evaluation._rederive``: grades, generations, items, steers, counts).
    """
    result, samples_path = checked_result(directory)
    check_samples(result, samples_path)
    return result


def check_samples(result: dict[str, Any], samples_path: Path) -> None:
    """Every sample strictly read and checked, every metric recomputed, every steer's own part really the run's own.

    ``suite validate`` and the leaderboard build both check samples with this function.
    """
    parts = OwnParts()
    check_metrics(result, samples_path, parts.claimed(checked_steers(iter_samples(samples_path), samples_path)))
    parts.check(iter_samples(samples_path), samples_path)


class OwnParts:
    """What steered samples say they took from the run's own solo samples, checked against those samples.

    A recoverability sample's ``steer_own`` is a prefix of its own solo sample's completion, and, when
    the distractor is the model's own (no ``distractor_model``), its ``steer_text`` is a prefix of that
    solo sample's completion. Only a length and a sha256 are kept per claim, so memory stays small.
    """

    def __init__(self) -> None:
        self.claims: dict[tuple[str, int], list[tuple[int, str, str]]] = {}
        """(question id, solo sample) -> (prefix length, prefix sha256, what claims it)."""

    def claimed(self, samples: Iterable[Sample]) -> Iterator[Sample]:
        """``samples`` as they are, remembering each claim."""
        for line, s in enumerate(samples, 1):
            if s.test == "recoverability":
                if s.own_sample is not None and s.steer_own:
                    self._claim(s.question_id, s.own_sample, s.steer_own, f"line {line}'s own part")
                if s.distractor_model is None and s.distractor_sample is not None and s.distractor_question_id:
                    self._claim(
                        s.distractor_question_id, s.distractor_sample, s.steer_text or "", f"line {line}'s steer"
                    )
            yield s

    def _claim(self, question_id: str, sample: int, prefix: str, what: str) -> None:
        digest = hashlib.sha256(prefix.encode("utf-8")).hexdigest()
        self.claims.setdefault((question_id, sample), []).append((len(prefix), digest, what))

    def check(self, samples: Iterable[Sample], path: Path) -> None:
        """Refuse a claim whose solo sample is missing or does not start with the claimed text."""
        if not self.claims:
            return
        left = dict(self.claims)
        for s in samples:
            found = left.pop((s.question_id, s.sample), None) if s.test == "solo" else None
            for length, digest, what in found or ():
                if hashlib.sha256(s.completion[:length].encode("utf-8")).hexdigest() != digest:
                    raise SuiteError(
                        f"{path}: {what} is not a prefix of solo sample {s.sample} of {s.question_id[:80]}, "
                        "the run's own generation it names; the bundle cannot be used."
                    )
        if left:
            (question_id, sample), claims = next(iter(left.items()))
            raise SuiteError(
                f"{path}: {claims[0][2]} names solo sample {sample} of {question_id[:80]}, which the bundle "
                "does not hold; the bundle cannot be used."
            )


def checked_steers(samples: Iterable[Sample], path: Path) -> Iterator[Sample]:
    """``samples`` as they are, refusing a steered sample whose steer is empty or whose distractor is its own question.

    A ``guide_sample`` must be the sample index of a guidability or control sample's guide trajectory.
    An empty steer would score an unsteered prompt as recoverability or guidability (PROTOCOL.md: never empty).
    """
    for line, s in enumerate(samples, 1):
        for name in ("position", "fraction"):
            value = getattr(s, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1
            ):
                raise SuiteError(
                    f"{path} line {line}: a {s.test} sample of {str(s.question_id)[:80]} has {name} {str(value)[:40]}, "
                    "not a number from 0 to 1; the bundle cannot be used."
                )
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
    _no_links(directory)
    _within(result_path, MAX_RESULT_BYTES)
    result = strict_json(read_text(result_path), str(result_path))
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


def _no_links(directory: Path) -> None:
    """Refuse a bundle that is, or holds, a symbolic link (a link could read files from anywhere)."""
    links = [p.name for p in directory.iterdir() if p.is_symlink()] + (
        [directory.name] if directory.is_symlink() else []
    )
    if links:
        raise SuiteError(
            f"{directory} holds a symbolic link ({links[0][:80]}); copy the real files into the bundle folder."
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
