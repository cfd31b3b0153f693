"""The maintainer's runbook rehearsed: ``scripts/make_release.sh`` end to end on CPU with the tiny reasoner.

Guide sets by all three routes (a suite run, a real vLLM server with a reasoning parser, the public
DeepSeek-R1 and QwQ-32B traces), a panel of solo runs, the shared subsets, publish to a stand-in Hub,
pull by ref and sha256, and a complete eval of the pulled release (``--require-complete``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from suite.evaluation._plan import TESTS
from suite.release import load_release
from suite.tiny import write_arithmetic_source
from tests.conftest import TINY_MAX_TOKENS, ReasoningServer
from tests.release.hub_standin import HubStandIn

ROOT = Path(__file__).resolve().parents[2]
TRACES = ROOT.parent / "shared" / "data" / "traces" / "mip-overthinking"
UPSTREAM = ROOT.parent / "shared" / "data" / "upstream"


def rehearsal_source(folder: Path) -> Path:
    """16 arithmetic questions and, as the benchmark ``traced``, the 52 MATH-500 questions of the public traces.

    (A release's ``math500`` must hold all 500; the tiny reasoner fails these, so 52 keep the rehearsal short.)
    """
    write_arithmetic_source(folder, questions=16, shared=0)
    traced = [row["unique_id"] for row in json.loads((TRACES / "math_normal_deepseekR1.json").read_text())]
    rows = [json.loads(line) for line in (UPSTREAM / "math500.jsonl").read_text().splitlines()]
    by_id = {row["id"]: row for row in rows}
    chosen = [by_id[i] for i in traced]
    (folder / "traced.jsonl").write_text("".join(json.dumps(row) + "\n" for row in chosen))
    return folder


def checkpoint(reasoner: Path, out: Path, seed: int) -> Path:
    """A copy of the reasoner with every weight moved by 0.5% of its tensor's spread: other weights, the same skills."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    shutil.copytree(reasoner, out)
    weights = load_file(str(reasoner / "model.safetensors"))
    generator = torch.Generator().manual_seed(seed)
    moved = {
        name: (w + 0.005 * w.float().std() * torch.randn(w.shape, generator=generator)).to(w.dtype).contiguous()
        if w.numel() > 1
        else w
        for name, w in weights.items()
    }
    save_file(moved, str(out / "model.safetensors"), metadata={"format": "pt"})
    return out


def test_the_runbook_makes_a_complete_release(
    tmp_path: Path, tiny_reasoner: Path, reasoning_server: ReasoningServer
) -> None:
    # The rehearsal's panel: the reasoner and a nearby checkpoint of it (a panel holds different weights).
    nearby = checkpoint(tiny_reasoner, tmp_path / "reference-b", seed=1)
    work = tmp_path / "work"
    with HubStandIn() as hub:
        env = os.environ | {
            "WORK": str(work),
            "SOURCE": str(rehearsal_source(tmp_path / "source")),
            "BENCHMARKS": "arith,traced",
            "EVAL_ARGS": f"--max-tokens {TINY_MAX_TOKENS}",
            "VLLM_GUIDES": f"tiny-run={tiny_reasoner}",
            "VLLM_GUIDE_ARGS": "--backend vllm",
            "ENDPOINT_GUIDES": "tiny-endpoint=tiny",
            "ENDPOINT_URL": reasoning_server.url,
            "ENDPOINT_ARGS": f"--max-tokens {TINY_MAX_TOKENS} --samples 2",
            "TRACE_GUIDES": " ".join(
                f"{name}={TRACES / file}"
                for name, file in (("deepseek-r1", "math_normal_deepseekR1.json"), ("qwq-32b", "math_normal_QwQ.json"))
            ),
            "TRACE_ARGS": "--benchmark traced",
            "PANEL": f"{tiny_reasoner} --seed 1\n{nearby} --seed 2",
            "SUBSET_SIZE": "4",
            "PUBLISH_REPO": "suite/releases",
            "HF_ENDPOINT": hub.url,
            "HF_TOKEN": hub.token,
            "HF_HUB_OFFLINE": "0",
            "CHECK_MODEL": str(tiny_reasoner),
            # Fewer guide fractions keep the rehearsal short; every test of Table 1 still runs.
            "CHECK_ARGS": "--individual-subset-size 6 --guide-fractions 0.2 --guidability-continuations 2",
            "VLLM_CPU_KVCACHE_SPACE": "1",
        }
        run = subprocess.run(
            ["bash", str(ROOT / "scripts" / "make_release.sh")], env=env, capture_output=True, text=True, timeout=3000
        )
    assert run.returncode == 0, (run.stdout[-4000:], run.stderr[-4000:])

    release = load_release(work / "pulled")
    guides = {g["name"]: g for g in release.manifest["guides"]}
    assert {g["source"]["kind"] for g in guides.values()} == {"bundle", "endpoint", "traces"}
    assert guides["deepseek-r1"]["source"]["repository"] == "tianyi-lab/MiP-Overthinking"
    assert all(g["trajectories"] > 0 for g in guides.values())
    assert release.subsets["recoverability_shared"].ids and release.subsets["guidability_shared"].ids
    assert len(release.manifest["panel"]["models"]) == 2
    pin = dict(line.split("=", 1) for line in (work / "pin.env").read_text().splitlines())
    assert pin["SUITE_RELEASE_SHA256"] == release.manifest_sha256

    result = json.loads((work / "check" / "result.json").read_text())
    assert result["release"]["manifest_sha256"] == release.manifest_sha256
    assert {name: entry["status"] for name, entry in result["tests"].items()} == dict.fromkeys(TESTS, "run")
    metrics = result["metrics"]
    assert metrics["recoverability"]["shared"]["mean"]["n"] > 0 and metrics["guidability"]["shared"]["mean"]["n"] > 0
    assert "Plan:" in run.stdout.split("5. complete eval")[-1]  # the plan came before the run
