"""``suite eval`` end to end with the hf backend on the tiny trained reasoner, then ``suite validate``."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import HF_RUN
from tests.test_cli import run_suite


@pytest.fixture
def bundle(hf_bundle: Path) -> Path:
    return hf_bundle


def test_bundle_validates_and_every_cell_comes_from_real_generations(bundle: Path) -> None:
    check = run_suite("validate", str(bundle))
    assert check.returncode == 0, check.stderr
    result = json.loads((bundle / "result.json").read_text())
    metrics = result["metrics"]
    assert metrics["solo"]["macro"]["n"] == 16 and metrics["solo"]["macro"]["generations"] == 128
    for subset in ("individual", "shared"):
        cells = metrics["recoverability"][subset]["per_position"]
        assert list(cells) == ["0", "0.2", "0.4", "0.6", "0.8"]
        assert all(c["n"] > 0 and c["value"] is not None for c in cells.values())
    assert metrics["recoverability"]["shared"]["coverage"]["total"] == 5
    for group in ("individual", "control"):
        guid = metrics["guidability"][group]
        assert list(guid["per_fraction"]) == ["0.2", "0.4", "0.6", "0.8"] and guid["per_guide"]["oracle"]["n"] > 0
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        samples = [json.loads(line) for line in f]
    assert len(samples) == result["samples"]["count"]
    recov = [s for s in samples if s["test"] == "recoverability"]
    assert all(s["steer_own"] + s["steer_transition"] + s["steer_text"] is not None for s in recov)
    # The transition phrase stands exactly where there is an own prefix to follow.
    assert all(s["steer_transition"] == ("\n\nWait. Let me think.\n\n" if s["steer_own"] else "") for s in recov)
    assert any(s["steer_own"] for s in recov)
    assert all(s["steer_own"] == "" and s["steer_transition"] == "" for s in recov if s["position"] == 0)
    assert all(len(s["prompt_sha256"]) == 64 and s["finish_reason"] in ("stop", "length") for s in samples)
    assert result["model"]["kind"] == "local" and result["model"]["revision"].startswith("sha256:")
    assert result["backend"]["name"] == "hf" and "torch" in result["backend"]["versions"]
    assert result["config"]["seed"] == 0 and result["grading"]["judge"] is None
    assert result["timing"]["generate_s"] > 0 and result["timing"]["completion_tokens"] > 0


def test_same_seed_same_samples(bundle: Path, arith_release: Path, tiny_reasoner: Path, tmp_path: Path) -> None:
    again = run_suite(
        "eval",
        str(tiny_reasoner),
        "--release",
        str(arith_release),
        "--out",
        str(tmp_path / "again"),
        "--max-tokens",
        "400",
        "--tests",
        "solo",
    )
    assert again.returncode == 0, again.stderr[-2000:]
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        first = [json.loads(line) for line in f if '"test": "solo"' in line]
    with gzip.open(tmp_path / "again" / "samples.jsonl.gz", "rt") as f:
        second = [json.loads(line) for line in f]
    assert first == second


def _rewrite_samples(bundle: Path, change: dict[str, object]) -> None:
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f]
    first_solo = next(r for r in rows if r["test"] == "solo")
    first_solo["grade"].update(change)
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
    flipped = not json.loads(gzip.decompress((copy / "samples.jsonl.gz").read_bytes()).splitlines()[0])["grade"][
        "correct"
    ]
    _rewrite_samples(copy, {"correct": flipped})
    check = run_suite("validate", str(copy))
    assert check.returncode == 2 and "metrics.solo" in check.stderr and "do not follow from its samples" in check.stderr


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
    result = run_suite("eval", str(tiny_reasoner), "--release", str(arith_release), "--out", str(bundle), "--seed", "7")
    assert result.returncode == 2
    assert "holds a run with a different max_tokens" in result.stderr or "different seed" in result.stderr


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
    assert again.returncode == 2 and "not on" in again.stderr  # the bundle was run on the original release


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
    assert run_suite("validate", str(out)).returncode == 0
