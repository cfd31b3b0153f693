"""Verifying releases: every byte of every file is covered."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from suite._errors import SuiteError
from suite.release import build_release, verify_release

GUIDE = {
    "question_id": "arith/q1",
    "guide_model": "org/guide",
    "guide_revision": "b" * 40,
    "thinking": "1 plus 1 is 2.",
    "answer": "\\boxed{2}",
    "correct": True,
    "num_tokens": 6,
}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("verify")
    (root / "src").mkdir()
    rows = [{"id": f"q{i}", "problem": f"What is {i} plus {i}?", "answer": str(2 * i)} for i in range(1, 4)]
    (root / "src" / "arith.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "ids.txt").write_text("arith/q2\n")
    (root / "guide.jsonl").write_text(json.dumps(GUIDE) + "\n")
    return build_release(
        str(root / "src"),
        root / "release",
        benchmarks=["arith"],
        subsets={"recoverability_shared": root / "ids.txt"},
        guides={"oracle": root / "guide.jsonl"},
    )


def copy(release: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(release, tmp_path / "copy"))


FILES = [
    "manifest.json",
    "manifest.sha256",
    "questions.jsonl",
    "subsets/recoverability_shared.json",
    "subsets/guidability_shared.json",
    "steers/guides/oracle.jsonl",
]


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("offset", [0, 17, -2])
def test_one_changed_byte_is_named(release: Path, tmp_path: Path, name: str, offset: int) -> None:
    target = copy(release, tmp_path) / name
    data = bytearray(target.read_bytes())
    data[offset] = ord("#") if data[offset] != ord("#") else ord("%")
    target.write_bytes(bytes(data))
    with pytest.raises(SuiteError) as error:
        verify_release(target.parents[len(Path(name).parts) - 1])
    message = str(error.value)
    assert ("manifest.json" if name.startswith("manifest") else name) in message
    assert "restore" in message or "rebuild" in message


@pytest.mark.parametrize("name", FILES[2:])
def test_truncated_file_reports_expected_and_actual_hash(release: Path, tmp_path: Path, name: str) -> None:
    root = copy(release, tmp_path)
    expected = json.loads((root / "manifest.json").read_text())["files"][name]["sha256"]
    data = (root / name).read_bytes()
    (root / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(SuiteError, match=f"{name} was modified or truncated: sha256 expected {expected}, found "):
        verify_release(root)


def test_missing_and_extra_files(release: Path, tmp_path: Path) -> None:
    root = copy(release, tmp_path)
    (root / "notes.txt").write_text("hi")
    with pytest.raises(SuiteError, match=r"notes\.txt is not listed in the manifest"):
        verify_release(root)
    (root / "notes.txt").unlink()
    (root / "steers/guides/oracle.jsonl").unlink()
    with pytest.raises(SuiteError, match=r"oracle\.jsonl is listed in the manifest but missing"):
        verify_release(root)


def rewrite_manifest(root: Path, change: dict[str, object]) -> None:
    manifest = json.loads((root / "manifest.json").read_text()) | change
    data = (json.dumps(manifest, indent=2) + "\n").encode()
    (root / "manifest.json").write_bytes(data)
    (root / "manifest.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  manifest.json\n")


def test_newer_format_is_refused(release: Path, tmp_path: Path) -> None:
    root = copy(release, tmp_path)
    rewrite_manifest(root, {"format_version": 2, "something_new": True})
    with pytest.raises(SuiteError, match=r"release format 2, newer than this suite reads \(1\); upgrade the suite"):
        verify_release(root)


def test_manifest_schema_violation(release: Path, tmp_path: Path) -> None:
    root = copy(release, tmp_path)
    rewrite_manifest(root, {"release_version": "one"})
    with pytest.raises(SuiteError, match=r"does not match schemas/release.schema.json: .* at release_version"):
        verify_release(root)


def test_not_a_release(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"has no manifest\.json"):
        verify_release(tmp_path)


def test_loaded_release_keeps_every_field(release: Path) -> None:
    loaded = verify_release(release)
    assert [q.id for q in loaded.questions] == ["arith/q1", "arith/q2", "arith/q3"]
    assert loaded.questions[1].answer == "4"
    assert loaded.guides["oracle"][0].thinking == GUIDE["thinking"]
    assert len(loaded.manifest_sha256) == 64
