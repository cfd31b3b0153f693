"""``--source hf`` against a local folder laid out like a Hugging Face Hub cache (the Hub is unreachable here).

The snapshots hold the mirror's rows rewritten in each dataset's own columns and
file formats (parquet and JSON Lines), so the real reader and the real
``huggingface_hub.snapshot_download`` run; only the network is absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from suite.release import BENCHMARKS, PAPER_POOL
from tests.test_cli import run_suite

UNPINNED_SHA = "0123456789abcdef0123456789abcdef01234567"


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".staging.jsonl")
    _jsonl(staging, rows)
    duckdb.sql(f"COPY (SELECT * FROM read_json_auto('{staging}')) TO '{path}' (FORMAT parquet)")
    staging.unlink()


def _hub_files(name: str, rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The mirror rows in the Hub dataset's own layout: {relative file: rows}."""
    if name == "aime24":
        return {
            "data/train-00000-of-00001.parquet": [
                {
                    "id": r["orig_id"],
                    "problem": r["problem"],
                    "solution": "...",
                    "answer": r["answer"].zfill(3),
                    "url": r["url"],
                    "year": "2024",
                }
                for r in rows
            ]
        }
    if name == "aime25":
        return {
            f"aime2025-{part}.jsonl": [
                {"question": r["problem"], "answer": r["answer"]} for r in rows if r["id"].startswith(f"2025-{part}-")
            ]
            for part in ("I", "II")
        }
    if name == "math500":
        return {
            "test.jsonl": [
                {
                    "problem": r["problem"],
                    "solution": f"so \\boxed{{{r['answer']}}}",
                    "answer": r["answer"],
                    "subject": r["subject"],
                    "level": r["level"],
                    "unique_id": r["id"],
                }
                for r in rows
            ]
        }
    if name == "minerva":
        return {
            "data/test-00000-of-00001.parquet": [
                {
                    "question": r["problem"],
                    "solution": f"Thus \\boxed{{x}} is wrong; \\boxed{{{r['answer']}}}",
                    "type": r["type"],
                }
                for r in rows
            ]
        }
    if name == "olympiadbench":
        return {
            "OE_TO_maths_en_COMP/train-00000-of-00001.parquet": [
                {
                    "id": int(r["id"].split("-")[1]),
                    "question": r["problem"],
                    # As the Hub stores it: one span in dollars, several spans (``$a$, $b$``) as they are.
                    "final_answer": [
                        r["answer"] if r["is_multiple_answer"] or "$" in r["answer"] else f"${r['answer']}$"
                    ],
                    "is_multiple_answer": r["is_multiple_answer"],
                    "unit": r["unit"],
                    "answer_type": r["answer_type"],
                    "error": r["error"],
                    "subfield": r["subfield"],
                }
                for r in rows
            ]
        }
    raise AssertionError(name)


@pytest.fixture(scope="module")
def hub_cache(upstream: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An HF_HOME whose hub cache holds a snapshot of each paper benchmark at its pinned (or a fake) commit."""
    home = tmp_path_factory.mktemp("hf_home")
    for name in PAPER_POOL:
        hub = BENCHMARKS[name].hub
        sha = hub.revision or UNPINNED_SHA
        repo_dir = home / "hub" / f"datasets--{hub.repo.replace('/', '--')}"
        rows = [json.loads(line) for line in (upstream / f"{name}.jsonl").read_text().splitlines()]
        for rel, file_rows in _hub_files(name, rows).items():
            write = _parquet if rel.endswith(".parquet") else _jsonl
            write(repo_dir / "snapshots" / sha / rel, file_rows)
        (repo_dir / "refs").mkdir(parents=True)
        (repo_dir / "refs" / "main").write_text(sha)
    return home


def test_hub_build_matches_the_mirror_build(hub_cache: Path, upstream: Path, tmp_path: Path) -> None:
    env = os.environ | {"HF_HOME": str(hub_cache), "HF_HUB_OFFLINE": "1"}
    hub = run_suite("release", "build", "--source", "hf", "--out", str(tmp_path / "hub"), env=env)
    assert hub.returncode == 0, hub.stderr
    mirror = run_suite("release", "build", "--source", str(upstream), "--out", str(tmp_path / "mirror"))
    assert mirror.returncode == 0, mirror.stderr

    def questions(root: Path) -> list[tuple[str, str, str, bool]]:
        rows = [json.loads(line) for line in (root / "questions.jsonl").read_text().splitlines()]
        return [(r["id"], r["problem"].strip(), r["answer"], r["is_multiple_answer"]) for r in rows]

    assert questions(tmp_path / "hub") == questions(tmp_path / "mirror")
    manifest = json.loads((tmp_path / "hub" / "manifest.json").read_text())
    provenance = {b["name"]: b["provenance"] for b in manifest["benchmarks"]}
    assert provenance["math500"] == {
        "kind": "hf",
        "dataset": "HuggingFaceH4/MATH-500",
        "configs": ["default"],
        "split": "test",
        "revision": BENCHMARKS["math500"].hub.revision,
        "pinned": True,
    }
    assert provenance["minerva"]["revision"] == UNPINNED_SHA and provenance["minerva"]["pinned"] is False
    assert provenance["aime25"]["configs"] == ["AIME2025-I", "AIME2025-II"]
    first = json.loads((tmp_path / "hub" / "questions.jsonl").read_text().splitlines()[0])
    assert first["source"].startswith("hf://datasets/HuggingFaceH4/aime_2024@2fe88a2f")


def test_hub_unreachable_is_one_clear_error(tmp_path: Path) -> None:
    env = os.environ | {"HF_HOME": str(tmp_path / "empty"), "HF_HUB_OFFLINE": "1"}
    result = run_suite(
        "release", "build", "--source", "hf", "--out", str(tmp_path / "r"), "--benchmarks", "math500", env=env
    )
    assert result.returncode == 2
    assert "cannot read dataset HuggingFaceH4/MATH-500 at revision 6e4ed1a2" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r").exists()


def test_hub_dataset_with_changed_columns_is_named(hub_cache: Path, tmp_path: Path) -> None:
    import shutil

    home = Path(shutil.copytree(hub_cache, tmp_path / "home"))
    sha = BENCHMARKS["math500"].hub.revision
    data = home / "hub" / "datasets--HuggingFaceH4--MATH-500" / "snapshots" / str(sha) / "test.jsonl"
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    _jsonl(data, [{k: v for k, v in r.items() if k != "unique_id"} for r in rows])
    env = os.environ | {"HF_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    result = run_suite(
        "release", "build", "--source", "hf", "--out", str(tmp_path / "r"), "--benchmarks", "math500", env=env
    )
    assert result.returncode == 2
    assert (
        "test.jsonl row 0 does not have the columns the math500 reader expects (missing 'unique_id')" in result.stderr
    )
