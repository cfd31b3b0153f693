"""Model ids: a Hub id resolves to the commit sha of its snapshot (a Hub-shaped cache stands in for the Hub)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from suite._errors import SuiteError
from suite.evaluation._model import own_context_length, resolve_model
from tests.test_cli import run_suite

SHA = "89abcdef0123456789abcdef0123456789abcdef"


def test_hub_id_is_resolved_to_a_commit_sha(tiny_reasoner: Path, arith_release: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "hf" / "hub" / "models--suite-tests--tiny-reasoner" / "snapshots" / SHA
    shutil.copytree(tiny_reasoner, snapshot)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text(SHA)
    env = os.environ | {"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    out = tmp_path / "run"
    result = run_suite(
        "eval",
        "suite-tests/tiny-reasoner",
        "--release",
        str(arith_release),
        "--out",
        str(out),
        "--tests",
        "solo",
        "--limit",
        "2",
        "--max-tokens",
        "300",
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    model = json.loads((out / "result.json").read_text())["model"]
    weights = [  # offline: the Hub cannot report its LFS sha256s, so the snapshot's files are hashed
        {"file": p.name, "size": p.stat().st_size, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
        for p in sorted(snapshot.glob("*.safetensors"))
    ]
    assert model == {
        "id": "suite-tests/tiny-reasoner",
        "revision": SHA,
        "kind": "hub",
        "weights": weights,
        "parameters": model["parameters"],
        "context_length": 2048,  # config.json's max_position_embeddings
    }
    assert weights and isinstance(model["parameters"], int) and model["parameters"] > 0

    missing = run_suite(
        "eval", "suite-tests/absent", "--release", str(arith_release), "--out", str(tmp_path / "b"), env=env
    )
    assert missing.returncode == 2 and "no network and no copy in the Hugging Face cache" in missing.stderr


def test_remote_code_needs_consent(tiny_reasoner: Path, arith_release: Path, tmp_path: Path) -> None:
    model = Path(shutil.copytree(tiny_reasoner, tmp_path / "custom"))
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps(config | {"auto_map": {"AutoModelForCausalLM": "m.Model"}}))
    result = run_suite("eval", str(model), "--release", str(arith_release), "--out", str(tmp_path / "b"))
    assert result.returncode == 2 and "--trust-remote-code" in result.stderr


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"max_position_embeddings": 131072}, 131072),  # DeepSeek-R1-Distill-Qwen
        ({"max_position_embeddings": 131072, "model_max_length": 32768}, 32768),  # the smallest, as vLLM reads it
        ({"n_positions": 1024}, 1024),  # GPT-2
        ({"text_config": {"max_position_embeddings": 40960}, "max_position_embeddings": 8}, 40960),  # multimodal
        ({"max_position_embeddings": "131072", "seq_length": True}, None),  # not a count
        ({}, None),
    ],
)
def test_the_models_own_context_length(config: dict[str, object], expected: int | None) -> None:
    assert own_context_length(config) == expected


def test_a_config_that_is_not_json_is_one_sentence(tiny_reasoner: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(tiny_reasoner, tmp_path / "broken"))
    (folder / "config.json").write_text('{"max_position_embeddings": 2048,')
    with pytest.raises(SuiteError) as caught:
        resolve_model(str(folder), None, False)
    assert "config.json is not valid JSON" in str(caught.value) and "\n" not in str(caught.value)
