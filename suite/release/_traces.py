"""Public files of real reasoning traces as guide trajectories: their layouts, question ids and provenance (pure).

The layouts read are those of tianyi-lab/MiP-Overthinking (``response/<set>/<model>/response.json``):

- ``api-column``: a JSON list of objects with ``unique_id`` (MATH-500's), ``question``, ``answer`` (the gold) and one
  ``<api model> (question)`` column holding the model's whole output, reasoning + ``</think>`` + answer, with no
  opening ``<think>`` (DeepSeek-R1 through the ``deepseek-reasoner`` API);
- ``model-answer``: a JSON list of objects with ``model_answer`` (the whole output) and ``answer``; no ids and no
  question text (QwQ-32B, R1-Distill-Qwen-32B). Their rows are the same questions, in the same order, as another
  file of the same folder that has ids (the ``api-column`` file): :func:`companion_ids` finds it by checking that
  every row's gold answer is the same string, row by row.

A file's own correctness labels (``eval_result``) are never read: the suite grades every trace itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from suite._errors import SuiteError
from suite.grading import normalise
from suite.release._records import Question
from suite.steering import format_named

THINK_START = "<think>"
MATH500 = "math500"
"""Benchmark whose release ids the traces' ``unique_id`` names (``math500/<unique_id>``)."""
_API_COLUMN = re.compile(r"^(?P<model>\S.*) \(question\)$")

KNOWN_MODELS: dict[tuple[str, str], str] = {
    ("tianyi-lab/MiP-Overthinking", "deepseekR1"): "deepseek-ai/DeepSeek-R1",
    ("tianyi-lab/MiP-Overthinking", "QwQ"): "Qwen/QwQ-32B",
    ("tianyi-lab/MiP-Overthinking", "DSQ"): "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
}
"""(repository, the file's folder in it) -> the model that wrote the traces; others need ``--model``."""


@dataclass(frozen=True)
class Trace:
    """One row of a trace file: one model output for one question."""

    row: int
    """0-based index of the row in the file."""
    unique_id: str | None
    """The question's MATH-500 ``unique_id`` (None until a companion file supplies it)."""
    gold: str
    """The file's own gold answer for the question."""
    question: str | None
    """The question text, where the file gives it."""
    output: str
    """The model's whole output: reasoning, ``</think>``, answer."""


@dataclass(frozen=True)
class TraceFile:
    """A parsed trace file."""

    layout: str
    """``api-column`` or ``model-answer`` (see the module docstring)."""
    traces: tuple[Trace, ...]


@dataclass(frozen=True)
class Matched:
    """A trace and the release question it answers, or why it matches none."""

    trace: Trace
    question: Question | None
    reason: str = ""
    """Why no question matched ("" when one did)."""


@dataclass(frozen=True)
class Provenance:
    """Where a copied trace file comes from, as its folder's ``SOURCE.txt`` says."""

    repository: str
    """``owner/name`` on GitHub."""
    commit: str
    """Full commit sha."""
    paths: tuple[str, ...]
    """Every file path the line names (braces expanded)."""

    def path_of(self, local_name: str) -> str | None:
        """The repository path a local copy called ``local_name`` was taken from (its name flattens that path).

        ``math_normal_QwQ.json`` is ``response/math/normal/QwQ/response.json``: the local stem's ``_``-separated
        parts appear in order among the path's parts. None unless exactly one path fits.
        """
        local = PurePosixPath(local_name)
        tokens = local.stem.split("_")
        fits = [p for p in self.paths if PurePosixPath(p).suffix == local.suffix and _in_order(tokens, _parts(p))]
        return fits[0] if len(fits) == 1 else None

    def url(self, path: str) -> str:
        """Download address of ``path`` at the pinned commit."""
        return f"https://raw.githubusercontent.com/{self.repository}/{self.commit}/{path}"

    def model(self, path: str) -> str | None:
        """The model known to have written the file at ``path`` (by its folder), if any."""
        return KNOWN_MODELS.get((self.repository, PurePosixPath(path).parent.name))


def parse_traces(value: Any, where: str) -> TraceFile:
    """The traces of a parsed JSON file; SuiteError naming the layouts read when ``value`` is none of them."""
    expected = "a JSON list of objects with unique_id, answer and '<model> (question)', or with answer and model_answer"
    if not isinstance(value, list) or not value or not all(isinstance(row, dict) for row in value):
        raise SuiteError(f"{where} is not a trace layout this suite reads ({expected}); check the file.")
    first = value[0]
    columns = [k for k in first if _API_COLUMN.match(k)]
    if len(columns) == 1 and "unique_id" in first:
        layout, output, id_key, question_key = "api-column", columns[0], "unique_id", "question"
    elif "model_answer" in first:
        layout, output, id_key, question_key = "model-answer", "model_answer", "unique_id", "question"
    else:
        raise SuiteError(f"{where} is not a trace layout this suite reads ({expected}); check the file.")
    traces = []
    for index, row in enumerate(value):
        text, gold = row.get(output), row.get("answer")
        uid, question = row.get(id_key), row.get(question_key)
        if (
            not isinstance(text, str)
            or not isinstance(gold, str)
            or not gold.strip()
            or (layout == "api-column" and not isinstance(uid, str))
            or not isinstance(uid, str | None)
            or not isinstance(question, str | None)
        ):
            raise SuiteError(
                f"{where} row {index} lacks a text {output!r} or 'answer' (or has a non-text id) unlike the "
                f"{layout} rows before it; the file is damaged or not one layout: check it."
            )
        traces.append(Trace(index, uid, gold, question, text))
    return TraceFile(layout, tuple(traces))


def needs_ids(traces: TraceFile) -> bool:
    """The file names no question ids of its own (they come from a companion file)."""
    return any(t.unique_id is None for t in traces.traces)


def companion_ids(traces: TraceFile, candidate: Any) -> tuple[str, ...] | None:
    """The ids of ``traces``' rows from a parsed ``candidate`` file listing the same golds in the same order.

    None unless ``candidate`` is a list of as many objects, each with a text ``unique_id`` and an ``answer``
    equal, as a string, to the trace file's answer of the same row.
    """
    if not isinstance(candidate, list) or len(candidate) != len(traces.traces):
        return None
    ids = []
    for trace, row in zip(traces.traces, candidate, strict=True):
        if not isinstance(row, dict) or not isinstance(row.get("unique_id"), str) or row.get("answer") != trace.gold:
            return None
        ids.append(row["unique_id"])
    return tuple(ids) if len(set(ids)) == len(ids) else None


def with_ids(traces: TraceFile, ids: Sequence[str]) -> TraceFile:
    """``traces`` with each row's ``unique_id`` set from ``ids`` (aligned by row)."""
    return replace(traces, traces=tuple(replace(t, unique_id=i) for t, i in zip(traces.traces, ids, strict=True)))


def match_traces(traces: TraceFile, questions: Mapping[str, Question], benchmark: str = MATH500) -> list[Matched]:
    """Each trace with its release question (``<benchmark>/<unique_id>``), checked by gold answer and question text."""
    out = []
    for t in traces.traces:
        q = questions.get(f"{benchmark}/{t.unique_id}")
        if q is None:
            out.append(Matched(t, None, f"its unique_id names no {benchmark} question of the release"))
        elif normalise(q.answer) != normalise(t.gold):
            out.append(Matched(t, None, "its gold answer differs from the release's"))
        elif t.question is not None and " ".join(t.question.split()) != " ".join(q.problem.split()):
            out.append(Matched(t, None, "its question text differs from the release's"))
        else:
            out.append(Matched(t, q))
    return out


def split_output(output: str) -> tuple[str, str] | None:
    """(thinking, answer region) of a trace; None when it has no closed, non-empty thinking block.

    An opening ``<think>`` (which some files keep and others drop) is not part of the thinking.
    """
    text = output.lstrip()
    if text.startswith(THINK_START):
        text = text[len(THINK_START) :]
    thinking, answer = format_named("think").split(text, "stop")
    thinking = thinking.lstrip("\n")
    if answer is None or not thinking.strip() or THINK_START in thinking:
        return None
    return thinking, answer


def parse_source(text: str, where: str) -> Provenance:
    """The first line of a ``SOURCE.txt``: ``github.com/OWNER/REPO@COMMIT: path, dir/{a,b}/file.json, ...``."""
    line = next((raw.strip() for raw in text.splitlines() if raw.strip()), "")
    found = re.fullmatch(r"(?:https://)?github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@([0-9a-f]{40}):\s*(.+)", line)
    if found is None:
        raise SuiteError(
            f"{where} does not name the traces' origin as 'github.com/OWNER/REPO@<40-hex commit>: path, ...'; "
            "write that line so the guide set can cite its source."
        )
    paths = tuple(p for part in _split_paths(found.group(3)) for p in _expand(part))
    return Provenance(found.group(1), found.group(2), paths)


def _split_paths(listing: str) -> list[str]:
    """Comma-separated paths, where commas inside ``{...}`` belong to the path."""
    parts, depth, current = [], 0, ""
    for ch in listing:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return [p for p in parts if p]


def _expand(path: str) -> list[str]:
    """``a/{b,c}/d`` -> ``a/b/d``, ``a/c/d`` (one level of braces at a time, recursively)."""
    found = re.search(r"\{([^{}]*)\}", path)
    if found is None:
        return [path]
    head, tail = path[: found.start()], path[found.end() :]
    return [p for option in found.group(1).split(",") for p in _expand(head + option.strip() + tail)]


def _parts(path: str) -> list[str]:
    p = PurePosixPath(path)
    return [*p.parent.parts, p.stem]


def _in_order(tokens: Sequence[str], parts: Sequence[str]) -> bool:
    remaining = iter(parts)
    return all(any(token == part for part in remaining) for token in tokens)
