"""``suite submit place``: the GPU runner's artifact is data, checked again before anything is written."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from suite._errors import SuiteError
from suite.evaluation._bundle import RESULT, SAMPLES
from suite.submission import listing_problems, place_bundle, result_problems, verified_folder
from suite.submission._place import BUNDLE_FILES
from tests.leaderboard.bundles import FakeRun, write_fake_bundle
from tests.test_cli import run_suite

MODEL, COMMIT = "example-org/reasoner-1.5B", "0" * 40  # the fake bundle's model and revision
FOLDER = "example-org--reasoner-1.5B/000000000000"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_bundle(tmp_path_factory.mktemp("made") / "bundle", FakeRun(MODEL, 0.5, questions=6))


@pytest.fixture
def artifact(made: Path, tmp_path: Path) -> Path:
    """A fresh copy of the bundle, as download-artifact leaves it."""
    return Path(shutil.copytree(made, tmp_path / "artifact"))


def written(results: Path) -> list[str]:
    return sorted(str(p.relative_to(results)) for p in results.rglob("*")) if results.exists() else []


def test_the_file_names_are_the_bundles() -> None:
    assert BUNDLE_FILES == (RESULT, SAMPLES)


def test_a_checked_artifact_is_placed_atomically_once(artifact: Path, tmp_path: Path) -> None:
    results = tmp_path / "results" / "verified"
    placed = place_bundle(artifact, MODEL, COMMIT, results)
    assert placed == results.resolve() / FOLDER
    assert written(results) == ["example-org--reasoner-1.5B", FOLDER, f"{FOLDER}/{RESULT}", f"{FOLDER}/{SAMPLES}"]
    for name in BUNDLE_FILES:
        assert (placed / name).read_bytes() == (artifact / name).read_bytes()
        assert stat.S_IMODE((placed / name).stat().st_mode) == 0o644
    with pytest.raises(SuiteError, match="already holds a verified run of that commit"):
        place_bundle(artifact, MODEL, COMMIT, results)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda a: (a / "store.jsonl").write_text("{}\n"), "store.jsonl is not a bundle file"),
        (lambda a: (a / ".hidden").write_text(""), ".hidden is not a bundle file"),
        (lambda a: (a / RESULT).unlink(), f"{RESULT} is missing"),
        (lambda a: ((a / RESULT).unlink(), (a / RESULT).symlink_to("/etc/passwd")), f"{RESULT} is a symbolic link"),
        (lambda a: ((a / SAMPLES).unlink(), (a / SAMPLES).mkdir()), f"{SAMPLES} is not a regular file"),
        (lambda a: (a / "sub").symlink_to(a), "sub is not a bundle file"),
    ],
    ids=["extra file", "hidden file", "missing", "symlink", "folder", "link to a folder"],
)
def test_anything_but_two_regular_files_is_refused(
    artifact: Path, tmp_path: Path, change: Callable[[Path], object], reason: str
) -> None:
    change(artifact)
    results = tmp_path / "results"
    with pytest.raises(SuiteError, match=f"is refused: .*{reason.replace('.', '[.]')}"):
        place_bundle(artifact, MODEL, COMMIT, results)
    assert written(results) == []


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("id", "example-org/other-model", "result.json's model is example-org/other-model, not the verdict's"),
        ("revision", "1" * 40, f"result.json's revision is {'1' * 40}, not the verdict's {COMMIT}"),
        ("kind", "local", "result.json's model kind is local, not hub"),
    ],
)
def test_a_bundle_of_another_run_is_refused(
    artifact: Path, tmp_path: Path, field: str, value: str, reason: str
) -> None:
    result = json.loads((artifact / RESULT).read_text())
    result["model"][field] = value  # still schema-valid, still the same samples: only the identity differs
    (artifact / RESULT).write_text(json.dumps(result))
    with pytest.raises(SuiteError, match="the artifact is not the bound run") as refused:
        place_bundle(artifact, MODEL, COMMIT, tmp_path / "results")
    assert reason in str(refused.value) and written(tmp_path / "results") == []


def test_a_tampered_bundle_is_refused(artifact: Path, tmp_path: Path) -> None:
    (artifact / SAMPLES).write_bytes((artifact / SAMPLES).read_bytes() + b"\0")
    with pytest.raises(SuiteError, match="was modified: sha256 expected"):
        place_bundle(artifact, MODEL, COMMIT, tmp_path / "results")
    assert written(tmp_path / "results") == []


@pytest.mark.parametrize(
    ("model_id", "commit", "reason"),
    [
        ("../../etc", COMMIT, "must be exactly owner/name"),
        ("org/..", COMMIT, "has a part"),
        ("org/x;rm", COMMIT, "has a part"),
        (MODEL, "main", "is not a full 40-character sha"),
        (MODEL, COMMIT + "\n", "is not a full 40-character sha"),
    ],
)
def test_ids_are_checked_before_the_artifact_is_read(model_id: str, commit: str, reason: str, tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=reason):
        place_bundle(tmp_path / "does-not-exist", model_id, commit, tmp_path / "results")


def test_a_link_inside_the_results_folder_cannot_redirect_the_copy(artifact: Path, tmp_path: Path) -> None:
    results, elsewhere = tmp_path / "results", tmp_path / "elsewhere"
    results.mkdir()
    elsewhere.mkdir()
    (results / "example-org--reasoner-1.5B").symlink_to(elsewhere)
    with pytest.raises(SuiteError, match="leaves"):
        place_bundle(artifact, MODEL, COMMIT, results)
    assert list(elsewhere.iterdir()) == []


def test_pure_checks() -> None:
    assert str(verified_folder(MODEL, COMMIT)) == FOLDER
    assert listing_problems({RESULT: stat.S_IFREG | 0o644, SAMPLES: stat.S_IFREG | 0o600}) == []
    assert listing_problems({RESULT: stat.S_IFLNK | 0o777}) == [f"{RESULT} is a symbolic link", f"{SAMPLES} is missing"]
    assert result_problems({"model": {"id": MODEL, "revision": COMMIT, "kind": "hub"}}, MODEL, COMMIT) == []
    assert result_problems({}, MODEL, COMMIT) == ["result.json names no model"]


def test_cli_places_or_refuses_in_one_line(artifact: Path, tmp_path: Path) -> None:
    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    into = tmp_path / "verified"
    placed = run_suite(
        "submit", "place", str(artifact), "--model", MODEL, "--commit", COMMIT, "--into", str(into), env=env
    )
    assert placed.returncode == 0 and placed.stdout.strip() == str(into.resolve() / FOLDER)
    (artifact / "extra").write_text("")
    refused = run_suite(
        "submit", "place", str(artifact), "--model", MODEL, "--commit", "1" * 40, "--into", str(into), env=env
    )
    assert (
        refused.returncode == 2 and "extra is not a bundle file" in refused.stderr and "Traceback" not in refused.stderr
    )
