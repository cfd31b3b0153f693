"""Publishing a release to a Hugging Face dataset repository and pulling it back by commit and sha256.

The Hub cannot be reached here: ``huggingface_hub`` runs for real against ``hub_standin.HubStandIn``, a
loopback server that answers the Hub's own HTTP routes. What this does not cover is said in that module.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from suite._errors import SuiteError
from suite.release import (
    HubRef,
    build_release,
    parse_ref,
    publish_release,
    pull_release,
    token_from_env,
    verify_release,
)
from suite.release._manifest import write_manifest
from tests.release.hub_standin import HubStandIn
from tests.test_cli import run_suite

REPO = "suite-org/releases"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
GUIDE = {
    "question_id": "aime24/2024-I-1",
    "guide_model": "org/guide",
    "guide_revision": "b" * 40,
    "thinking": "Let the speed be s; then 9/s + t/60 = 4, and so on.",
    "answer": "\\boxed{204}",
    "correct": True,
    "num_tokens": 20,
}


@pytest.fixture(scope="module")
def release(upstream: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AIME 2024 and 2025 (60 questions) with a shared subset and a guide steer set: files in nested folders."""
    root = tmp_path_factory.mktemp("publish")
    (root / "ids.txt").write_text("aime24/2024-I-1\naime25/2025-II-15\n")
    (root / "guide.jsonl").write_text(json.dumps(GUIDE) + "\n")
    return build_release(
        str(upstream),
        root / "release",
        benchmarks=["aime24", "aime25"],
        subsets={"recoverability_shared": root / "ids.txt"},
        guides={"oracle": root / "guide.jsonl"},
    )


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubStandIn]:
    """The stand-in, with huggingface_hub allowed to reach it (conftest sets HF_HUB_OFFLINE=1 for the rest)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with HubStandIn() as server:
        yield server


def cli_env(hub: HubStandIn, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = os.environ | {"HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf_home"), "HF_TOKEN": hub.token}
    env.pop("HF_ENDPOINT", None)
    return env | extra


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def manifest_sha256(release: Path) -> str:
    return hashlib.sha256((release / "manifest.json").read_bytes()).hexdigest()


def published(hub: HubStandIn, release: Path) -> tuple[str, str]:
    done = publish_release(release, REPO, token=hub.token, endpoint=hub.url)
    return str(done.ref), done.manifest_sha256


def test_publish_prints_the_pin_and_pull_fetches_exactly_the_release(
    hub: HubStandIn, release: Path, tmp_path: Path
) -> None:
    env = cli_env(hub, tmp_path)
    result = run_suite("release", "publish", str(release), "--repo", REPO, "--endpoint", hub.url, env=env)
    assert result.returncode == 0, result.stderr
    head = hub.repos[REPO].commits[-1].sha
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert lines["commit"] == head
    assert lines["ref"] == f"hf://datasets/{REPO}@{head}/releases/1.0.0"
    assert lines["sha256"] == f"{manifest_sha256(release)}  (of releases/1.0.0/manifest.json)"
    assert verify_release(release).manifest_sha256 == manifest_sha256(release)  # what results cite
    # The layout: releases/<version>/ holds the release byte for byte, and nothing else was added.
    stored = hub.repos[REPO].commits[-1].files
    assert {p: d for p, d in stored.items() if p != ".gitattributes"} == {
        f"releases/1.0.0/{rel}": data for rel, data in files_of(release).items()
    }
    assert len(hub.repos[REPO].commits) == 2  # the repository's first commit, then the release in one commit
    assert {"POST create_repo", "POST preupload", "POST commit", "GET tree", "GET resolve"} <= set(hub.calls)

    out = tmp_path / "pulled" / "release"
    pull = run_suite(
        "release",
        "pull",
        lines["ref"],
        "--sha256",
        manifest_sha256(release),
        "--out",
        str(out),
        "--endpoint",
        hub.url,
        env=env,
    )
    assert pull.returncode == 0, pull.stderr
    assert "the sha256 and every file match" in pull.stdout
    assert files_of(out) == files_of(release)
    assert os.listdir(out.parent) == ["release"]  # no temporary folder left beside it


def test_pull_refuses_a_wrong_sha256_naming_both_and_leaves_nothing(
    hub: HubStandIn, release: Path, tmp_path: Path
) -> None:
    ref, good = published(hub, release)
    wrong = hashlib.sha256(b"another release").hexdigest()
    out = tmp_path / "dir" / "release"
    result = run_suite(
        "release", "pull", ref, "--sha256", wrong, "--out", str(out), "--endpoint", hub.url, env=cli_env(hub, tmp_path)
    )
    assert result.returncode == 2
    assert f"has manifest sha256 {good}, not the pinned {wrong}; refusing it" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and os.listdir(out.parent) == []


def test_a_later_upstream_edit_does_not_change_what_a_pinned_ref_pulls(
    hub: HubStandIn, release: Path, tmp_path: Path
) -> None:
    ref, sha = published(hub, release)
    questions = release / "questions.jsonl"
    edited = questions.read_bytes().replace(b"Aya", b"Bob", 1)
    later = hub.commit(REPO, {"releases/1.0.0/questions.jsonl": edited})
    # The pinned commit still pulls the original bytes ...
    first = pull_release(ref, sha, tmp_path / "a", endpoint=hub.url)
    assert (first.path / "questions.jsonl").read_bytes() == questions.read_bytes()
    # ... and the edited commit, with the same manifest, fails verification: nothing is kept.
    moved = ref.replace(ref.split("@")[1][:40], later)
    with pytest.raises(SuiteError, match=r"does not verify: .*questions.jsonl was modified or truncated"):
        pull_release(moved, sha, tmp_path / "b", endpoint=hub.url)
    assert not (tmp_path / "b").exists()
    # An edited manifest changes the sha256 itself.
    manifest = (release / "manifest.json").read_bytes().replace(b'"1.0.0"', b'"1.0.1"', 1)
    touched = hub.commit(REPO, {"releases/1.0.0/manifest.json": manifest})
    with pytest.raises(SuiteError, match=f"has manifest sha256 {hashlib.sha256(manifest).hexdigest()}, not the pinned"):
        pull_release(ref.replace(ref.split("@")[1][:40], touched), sha, tmp_path / "c", endpoint=hub.url)
    assert not (tmp_path / "c").exists()


def test_publishing_is_once_per_version(hub: HubStandIn, release: Path, tmp_path: Path) -> None:
    first = publish_release(release, REPO, token=hub.token, endpoint=hub.url)
    again = publish_release(release, REPO, token=hub.token, endpoint=hub.url)
    assert again.already and not first.already and again.ref == first.ref
    assert len(hub.repos[REPO].commits) == 2  # nothing uploaded the second time
    other = Path(shutil.copytree(release, tmp_path / "other"))  # the same version, built at another time
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["created"] = "2000-01-01T00:00:00Z"
    write_manifest(other, manifest)
    with pytest.raises(SuiteError, match=r"already holds release 1.0.0 \(manifest sha256 [0-9a-f]{64}\), not this one"):
        publish_release(other, REPO, token=hub.token, endpoint=hub.url)
    assert len(hub.repos[REPO].commits) == 2


def test_publish_needs_a_write_token_and_a_verified_release(hub: HubStandIn, release: Path, tmp_path: Path) -> None:
    env = cli_env(hub, tmp_path)
    del env["HF_TOKEN"]
    result = run_suite("release", "publish", str(release), "--repo", REPO, "--endpoint", hub.url, env=env)
    assert result.returncode == 2
    assert f"refused to write dataset {REPO} (HTTP 401); set HF_TOKEN" in result.stderr
    with pytest.raises(SuiteError, match="--token-env SUITE_TEST_NO_SUCH_VAR: the environment variable SUITE_TEST_NO"):
        token_from_env("SUITE_TEST_NO_SUCH_VAR")
    broken = Path(shutil.copytree(release, tmp_path / "broken"))
    (broken / "questions.jsonl").write_bytes((broken / "questions.jsonl").read_bytes()[:-10])
    with pytest.raises(SuiteError, match=r"questions\.jsonl was modified or truncated"):
        publish_release(broken, REPO, token=hub.token, endpoint=hub.url)
    with pytest.raises(SuiteError, match=r"--repo 'not a repo' is not a Hugging Face repository id"):
        publish_release(release, "not a repo", token=hub.token, endpoint=hub.url)
    assert hub.repos == {}  # nothing was created or uploaded


def test_large_files_go_through_lfs_and_come_back(
    release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files the Hub marks "lfs" (legacy LFS transfer; Xet storage is not modelled by the stand-in)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    with HubStandIn(lfs_from_bytes=4096) as hub:
        ref, sha = published(hub, release)
        assert "releases/1.0.0/questions.jsonl" in hub.repos[REPO].commits[-1].lfs
        assert {"POST lfs_batch", "PUT lfs_upload"} <= set(hub.calls)
        pulled = pull_release(ref, sha, tmp_path / "r", endpoint=hub.url)
    assert files_of(pulled.path) == files_of(release)


def test_pull_names_a_missing_commit_or_repository(hub: HubStandIn, release: Path, tmp_path: Path) -> None:
    ref, sha = published(hub, release)
    with pytest.raises(SuiteError, match=re.escape(f"the dataset {REPO} on {hub.url} has no commit {COMMIT}")):
        pull_release(ref.replace(ref.split("@")[1][:40], COMMIT), sha, tmp_path / "a", endpoint=hub.url)
    with pytest.raises(SuiteError, match=re.escape(f"no dataset someone/else on {hub.url}")):
        pull_release(f"hf://datasets/someone/else@{COMMIT}/releases/1.0.0", sha, tmp_path / "b", endpoint=hub.url)
    with pytest.raises(SuiteError, match=re.escape("has no folder releases/2.0.0 at commit")):
        pull_release(ref.replace("/releases/1.0.0", "/releases/2.0.0"), sha, tmp_path / "c", endpoint=hub.url)
    assert sorted(os.listdir(tmp_path)) == []


def test_pull_refuses_when_the_hub_is_switched_off(
    release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    ref = f"hf://datasets/{REPO}@{COMMIT}/releases/1.0.0"
    with pytest.raises(SuiteError, match=re.escape(f"HF_HUB_OFFLINE is set, so {ref} cannot be downloaded")):
        pull_release(ref, manifest_sha256(release), tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_pull_from_a_local_folder_or_file_url_is_sha256_checked_too(release: Path, tmp_path: Path) -> None:
    sha = manifest_sha256(release)
    result = run_suite("release", "pull", str(release), "--sha256", sha.upper(), "--out", str(tmp_path / "r0"))
    assert result.returncode == 0, result.stderr
    assert files_of(tmp_path / "r0") == files_of(release)
    assert files_of(pull_release(f"file://{release}", sha, tmp_path / "r1").path) == files_of(release)
    with pytest.raises(SuiteError, match=f"has manifest sha256 {sha}, not the pinned {'f' * 64}; refusing it"):
        pull_release(str(release), "f" * 64, tmp_path / "w")
    tampered = Path(shutil.copytree(release, tmp_path / "tampered"))
    (tampered / "subsets" / "recoverability_shared.json").write_text('{"tampered": true}\n')
    with pytest.raises(SuiteError, match=r"does not verify: .*recoverability_shared\.json was modified"):
        pull_release(str(tampered), sha, tmp_path / "t")
    with pytest.raises(SuiteError, match=r"release folder /nowhere/at/all does not exist; check the REF\."):
        pull_release("file:///nowhere/at/all", sha, tmp_path / "n")
    assert sorted(os.listdir(tmp_path)) == ["r0", "r1", "tampered"]  # nothing half-written


VALID = [
    (f"hf://datasets/{REPO}@{COMMIT}/releases/1.0.0", HubRef(REPO, COMMIT, "1.0.0")),
    (f"hf://datasets/a.b/c_d-e@{COMMIT}/releases/2.10.3-rc.1", HubRef("a.b/c_d-e", COMMIT, "2.10.3-rc.1")),
    ("file:///srv/releases/1.0.0", Path("/srv/releases/1.0.0")),
    ("releases/1.0.0", Path("releases/1.0.0")),
]
NO_COMMIT = [
    f"hf://datasets/{REPO}@main/releases/1.0.0",
    f"hf://datasets/{REPO}@v1.0.0/releases/1.0.0",
    f"hf://datasets/{REPO}@{COMMIT[:7]}/releases/1.0.0",
    f"hf://datasets/{REPO}@{COMMIT.upper()}/releases/1.0.0",
    f"hf://datasets/{REPO}/releases/1.0.0",
    f"hf://datasets/{REPO}@/releases/1.0.0",
]
NOT_A_REF = [
    f"hf://models/{REPO}@{COMMIT}/releases/1.0.0",
    f"hf://datasets/{REPO}@{COMMIT}/release/1.0.0",
    f"hf://datasets/{REPO}@{COMMIT}/releases/1.0",
    f"hf://datasets/{REPO}@{COMMIT}/releases/1.0.0/questions.jsonl",
    f"hf://datasets/suite--org/x@{COMMIT}/releases/1.0.0",
    f"hf://datasets/{REPO}/extra@{COMMIT}/releases/1.0.0",
    "https://huggingface.co/datasets/suite-org/releases",
    "s3://bucket/releases/1.0.0",
    "file://relative/path",
]


@pytest.mark.parametrize(("ref", "parsed"), VALID)
def test_the_ref_grammar(ref: str, parsed: HubRef | Path) -> None:
    assert parse_ref(ref) == parsed
    if isinstance(parsed, HubRef):
        assert str(parsed) == ref  # what publish prints is what pull reads


@pytest.mark.parametrize("ref", NO_COMMIT)
def test_a_ref_without_a_full_commit_is_refused(ref: str) -> None:
    with pytest.raises(SuiteError, match=r"does not pin a commit: after '@' it needs the repository's full 40-hex"):
        parse_ref(ref)


@pytest.mark.parametrize("ref", NOT_A_REF)
def test_anything_else_is_refused(ref: str) -> None:
    with pytest.raises(SuiteError) as caught:
        parse_ref(ref)
    message = str(caught.value)
    assert message.startswith(f"REF {ref!r} is not hf://datasets/OWNER/NAME@COMMIT/releases/VERSION, file:///PATH")
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence


def test_empty_ref_and_bad_sha256_name_the_image_build_args(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"the release REF is empty; .*--build-arg SUITE_RELEASE_REF=\.\.\.\)\.$"):
        pull_release("", "0" * 64, tmp_path / "r")
    with pytest.raises(SuiteError, match=r"--sha256 'abc' is not a 64-hex sha256; .*--build-arg SUITE_RELEASE_SHA256="):
        pull_release("release", "abc", tmp_path / "r")
    assert not (tmp_path / "r").exists()
