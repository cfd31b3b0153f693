"""Comparable runs only: what ranks, what is a variant and why, names, and the same weights under two names."""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from suite._errors import SuiteError
from suite.evaluation import EvalConfig, evaluate
from suite.evaluation._model import resolve_model
from suite.evaluation._weights import local_weights, parameter_count, weights_identity
from suite.grading import GradingConfig
from suite.leaderboard import build_database
from suite.leaderboard._comparable import differences_from_standard, display_name
from suite.release import Release, load_release
from tests.leaderboard.bundles import FakeRun, write_fake_bundle
from tests.release.hub_standin import HubStandIn
from tests.test_cli import run_suite

TESTS_RUN = ("solo", "recoverability_individual", "recoverability_shared", "guidability_individual")
ALL_TESTS = (*TESTS_RUN, "guidability_shared", "control")


def standard_result() -> dict[str, Any]:
    """The recorded knobs of a standard run, as ``suite eval`` writes them."""
    return {
        "config": EvalConfig(model="org/m").to_json(),
        "sampling": {"temperature": 0.6, "top_p": 0.95, "top_k": None, "max_tokens": 32768},
        "grading": GradingConfig().to_json() | {"steer_answer_method": "boxed-and-stated", "judge": None},
        "tests": {name: {"status": "run"} for name in ALL_TESTS},
        "model": {"id": "org/m", "revision": "0" * 40, "kind": "hub", "context_length": 131072},
        "backend": {"name": "vllm", "versions": {}, "context_length": 131072},
    }


def changed(config: dict[str, Any] | None = None, **parts: Any) -> dict[str, Any]:
    result = standard_result()
    result["config"] |= config or {}
    for key, value in parts.items():
        result[key] = result.get(key, {}) | value if isinstance(value, dict) else value
    return result


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (standard_result(), []),
        (changed({"seed": 7}), []),  # another seed is the same measurement drawn again
        (changed({"tests": ["guidability", "solo", "recoverability"]}), []),  # order does not matter
        (changed({"positions": [0, 0.2, 0.4, 0.6, 0.8]}), []),  # 0 is 0.0
        (changed(grading={"judge": {"judge_model": "j", "judge_url": "u", "judge_prompt_sha256": "0" * 64}}), []),
        (
            changed({"limit": 1, "max_tokens": 4}, sampling={"max_tokens": 4}),
            ["--limit 1", "max tokens 4 (standard 32768)"],
        ),
        (changed({"tests": ["solo"]}), ["--tests solo"]),
        (changed({"benchmarks": ["aime24", "math500"]}), ["--benchmarks aime24,math500"]),
        (
            changed({"protocol": "paper-text", "transition": "Wait. Let me think"}),
            [
                'protocol "paper-text" (standard "paper")',
                'transition "Wait. Let me think" (standard "\\nLet me think.")',
            ],
        ),
        (
            changed({"distractor_fraction": 0.4, "positions": [0.0, 0.2, 0.4, 0.6]}),
            [
                "positions [0.0, 0.2, 0.4, 0.6] (standard [0.0, 0.2, 0.4, 0.6, 0.8])",
                "distractor fraction 0.4 (standard 0.2)",
            ],
        ),
        (changed({"guidability_continuations": 2}), ["guidability continuations 2 (standard 8)"]),
        (changed({"keep_opening": True}), ["--keep-opening"]),
        (changed({"distractors_from": ["other/run"]}), ["--distractors-from other/run"]),
        (
            changed({"chat_template_kwargs": {"enable_thinking": False}}),
            ['chat template variables {"enable_thinking": false} (standard {})'],
        ),
        (changed(sampling={"temperature": True}), ["temperature true (standard 0.6)"]),  # a boolean is not 1.0
        (changed(sampling={"top_k": 20}), ["top-k 20 (standard null)"]),
        # What ran is what the engine was given: the config cannot vouch for other sampling.
        (changed({"max_tokens": 4}), ["max tokens 4 (standard 32768)"]),
        (changed(sampling={"max_tokens": 4}), ["max tokens 4 (standard 32768)"]),
        (changed(grading={"timeout_s": 1.0}), ["grading timeout s 1.0 (standard 5.0)"]),
        # A test the release cannot run (no guide steers): every run of that release lacks it, the run ranks.
        (changed(tests={"solo": {"status": "run"}, "control": {"status": "not run"}}), []),
        # An engine with a shorter context than the model's own cuts generations (max new tokens depend on it),
        # or leaves steered prompts out; a longer one (rope scaling) or a model that states none is standard.
        (changed(backend={"context_length": 32768}), ["engine context length 32768 (the model's 131072)"]),
        (changed(backend={"context_length": 262144}), []),
        (changed(backend={"context_length": 8192}, model={"context_length": None}), []),
        (changed(backend={"context_length": "big"}), ['engine context length "big"']),
        (changed(backend={"name": "vllm"}) | {"backend": {"name": "vllm"}}, ["engine context length not recorded"]),
    ],
)
def test_differences_from_the_standard_run(result: dict[str, Any], expected: list[str]) -> None:
    assert differences_from_standard(result) == expected


def test_what_is_not_recorded_is_never_standard() -> None:
    result = standard_result()
    del result["sampling"]["max_tokens"], result["config"]["limit"]
    assert differences_from_standard(result) == ["--limit not recorded", "max tokens not recorded"]
    hostiles: tuple[dict[str, Any], ...] = (
        {},
        {"config": [1], "sampling": "x", "grading": None, "tests": 7},
        {"config": {"limit": {"a": []}}},
    )
    for hostile in hostiles:
        found = differences_from_standard(hostile)
        assert found and all(isinstance(d, str) and d.isascii() for d in found)
    long = changed({"transition": "\u202e" + "x" * 500})
    (shown,) = differences_from_standard(long)
    assert shown.startswith('transition "\\u202exxx') and len(shown) < 120


def test_the_name_a_reader_sees_is_never_a_path() -> None:
    revision = "sha256:" + "ab" * 32
    assert display_name({"id": "/home/me/ckpt/step-100", "revision": revision, "kind": "local"}) == (
        "step-100 (sha256:abababababab)"
    )
    assert display_name({"id": "/home/me/x", "revision": revision, "kind": "local", "name": "lab/x-7b"}) == "lab/x-7b"
    assert display_name({"id": "org/m", "revision": "0" * 40, "kind": "hub"}) == "org/m"
    assert display_name({"id": "C:\\models\\qwen\\", "revision": revision, "kind": "local"}).startswith("qwen (")


def test_weights_are_the_same_whatever_their_names_or_order() -> None:
    a, b, c = ("a" * 64, "b" * 64, "c" * 64)
    one = [
        {"file": "model-1.safetensors", "size": 1, "sha256": a},
        {"file": "model-2.safetensors", "size": 1, "sha256": b},
    ]
    renamed = [{"file": "x/2.safetensors", "size": 1, "sha256": b}, {"file": "1.safetensors", "size": 1, "sha256": a}]
    plus_trainer_file = [*one, {"file": "training_args.bin", "size": 1, "sha256": c}]
    assert weights_identity(one) == weights_identity(renamed) == weights_identity(plus_trainer_file) is not None
    assert weights_identity(one) != weights_identity(one[:1])
    assert weights_identity([{"file": "pytorch_model.bin", "size": 1, "sha256": c}]) is not None
    assert weights_identity([]) is None and weights_identity(["x", {"file": 3, "sha256": a}]) is None


# ---- weights and parameters of a real model ----------------------------------------------------------------------


def sha256sum(path: Path) -> str:
    return subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]


def test_weight_sha256s_are_the_files_sha256sum_and_the_parameters_their_numel(tiny_reasoner: Path) -> None:
    from safetensors.torch import load_file

    source = resolve_model(str(tiny_reasoner), None, False, name="suite-tests/tiny-reasoner")
    weights = [w.to_json() for w in source.weights]
    files = sorted(tiny_reasoner.glob("*.safetensors"))
    assert files and weights == [{"file": p.name, "size": p.stat().st_size, "sha256": sha256sum(p)} for p in files]
    numel = sum(t.numel() for p in files for t in load_file(p).values())
    assert source.parameters == numel > 100_000
    assert source.to_json()["name"] == "suite-tests/tiny-reasoner"


def test_a_sharded_checkpoint_is_counted_once(tiny_reasoner: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(tiny_reasoner / "model.safetensors")
    names = sorted(tensors)
    folder = tmp_path / "sharded"
    folder.mkdir()
    save_file({k: tensors[k] for k in names[::2]}, str(folder / "model-00001-of-00002.safetensors"))
    save_file({k: tensors[k] for k in names[1::2]}, str(folder / "model-00002-of-00002.safetensors"))
    shutil.copy(tiny_reasoner / "model.safetensors", folder / "consolidated.safetensors")  # a second copy of it all
    index = {k: f"model-0000{1 + i % 2}-of-00002.safetensors" for i, k in enumerate(names)}
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": index}))
    assert parameter_count(folder) == sum(math.prod(t.shape) for t in tensors.values())
    assert [w.file for w in local_weights(folder)] == [
        "consolidated.safetensors",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.safetensors").write_bytes(b"\xff" * 8 + b"{}")
    with pytest.raises(SuiteError, match=r"announces a .*-byte header; it is not a safetensors file"):
        parameter_count(broken)


def test_a_model_name_follows_the_hub_grammar(tiny_reasoner: Path) -> None:
    for bad in ("my model", "../../etc", "\u043erg/model", "org/model/extra", "org/-model"):
        with pytest.raises(SuiteError, match=r"^--model-name: "):
            resolve_model(str(tiny_reasoner), None, False, name=bad)


def test_the_leaderboard_refuses_a_recorded_name_outside_the_hub_grammar() -> None:
    from suite.leaderboard._intake import model_problem

    local = {"id": "/home/me/ckpt", "revision": "sha256:" + "0" * 64, "kind": "local"}
    assert model_problem(local | {"name": "lab/model-7b"}) is None
    for bad in ("lab/a--b", "lab/x\u202e", "no-owner"):
        problem = model_problem(local | {"name": bad})
        assert problem is not None and problem.startswith("model.name: the model id")


HUB_WEIGHTS = """
import json, sys
from pathlib import Path
from suite.evaluation._weights import hub_weights
print(json.dumps([w.to_json() for w in hub_weights("org/reasoner", sys.argv[1], Path(sys.argv[2]), True)]))
"""


def test_a_hub_models_sha256s_are_the_ones_the_hub_reports(tiny_reasoner: Path, tmp_path: Path) -> None:
    weights = (tiny_reasoner / "model.safetensors").read_bytes()
    with HubStandIn() as hub:
        commit = hub.add_model("org/reasoner", {"model.safetensors": weights}, lfs=frozenset({"model.safetensors"}))
        # The downloaded file differs from what the Hub holds (same size): the Hub's sha256 is recorded, not a hash.
        download = tmp_path / "snapshot"
        download.mkdir()
        (download / "model.safetensors").write_bytes(bytes(len(weights)))
        env = {"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf"), "PATH": "/usr/bin:/bin"}
        run = subprocess.run(
            [sys.executable, "-c", HUB_WEIGHTS, commit, str(download)], capture_output=True, text=True, env=env
        )
        assert run.returncode == 0, run.stderr[-2000:]
        reported = json.loads(run.stdout)
        offline = subprocess.run(
            [sys.executable, "-c", HUB_WEIGHTS, commit, str(download)],
            capture_output=True,
            text=True,
            env=env | {"HF_HUB_OFFLINE": "1"},
        )
    assert reported == [
        {"file": "model.safetensors", "size": len(weights), "sha256": hashlib.sha256(weights).hexdigest()}
    ]
    # Without the Hub the downloaded file itself is hashed.
    assert json.loads(offline.stdout)[0]["sha256"] == hashlib.sha256(bytes(len(weights))).hexdigest()


# ---- the ranking ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(arith_release: Path) -> Release:
    return load_release(arith_release)


def bundle(root: Path, release: Release, model_id: str, folder: str, **knobs: Any) -> Path:
    model_fields = knobs.pop("fields", {})
    run = FakeRun(
        model_id,
        0.6,
        questions=len(release.questions),  # the whole release, every test run: a standard run
        tests=tuple((name, None) for name in ALL_TESTS),
        release_version=release.version,
        manifest_sha256=release.manifest_sha256,
        release=release,
        **knobs,
    )
    path = write_fake_bundle(root / folder, run)
    if model_fields:
        result = json.loads((path / "result.json").read_text())
        result["model"] |= model_fields
        (path / "result.json").write_text(json.dumps(result))
    return path


def weights(sha: str) -> dict[str, Any]:
    return {"weights": [{"file": "model.safetensors", "size": 10, "sha256": sha * 64}]}


def board(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_verified_run_is_never_displaced_by_a_self_reported_one(tmp_path: Path, release: Release) -> None:
    verified = bundle(tmp_path / "verified", release, "org/real", "v", created="2026-01-01T00:00:00Z")
    later = bundle(tmp_path / "self", release, "org/real", "later", seed=1, created="2026-06-01T00:00:00Z")
    future = bundle(tmp_path / "self", release, "org/real", "future", seed=2, created="2999-01-01T00:00:00Z")
    db = tmp_path / "lb.duckdb"
    verdicts = build_database(
        [str(tmp_path / "self")], db, [release], tmp_path / "site", jobs=1, verified=[str(verified)]
    )
    status = {v.bundle: (v.status, v.reason) for v in verdicts}
    assert status[verified][0] == status[later][0] == "accepted"
    assert status[future][0] == "rejected" and "is in the future" in status[future][1]
    run_of = {json.loads((b / "result.json").read_text())["samples"]["sha256"]: b for b in (verified, later)}
    ranked = board(db, "SELECT run_id, provenance FROM ranked")
    assert [(run_of[r], p) for r, p in ranked] == [(verified, "verified")]
    ((run_id, text),) = board(db, "SELECT run_id, differences FROM variants")
    assert run_of[run_id] == later and text.startswith("a newer or verified run of the same model is ranked")


def test_the_same_weights_under_two_names_rank_once(tmp_path: Path, release: Release) -> None:
    root = tmp_path / "b"
    bundle(root, release, "org/original", "o", created="2026-01-01T00:00:00Z", fields=weights("a"))
    bundle(root, release, "copier/renamed", "c", created="2026-03-01T00:00:00Z", fields=weights("a"))
    bundle(root, release, "org/other", "x", created="2026-02-01T00:00:00Z", fields=weights("b"))
    db = tmp_path / "lb.duckdb"
    build_database([str(root / "*")], db, [release], tmp_path / "site", jobs=1)
    assert sorted(board(db, "SELECT model_name FROM ranked")) == [("org/original",), ("org/other",)]
    assert board(db, "SELECT model_name, differences FROM variants") == [
        ("copier/renamed", "the same weights are ranked as org/original")
    ]
    # A verified run of the same weights wins whatever its name.
    verified = bundle(tmp_path / "v", release, "copier/renamed", "r", seed=5, fields=weights("a"))
    build_database([str(root / "*")], db, [release], tmp_path / "site", jobs=1, verified=[str(verified)])
    assert sorted(board(db, "SELECT model_name, provenance FROM ranked")) == [
        ("copier/renamed", "verified"),
        ("org/other", "self-reported"),
    ]


@pytest.fixture(scope="module")
def real_variants(tiny_reasoner: Path, arith_release: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two real tiny-reasoner runs that are not the standard measurement (tiny: seconds each)."""
    out = tmp_path_factory.mktemp("variants")
    runs = [
        EvalConfig(
            model=str(tiny_reasoner), model_name="suite-tests/tiny-reasoner", backend="hf", limit=1, max_tokens=4
        ),
        EvalConfig(model=str(tiny_reasoner), backend="hf", tests=("solo",), limit=1, max_tokens=4),
    ]
    for i, config in enumerate(runs):
        evaluate(config, arith_release, out / f"run-{i}", lambda *_: None)
    return [out / "run-0", out / "run-1"]


def test_short_and_partial_runs_are_variants_beside_their_model(
    real_variants: list[Path], tiny_reasoner: Path, tmp_path: Path, release: Release
) -> None:
    limited, solo_only = real_variants
    result = json.loads((limited / "result.json").read_text())
    assert result["model"]["name"] == "suite-tests/tiny-reasoner"
    assert result["model"]["weights"] == [
        {
            "file": "model.safetensors",
            "size": (tiny_reasoner / "model.safetensors").stat().st_size,
            "sha256": sha256sum(tiny_reasoner / "model.safetensors"),
        }
    ]
    standard = bundle(tmp_path / "b", release, "org/standard", "s")
    db = tmp_path / "lb.duckdb"
    verdicts = build_database([str(limited), str(solo_only), str(standard)], db, [release], tmp_path / "site", jobs=1)
    assert [v.status for v in verdicts] == ["accepted"] * 3, verdicts
    assert board(db, "SELECT model_name FROM ranked") == [("org/standard",)]
    shown = dict(board(db, "SELECT model_name, differences FROM variants"))
    folder = f"{tiny_reasoner.name} ({json.loads((solo_only / 'result.json').read_text())['model']['revision'][:19]})"
    assert set(shown) == {"suite-tests/tiny-reasoner", folder}  # the --model-name, else the folder: never a path
    assert shown[folder] == "--limit 1; --tests solo; max tokens 4 (standard 32768)"
    assert shown["suite-tests/tiny-reasoner"].startswith("--limit 1; max tokens 4 (standard 32768)")
    rest = shown["suite-tests/tiny-reasoner"].split("; ")[2:]
    assert all(part.endswith(" not run") for part in rest)  # what --limit 1 left without items, if anything
    shown_text = board(db, "SELECT model_name, differences FROM variants UNION ALL SELECT model_name, '' FROM ranked")
    assert not any(str(tiny_reasoner.parent) in text for row in shown_text for text in row)


def test_the_cli_refuses_a_model_name_that_is_not_owner_name(
    tiny_reasoner: Path, arith_release: Path, tmp_path: Path
) -> None:
    run = run_suite(
        "eval",
        str(tiny_reasoner),
        "--model-name",
        "no-owner",
        "--release",
        str(arith_release),
        "--out",
        str(tmp_path / "o"),
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        "error: --model-name: the model id `no-owner` must be exactly owner/name (one slash); "
        "name the model as owner/name, e.g. my-lab/my-model-7b."
    ]


def test_site_settings_are_read_strictly(tmp_path: Path) -> None:
    from suite.leaderboard._layout import SiteSettings, site_settings

    path = tmp_path / "site.toml"
    assert site_settings(path) == SiteSettings()  # no file: the defaults
    path.write_text('title = "Board"\nsamples_base_url = "https://huggingface.co/datasets/org/samples/resolve/abc"\n')
    assert site_settings(path) == SiteSettings("Board", "https://huggingface.co/datasets/org/samples/resolve/abc")
    for text, reason in (
        ('titel = "x"', "unknown setting 'titel'"),
        ("title = 3", "title must be a string"),
        ('samples_base_url = "javascript:alert(1)"', "is not an http(s) URL"),
        ("title = ", "is not valid TOML"),
    ):
        path.write_text(text)
        with pytest.raises(SuiteError, match=re.escape(reason)):
            site_settings(path)
