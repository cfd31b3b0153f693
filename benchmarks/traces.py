"""Read the real reasoning traces in ``../shared/data/traces/mip-overthinking`` (MIT; see its README).

52 MATH-500 questions, one output each of DeepSeek-R1, QwQ-32B and DeepSeek-R1-Distill-Qwen-32B,
every output holding ``</think>``. Benchmarks read them from there; nothing is copied.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

TRACES = Path(os.environ.get("SUITE_TRACES_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "traces"))
FILES = {
    "DeepSeek-R1": ("math_normal_deepseekR1.json", "deepseek-reasoner (question)"),
    "QwQ-32B": ("math_normal_QwQ.json", "model_answer"),
    "R1-Distill-Qwen-32B": ("math_normal_DSQ.json", "model_answer"),
}


@dataclass(frozen=True)
class Trace:
    """One model output on one question."""

    model: str
    index: int
    """Position in the source file (the three files share their order)."""
    question_id: str
    gold: str
    output: str
    """The whole output: thinking, ``</think>``, answer."""
    source_label: bool
    """The source's own grade (their GPT-4o judge): informative only, never trusted."""

    @property
    def thinking(self) -> str:
        """The text before ``</think>``."""
        return self.output.split("</think>", 1)[0].strip("\n")


def load_traces(folder: Path = TRACES) -> list[Trace]:
    """Every trace of the three models; the question ids come from the R1 file (same order in all)."""
    base = folder / "mip-overthinking"
    if not base.is_dir():
        raise SystemExit(f"traces not found at {base}; set SUITE_TRACES_DIR to shared/data/traces")
    r1 = json.loads((base / FILES["DeepSeek-R1"][0]).read_text(encoding="utf-8"))
    ids = [row["unique_id"] for row in r1]
    traces = []
    for model, (name, field) in FILES.items():
        rows = json.loads((base / name).read_text(encoding="utf-8"))
        for i, row in enumerate(rows):
            traces.append(Trace(model, i, ids[i], row["answer"], row[field], row["eval_result"] == "1"))
    return traces
