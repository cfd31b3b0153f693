"""Distractors through the real runner: the cross-model ablation and the paper-text protocol.

The engine is a stand-in (these tests check what the harness splices, not what a model writes);
the other model's trajectories are the real hf run of the tiny reasoner (``hf_bundle``).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from transformers import AutoTokenizer

from suite._errors import SuiteError
from suite.evaluation import EvalConfig
from suite.evaluation._config import protocol_defaults
from suite.evaluation._distractors import load_distractors
from suite.evaluation._run import run_protocol
from suite.evaluation._store import SampleStore
from suite.release import load_release
from suite.steering import PAPER_TEXT_TRANSITION, cut_tokens, cut_units
from tests.evaluation.test_schedule import THINKING, FakeBackend


class FourUnitBackend(FakeBackend):
    """Writes four units, as the tiny reasoner does, so its originals set the length rule to four units."""

    def completion(self, qid: str) -> str:
        thinking = "\n\n".join(f"Part {k}: " + " ".join(["step"] * 30) + "." for k in range(4))
        return "thinking" if qid == self.fast_question else f"{thinking}\n</think> \\boxed{{{self.golds[qid]}}}"


def _run(
    release_dir: Path,
    tokenizer_dir: Path,
    out: Path,
    config: EvalConfig,
    bundles: tuple[str, ...] = (),
    engine: type[FakeBackend] = FakeBackend,
) -> list[Any]:
    release = load_release(release_dir)
    questions = list(release.questions)
    backend = engine({q.id: q.answer for q in questions}, 2.0, questions[5].id)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    foreign = load_distractors(bundles, release, config.model, {q.id: q.answer for q in questions}, config.seed)
    with SampleStore.open(out, {"config": config.to_json()}) as store:
        outcome = run_protocol(
            config, release, questions, tokenizer, backend, "tiny", store, lambda *a: None, backend.clock, foreign
        )
        assert outcome.thinking["format"] == "think"
        return list(store.samples())


def _solo_thinking(bundle: Path) -> dict[tuple[str, int], str]:
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f]
    return {
        (r["question_id"], r["sample"]): r["completion"].split("</think>", 1)[0].strip("\n")
        for r in rows
        if r["test"] == "solo" and r["grade"]["correct"]
    }


def test_cross_model_distractors_come_from_the_other_models_bundle(
    hf_bundle: Path, arith_release: Path, tiny_model: Any, tmp_path: Path
) -> None:
    other = json.loads((hf_bundle / "result.json").read_text())["model"]["id"]
    config = EvalConfig(
        model="tiny",
        grading_workers=1,
        tests=("solo", "recoverability"),
        individual_subset_size=6,
        distractor_fraction=0.4,  # the tiny reasoner writes four units: int(4 * 0.4) = 1
    )
    samples = _run(arith_release, tiny_model("qwen3"), tmp_path / "run", config, (str(hf_bundle),), FourUnitBackend)
    theirs = _solo_thinking(hf_bundle)
    recov = [s for s in samples if s.test == "recoverability"]
    assert recov, "the tiny reasoner solved questions: its trajectories must serve as distractors"
    for s in recov:
        assert s.distractor_model == other and s.distractor_question_id != s.question_id
        source = theirs[(s.distractor_question_id, s.distractor_sample)]  # a correct trajectory of the other model
        assert s.steer_text and source.startswith(s.steer_text) and s.steer_text not in THINKING


def test_distractor_bundles_of_another_release_or_of_m_are_refused(
    hf_bundle: Path, arith_release: Path, tmp_path: Path
) -> None:
    release = load_release(arith_release)
    model = json.loads((hf_bundle / "result.json").read_text())["model"]["id"]
    golds = {q.id: q.answer for q in release.questions}
    with pytest.raises(SuiteError, match="which is M or another bundle's model"):
        load_distractors([str(hf_bundle)], release, model, golds, 0)
    with pytest.raises(SuiteError, match="which is M or another bundle's model"):
        load_distractors([str(hf_bundle), str(hf_bundle)], release, "someone-else", golds, 0)
    moved = Path(shutil.copytree(hf_bundle, tmp_path / "other-release"))
    result = json.loads((moved / "result.json").read_text())
    result["release"]["manifest_sha256"] = "0" * 64
    (moved / "result.json").write_text(json.dumps(result))
    with pytest.raises(SuiteError, match="pass bundles of the same release"):
        load_distractors([str(moved)], release, "someone-else", golds, 0)


def test_paper_text_protocol_cuts_at_sentence_ends_with_the_papers_phrase(
    arith_release: Path, tiny_model: Any, tmp_path: Path
) -> None:
    defaults = protocol_defaults("paper-text")
    config = EvalConfig(model="tiny", grading_workers=1, individual_subset_size=6, protocol="paper-text", **defaults)
    samples = _run(arith_release, tiny_model("qwen3"), tmp_path / "run", config)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))

    def length(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    recov = [s for s in samples if s.test == "recoverability"]
    assert {s.position for s in recov} == {0.0, 0.2, 0.4, 0.6, 0.8}
    for s in recov:
        assert s.steer_own == cut_tokens(THINKING, s.position, length)  # every solved trajectory is THINKING
        assert s.steer_transition == (PAPER_TEXT_TRANSITION if s.position else "")
        assert s.steer_text == cut_tokens(THINKING, 0.2, length) and s.steer_text
    guided = [s for s in samples if s.test in ("guidability", "control")]
    assert guided and all(s.steer_text for s in guided)


def test_the_distractor_ablation_runs_positions_up_to_sixty_percent() -> None:
    assert protocol_defaults("paper", 0.4)["positions"] == (0.0, 0.2, 0.4, 0.6)
    assert protocol_defaults("paper", 0.2)["positions"] == (0.0, 0.2, 0.4, 0.6, 0.8)
    assert protocol_defaults("paper")["transition"] == "\nLet me think."
    assert protocol_defaults("paper-text")["distractor_percentiles"] is None


class HarmonyBackend(FakeBackend):
    """Writes as gpt-oss does: analysis channel, ``<|end|>``, then the final channel (special tokens kept)."""

    def completion(self, qid: str) -> str:
        if qid == self.fast_question:
            return "thinking that never ends"
        final = f"<|start|>assistant<|channel|>final<|message|>The answer is \\boxed{{{self.golds[qid]}}}.<|return|>"
        return f"{THINKING}<|end|>{final}"


def test_a_harmony_model_is_prefilled_split_and_graded_in_its_own_format(arith_release: Path, tmp_path: Path) -> None:
    from suite.tiny._templates import MODEL_TOKENS
    from suite.tiny._tokenizer import build_chat_tokenizer

    template = Path(__file__).resolve().parents[3] / "shared" / "data" / "templates" / "openai__gpt-oss-20b.jinja"
    tokenizer = build_chat_tokenizer([THINKING] * 4, template.read_text(encoding="utf-8"), MODEL_TOKENS["harmony"])
    release = load_release(arith_release)
    questions = list(release.questions)
    backend = HarmonyBackend({q.id: q.answer for q in questions}, 2.0, questions[5].id)
    config = EvalConfig(model="tiny", grading_workers=1, tests=("solo", "recoverability"), individual_subset_size=6)
    with SampleStore.open(tmp_path / "run", {"config": config.to_json()}) as store:
        outcome = run_protocol(
            config, release, questions, tokenizer, backend, "gpt-oss", store, lambda *a: None, backend.clock
        )
        samples = list(store.samples())
    assert outcome.thinking["format"] == "harmony" and outcome.thinking["special_markers"]
    solo = [s for s in samples if s.test == "solo"]
    assert all(s.grade.correct == (s.question_id != questions[5].id) for s in solo)
    assert all(s.grade.truncated for s in solo if s.question_id == questions[5].id)
    assert all(s.grade.answer == next(q.answer for q in questions if q.id == s.question_id) for s in solo if s.correct)
    recov = [s for s in samples if s.test == "recoverability"]
    assert recov and all(s.steer_own == cut_units(THINKING, s.position or 0) for s in recov)
    assert all("<|" not in (s.steer_text or "") and s.steer_text for s in recov)
