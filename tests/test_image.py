"""The Dockerfile, checked without a Docker engine: hadolint, its shape, and its build steps run outside Docker.

The release step runs for real here: a release is published to a local stand-in for the Hugging Face Hub
(``tests/release/hub_standin.py``) and the step's own command pulls it by ref and sha256 through
``HF_ENDPOINT``; the install step is what this test suite's own set-up does (``pip install`` of this
project) plus ``suite --version``; the user step is only syntax-checked (it would add a user to this machine).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from suite import __version__
from suite.release import build_release, publish_release
from tests.release.hub_standin import HubStandIn

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def args() -> dict[str, str]:
    return dict(a.split("=", 1) for kind, a in instructions() if kind == "ARG" and "=" in a)


def test_hadolint_finds_nothing() -> None:
    lint = subprocess.run(
        [shutil.which("hadolint") or "hadolint", "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert lint.returncode == 0 and lint.stdout == "", lint.stdout + lint.stderr


def test_the_image_is_pinned_non_root_and_runs_suite() -> None:
    steps = instructions()
    kinds = [k for k, _ in steps]
    base = next(a for k, a in steps if k == "FROM")
    assert re.fullmatch(r"vllm/vllm-openai:v\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?", base), base
    assert args()["SUITE_VERSION"] == __version__  # the image tag is the suite version
    declared = [a for k, a in steps if k == "ARG"]
    assert "SUITE_RELEASE_REF" in declared and "SUITE_RELEASE_SHA256" in declared  # required: no default release
    labels = " ".join(a for k, a in steps if k == "LABEL")
    assert 'org.opencontainers.image.version="${SUITE_VERSION}"' in labels
    assert 'release.ref="${SUITE_RELEASE_REF}"' in labels and 'release.sha256="${SUITE_RELEASE_SHA256}"' in labels
    user = next(a for k, a in reversed(steps) if k == "USER")
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user)  # numeric, not root
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN")
    assert json.loads(next(a for k, a in steps if k == "ENTRYPOINT")) == ["suite"]
    assert set(json.loads(next(a for k, a in steps if k == "VOLUME"))) == {"/cache/huggingface", "/outputs"}
    env = " ".join(a for k, a in steps if k == "ENV")
    assert "HF_HOME=/cache/huggingface" in env and "SUITE_RELEASE=/opt/suite/release" in env


def test_every_run_step_works_outside_docker(tmp_path: Path, upstream: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    runs = [a for k, a in instructions() if k == "RUN"]
    assert len(runs) == 3
    install, release, user = runs
    assert install == "python3 -m pip install --no-cache-dir './[vllm]' && suite --version"
    # The [vllm] extra's tested range holds the base image's vLLM, so that install keeps the image's engine.
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["vllm"]
    base = next(a for k, a in instructions() if k == "FROM")
    engine = re.search(r"vllm/vllm-openai:v([\d.]+)", base)
    assert engine and Requirement(extra[0]).specifier.contains(engine.group(1))
    version = subprocess.run([sys.executable, "-m", "suite.cli", "--version"], capture_output=True, text=True)
    assert version.stdout.strip() == f"suite {__version__}"
    assert "suite release pull" in release and "release build" not in release  # pulled by hash, never rebuilt
    built = build_release(str(upstream), tmp_path / "built")  # the paper's pool, as a maintainer publishes it
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with HubStandIn() as hub:
        published = publish_release(built, "off-trajectory-suite/releases", token=hub.token, endpoint=hub.url)

        def step(sha256: str, root: Path) -> subprocess.CompletedProcess[str]:
            values = args() | {"SUITE_RELEASE_REF": str(published.ref), "SUITE_RELEASE_SHA256": sha256}
            command = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], release).replace("/opt/suite", str(root))
            bin_dir = str(Path(sys.executable).parent)
            env = os.environ | {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HF_ENDPOINT": hub.url}
            env |= {"HF_HUB_OFFLINE": "0", "HF_HOME": str(root / "hf_home")}
            return subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, env=env)

        done = step(published.manifest_sha256, tmp_path / "image")
        assert done.returncode == 0, done.stderr[-2000:]
        refused = step(hashlib.sha256(b"not the release").hexdigest(), tmp_path / "refused")
    pulled = tmp_path / "image" / "release"
    assert hashlib.sha256((pulled / "manifest.json").read_bytes()).hexdigest() == published.manifest_sha256
    manifest = json.loads((pulled / "manifest.json").read_text())
    assert sum(b["count"] for b in manifest["benchmarks"]) == 1507
    assert oct((pulled / "questions.jsonl").stat().st_mode)[-3:] in ("644", "664", "666")  # chmod a+rX ran
    assert refused.returncode == 2 and "not the pinned" in refused.stderr
    assert not (tmp_path / "refused" / "release").exists()  # a refused pull fails the build and leaves nothing
    assert subprocess.run(["bash", "-n", "-c", user]).returncode == 0
