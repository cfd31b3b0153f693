"""``suite guides generate`` against a real vLLM server whose ``deepseek_r1`` reasoning parser splits the reasoning.

The model is the tiny reasoner already trained in the cache (else a random tiny Qwen3): what is asserted holds
for any weights.
"""

from __future__ import annotations

import json
from pathlib import Path

from suite.grading import grade
from suite.release import load_release
from suite.release._generated import parse_generation, parse_sample
from tests.conftest import ReasoningServer
from tests.guides.test_loopback import GENERATION_KEYS, SAMPLE_KEYS
from tests.test_cli import run_suite


def test_reasoning_comes_apart_from_the_answer(
    reasoning_server: ReasoningServer, arith_release: Path, tmp_path: Path
) -> None:
    out = tmp_path / "guide"
    command = ["guides", "generate", "tiny", "--release", str(arith_release), "--base-url", reasoning_server.url]
    command += ["--out", str(out), "--limit", "2", "--samples", "2", "--max-tokens", "600", "--concurrency", "4"]
    result = run_suite(*command)
    assert result.returncode == 0, result.stderr[-3000:]
    release = load_release(arith_release)
    asked = {q.id: q for q in release.questions[:2]}

    generation = json.loads((out / "generation.json").read_text())
    assert set(generation) >= GENERATION_KEYS
    assert generation["reasoning_field"] == "reasoning"  # vLLM's field name
    assert generation["model"] == "tiny" and generation["base_url"] == reasoning_server.url
    assert generation["sampling"] == {"temperature": 0.6, "top_p": 0.95, "top_k": None, "max_tokens": 600}
    assert generation["release"] == {"version": release.version, "manifest_sha256": release.manifest_sha256}
    parse_generation(generation, "generation.json")  # what add-guide --from-generated accepts

    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    keys = [(r["question_id"], r["sample"]) for r in rows]
    assert sorted(keys) == sorted((qid, i) for qid in asked for i in (0, 1))  # each sample exactly once
    closed = 0
    for row in rows:
        assert set(row) >= SAMPLE_KEYS
        parse_sample(row, "samples.jsonl")
        reasoning, content = row["reasoning"], row["content"]
        assert isinstance(reasoning, str)  # the parser always gives the reasoning
        assert "<think>" not in reasoning and "</think>" not in reasoning
        assert row["prompt_tokens"] > 0 and 0 < row["completion_tokens"] <= 600
        assert row["finish_reason"] in ("stop", "length")
        if content is not None:  # the model closed its thinking: the parser split there
            closed += 1
            assert reasoning.strip(), row
            assert "</think>" not in content and "<think>" not in content
            assert reasoning.strip() not in content
        question = asked[row["question_id"]]
        expected = grade(content, question.answer, question.is_multiple_answer, closer="") if content else None
        assert row["correct"] == (expected is not None and expected.correct)
        assert row["grade"]["correct"] == row["correct"]
    assert closed > 0, "the trained tiny reasoner closes its thinking within 600 tokens"
    text = " ".join(result.stdout.split())
    assert "questions: 2, samples: 4/4 (0 resumed)" in text and "completion tokens/s" in text
    saved = (out / "samples.jsonl").read_bytes()
    again = run_suite(*command)  # everything is saved: nothing is asked again, nothing is added
    assert again.returncode == 0 and "samples: 4/4 (4 resumed)" in " ".join(again.stdout.split())
    assert (out / "samples.jsonl").read_bytes() == saved
