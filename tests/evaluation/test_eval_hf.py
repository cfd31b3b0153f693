"""``suite eval`` end to end with the hf backend on the tiny trained reasoner, then ``suite validate``."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from suite.steering import cut_units
from tests.conftest import HF_RUN
from tests.test_cli import run_suite


@pytest.fixture
def bundle(hf_bundle: Path) -> Path:
    return hf_bundle


def _samples(bundle: Path) -> list[dict[str, Any]]:
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in f]


def test_bundle_validates_and_every_cell_comes_from_real_generations(bundle: Path, arith_release: Path) -> None:
    check = run_suite("validate", str(bundle), "--release", str(arith_release))
    assert check.returncode == 0, check.stderr
    result = json.loads((bundle / "result.json").read_text())
    metrics = result["metrics"]
    assert metrics["solo"]["macro"]["n"] == 16 and metrics["solo"]["macro"]["generations"] == 128
    assert result["config"]["protocol"] == "paper" and result["thinking"]["format"] == "think"
    assert result["config"]["distractor_percentiles"] == [80.0, 90.0] and result["config"]["distractor_fraction"] == 0.2
    assert result["config"]["positions"] == [0.0, 0.2, 0.4, 0.6, 0.8]  # the paper's default, on ten-unit trajectories
    for subset in ("individual", "shared"):
        cells = metrics["recoverability"][subset]["per_position"]
        assert set(cells) <= {"0", "0.2", "0.4", "0.6", "0.8"}
        solve_rates = metrics["recoverability"][subset]["per_solve_rate"]
        assert sum(c["n"] for c in solve_rates.values()) == metrics["recoverability"][subset]["mean"]["n"]
    assert metrics["recoverability"]["shared"]["coverage"]["total"] == 5
    for group in ("individual", "control"):
        guid = metrics["guidability"][group]
        assert set(guid["per_fraction"]) <= {"0.2", "0.4", "0.6", "0.8"}
        assert set(guid["answer_in_steer_per_fraction"]) == set(guid["per_fraction"])
    samples = _samples(bundle)
    assert len(samples) == result["samples"]["count"]
    assert all(len(s["prompt_sha256"]) == 64 and s["finish_reason"] in ("stop", "length") for s in samples)
    assert result["model"]["kind"] == "local" and result["model"]["revision"].startswith("sha256:")
    assert result["backend"]["name"] == "hf" and "torch" in result["backend"]["versions"]
    # The engine ran M at its own context length (config.json's max_position_embeddings): the standard measurement.
    assert result["backend"]["context_length"] == result["model"]["context_length"] == 2048
    assert result["config"]["seed"] == 0 and result["grading"]["judge"] is None
    assert result["timing"]["generate_s"] > 0 and result["timing"]["completion_tokens"] > 0


def test_every_steer_is_a_real_cut_never_empty(bundle: Path, arith_release: Path) -> None:
    """Steers follow from the run's own samples by the scripts' rule, whatever the weights generated."""
    samples = _samples(bundle)
    solo = {(s["question_id"], s["sample"]): s for s in samples if s["test"] == "solo"}
    thinking = {k: s["completion"].split("</think>", 1)[0].strip("\n") for k, s in solo.items()}
    recov = [s for s in samples if s["test"] == "recoverability"]
    assert recov, "the tiny reasoner solves some arithmetic: recoverability must have run"
    items = {sub: {s["question_id"] for s in recov if s["subset"] == sub} for sub in ("individual", "shared")}
    shared_ids = set(json.loads((arith_release / "subsets" / "recoverability_shared.json").read_text())["ids"])
    draws = set()
    for s in recov:
        own = thinking[(s["question_id"], s["own_sample"])]
        assert solo[(s["question_id"], s["own_sample"])]["grade"]["correct"]
        assert s["steer_own"] == cut_units(own, s["position"])  # M's own prefix: int(units * m) units
        assert s["steer_transition"] == ("\nLet me think." if s["steer_own"] else "")
        distractor = thinking[(s["distractor_question_id"], s["distractor_sample"])]
        assert solo[(s["distractor_question_id"], s["distractor_sample"])]["grade"]["correct"]
        assert s["steer_text"] and distractor.startswith(s["steer_text"])  # never empty, an exact prefix
        assert distractor[len(s["steer_text"]) :][:1] in ("", "\n")  # ends on a unit boundary
        assert s["distractor_question_id"] != s["question_id"]
        excluded = shared_ids if s["subset"] == "shared" else items["individual"]
        assert s["distractor_question_id"] not in excluded  # never a test item of the subset
        draws.add((s["question_id"], s["distractor_question_id"]))
    if len({d for _, d in draws}) > 2:  # with a pool to draw from, positions draw apart, not once per item
        assert len(draws) > len({s["question_id"] for s in recov})
    guided = [s for s in samples if s["test"] in ("guidability", "control")]
    assert guided and all(s["steer_text"] and not s["steer_own"] and not s["steer_transition"] for s in guided)
    assert all(isinstance(s["steer_contains_answer"], bool) for s in guided)


def test_same_seed_same_samples(bundle: Path, arith_release: Path, tiny_reasoner: Path, tmp_path: Path) -> None:
    again = run_suite(
        "eval",
        str(tiny_reasoner),
        "--release",
        str(arith_release),
        "--out",
        str(tmp_path / "again"),
        *HF_RUN,
        "--tests",
        "solo",
    )
    assert again.returncode == 0, again.stderr[-2000:]
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        first = [json.loads(line) for line in f if '"test": "solo"' in line]
    with gzip.open(tmp_path / "again" / "samples.jsonl.gz", "rt") as f:
        second = [json.loads(line) for line in f]
    assert first == second


def _flip_first_solo_grade(bundle: Path) -> None:
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f]
    first_solo = next(r for r in rows if r["test"] == "solo")
    first_solo["grade"]["correct"] = not first_solo["grade"]["correct"]
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode(), mtime=0)
    (bundle / "samples.jsonl.gz").write_bytes(data)
    result = json.loads((bundle / "result.json").read_text())
    result["samples"]["sha256"] = hashlib.sha256(data).hexdigest()
    (bundle / "result.json").write_text(json.dumps(result))


def test_validate_catches_tampering(bundle: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(bundle, tmp_path / "copy"))
    result = json.loads((copy / "result.json").read_text())
    result["metrics"]["solo"]["macro"]["value"] = 0.99
    (copy / "result.json").write_text(json.dumps(result))
    check = run_suite("validate", str(copy))
    assert check.returncode == 2 and "metrics.solo.macro.value is 0.99 but the samples give" in check.stderr

    copy = Path(shutil.copytree(bundle, tmp_path / "copy2"))
    (copy / "samples.jsonl.gz").write_bytes((copy / "samples.jsonl.gz").read_bytes()[:-10])
    check = run_suite("validate", str(copy))
    assert check.returncode == 2 and "samples.jsonl.gz was modified" in check.stderr

    copy = Path(shutil.copytree(bundle, tmp_path / "copy3"))
    _flip_first_solo_grade(copy)
    check = run_suite("validate", str(copy))
    # one solo grade moves Pass@1 and the question's solve-rate bucket: whichever metric is checked first names it
    assert check.returncode == 2 and ": metrics." in check.stderr and "do not follow from its samples" in check.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--positions", "0,1.5"], "--positions (0.0, 1.5) must be distinct fractions within [0, 1]"),
        (["--guide-fractions", "0,0.5"], "--guide-fractions"),
        (["--tests", "recoverability"], "solo is always needed"),
        (["--judge-url", "http://127.0.0.1:9/v1"], "--judge-url and --judge-model go together"),
    ],
)
def test_bad_knobs_are_one_sentence(
    arith_release: Path, tiny_reasoner: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_suite("eval", str(tiny_reasoner), "--release", str(arith_release), "--out", str(tmp_path / "b"), *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "b").exists()


def test_unknown_model_and_bad_release(arith_release: Path, tmp_path: Path) -> None:
    result = run_suite(
        "eval", "no-such-org/no-such-model", "--release", str(arith_release), "--out", str(tmp_path / "b")
    )
    assert result.returncode == 2 and "no-such-org/no-such-model" in result.stderr and "Traceback" not in result.stderr
    result = run_suite("eval", "x", "--release", str(tmp_path / "missing"), "--out", str(tmp_path / "b"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_out_holding_another_configuration_is_refused(bundle: Path, arith_release: Path, tiny_reasoner: Path) -> None:
    result = run_suite(
        "eval", str(tiny_reasoner), "--release", str(arith_release), "--out", str(bundle), *HF_RUN, "--seed", "7"
    )
    assert result.returncode == 2 and "different seed" in result.stderr


def test_add_guide_makes_a_new_release_version(bundle: Path, arith_release: Path, tmp_path: Path) -> None:
    out = tmp_path / "with-guide"
    result = run_suite("release", "add-guide", str(arith_release), str(bundle), "--name", "tiny", "--out", str(out))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["release_version"] == "1.1.0"
    assert [g["name"] for g in manifest["guides"]] == ["oracle", "tiny"]
    rows = [json.loads(line) for line in (out / "steers" / "guides" / "tiny.jsonl").read_text().splitlines()]
    assert rows and all(r["correct"] and "</think>" not in r["thinking"] for r in rows)
    assert run_suite("release", "verify", str(out)).returncode == 0
    again = run_suite("release", "add-guide", str(out), str(bundle), "--name", "tiny2", "--out", str(tmp_path / "x"))
    # The bundle ran on the release `out` derives from: the same questions, so it serves `out` too.
    assert again.returncode == 0, again.stderr
    lineage = json.loads((tmp_path / "x" / "manifest.json").read_text())["derived_from"]
    assert [d["version"] for d in lineage] == ["1.0.0", "1.1.0"]


def test_limit_runs_the_shared_subset_questions_it_keeps(
    arith_release: Path, tiny_reasoner: Path, tmp_path: Path
) -> None:
    """With --limit, the shared recoverability subset is the part of it among the evaluated questions."""
    out = tmp_path / "limited"
    result = run_suite(
        "eval", str(tiny_reasoner), "--release", str(arith_release), "--out", str(out), "--limit", "4", *HF_RUN
    )
    assert result.returncode == 0, result.stderr[-2000:]
    shared = set(json.loads((arith_release / "subsets" / "recoverability_shared.json").read_text())["ids"])
    with gzip.open(out / "samples.jsonl.gz", "rt") as f:
        evaluated = {json.loads(line)["question_id"] for line in f}
    kept = len(shared & evaluated)
    assert 0 < kept < len(shared), "the fixture release must put some shared questions beyond --limit 4"
    bundle = json.loads((out / "result.json").read_text())
    assert bundle["items"]["shared_recoverability"] == kept
    if "shared" in bundle["metrics"].get("recoverability", {}):
        assert bundle["metrics"]["recoverability"]["shared"]["coverage"]["total"] == kept
    assert run_suite("validate", str(out), "--release", str(arith_release)).returncode == 0


def test_the_paper_text_protocol_runs_end_to_end(arith_release: Path, tiny_reasoner: Path, tmp_path: Path) -> None:
    from suite.steering import PAPER_TEXT_TRANSITION

    out = tmp_path / "paper-text"
    run = run_suite(
        "eval", str(tiny_reasoner), "--release", str(arith_release), "--out", str(out), "--protocol", "paper-text",
        "--tests", "solo,recoverability", "--max-tokens", "320", "--individual-subset-size", "4",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    samples = _samples(out)
    thinking = {
        (s["question_id"], s["sample"]): s["completion"].split("</think>")[0] for s in samples if s["test"] == "solo"
    }
    recov = [s for s in samples if s["test"] == "recoverability"]
    assert recov and {s["position"] for s in recov} == {0.0, 0.2, 0.4, 0.6, 0.8}
    for s in recov:
        assert s["steer_text"] and s["distractor_question_id"] != s["question_id"]  # never empty, never its own
        assert s["steer_transition"] == (PAPER_TEXT_TRANSITION if s["position"] else "")
        own = thinking[(s["question_id"], s["own_sample"])]
        assert own.removeprefix("<think>\n").startswith(s["steer_own"].removeprefix("<think>\n"))
        assert s["steer_own"] == "" or s["steer_own"].rstrip()[-1] in ".!?"  # cut at a sentence end
    assert json.loads((out / "result.json").read_text())["config"]["protocol"] == "paper-text"
