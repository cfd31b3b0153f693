"""The real reasoning traces in ``../shared/data/traces/mip-overthinking`` as labelled grading items.

DeepSeek-R1, QwQ-32B and DeepSeek-R1-Distill-Qwen-32B, one output each on the same 52 MATH-500
questions (see that folder's README). Golds come from the files' ``answer`` field and are checked
against ``../shared/data/upstream/math500.jsonl`` by ``unique_id``. The hand-adjudicated labels
(ids and labels only, no benchmark text) are in ``trace_labels.json`` beside this file.

Shared by the tests and ``benchmarks/grader_agreement.py``; the traces are never copied into the project.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRACES = Path(os.environ.get("SUITE_TRACES_DIR", REPO.parent / "shared" / "data" / "traces"))
UPSTREAM = Path(os.environ.get("SUITE_UPSTREAM_DIR", REPO.parent / "shared" / "data" / "upstream"))
LABELS = Path(__file__).with_name("trace_labels.json")

SOURCES = {
    "deepseek-r1": ("math_normal_deepseekR1.json", "deepseek-reasoner (question)"),
    "qwq-32b": ("math_normal_QwQ.json", "model_answer"),
    "r1-distill-qwen-32b": ("math_normal_DSQ.json", "model_answer"),
}
"""Label source name -> (file in mip-overthinking/, field holding the model's full output)."""


@dataclass(frozen=True)
class Trace:
    """One model output with its gold answer."""

    source: str
    index: int
    unique_id: str
    response: str
    gold: str
    eval_result: str
    """The source files' own verdict (their GPT-4o judge): 1 correct, 2 wrong, 0 abstained."""


def traces_available() -> bool:
    """True when the trace files are on this machine."""
    folder = TRACES / "mip-overthinking"
    return all((folder / name).is_file() for name, _ in SOURCES.values())


def load_traces() -> list[Trace]:
    """Every trace, in (source, index) order; golds checked against the MATH-500 copy when it is present."""
    folder = TRACES / "mip-overthinking"
    # The QwQ and Distill files hold no question ids; they list the same questions in the same order.
    ids = [row["unique_id"] for row in json.loads((folder / SOURCES["deepseek-r1"][0]).read_text(encoding="utf-8"))]
    upstream: dict[str, str] = {}
    if (UPSTREAM / "math500.jsonl").is_file():
        for line in (UPSTREAM / "math500.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            upstream[row["id"]] = row["answer"]
    traces = []
    for source, (name, field) in SOURCES.items():
        rows = json.loads((folder / name).read_text(encoding="utf-8"))
        assert len(rows) == len(ids), (source, len(rows))
        for index, (row, unique_id) in enumerate(zip(rows, ids, strict=True)):
            gold = row["answer"]
            if upstream:
                assert upstream[unique_id] == gold, (source, index, gold, upstream[unique_id])
            traces.append(Trace(source, index, unique_id, row[field], gold, str(row["eval_result"])))
    return traces


def load_labels() -> dict[tuple[str, int], bool]:
    """Hand-adjudicated correctness of every trace, by (source, index)."""
    rows = json.loads(LABELS.read_text(encoding="utf-8"))
    return {(r["source"], r["index"]): bool(r["label"]) for r in rows}
