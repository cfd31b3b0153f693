"""What ``suite eval`` fetches from the Hub: weights only for a local engine, code only with consent.

The Hub cannot be reached here; ``tests/release/hub_standin.py`` answers the real routes that
``huggingface_hub.snapshot_download`` calls, so the real download code runs against loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.release.hub_standin import HubStandIn

FETCH = """
import json, sys
from suite.evaluation._model import resolve_model
source = resolve_model("org/reasoner", None, sys.argv[1] == "code", weights=sys.argv[2] == "weights")
print(json.dumps({"revision": source.revision, "files": sorted(p.name for p in source.path.iterdir())}))
"""


@pytest.fixture(scope="module")
def hub(tiny_reasoner: Path) -> object:
    files = {p.name: p.read_bytes() for p in tiny_reasoner.iterdir() if p.is_file()}
    files["modeling_reasoner.py"] = b"raise SystemExit('remote code ran')\n"
    with HubStandIn() as standin:
        standin.add_model("org/reasoner", files, lfs=frozenset({"model.safetensors"}))
        yield standin


@pytest.mark.parametrize(
    ("code", "weights", "expected_extra"),
    [
        ("no-code", "weights", {"model.safetensors"}),
        ("no-code", "tokenizer-only", set()),
        ("code", "tokenizer-only", {"modeling_reasoner.py"}),
    ],
)
def test_only_what_the_backend_needs_is_downloaded(
    hub: HubStandIn, tiny_reasoner: Path, tmp_path: Path, code: str, weights: str, expected_extra: set[str]
) -> None:
    env = os.environ | {"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf")}
    env.pop("HF_HUB_OFFLINE", None)
    run = subprocess.run([sys.executable, "-c", FETCH, code, weights], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    fetched = json.loads(run.stdout)
    always = {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"}
    assert always <= set(fetched["files"])
    assert set(fetched["files"]) & {"model.safetensors", "modeling_reasoner.py"} == expected_extra
    assert fetched["revision"] == hub.repos["org/reasoner"].commits[-1].sha
