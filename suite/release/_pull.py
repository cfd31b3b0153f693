"""Fetch a published release by reference and sha256, verify it, and only then put it in place.

A reference names one immutable release (README "Publishing a release"):

    REF     = "hf://datasets/" OWNER "/" NAME "@" COMMIT "/releases/" VERSION
            | "file://" ABSOLUTE-PATH          (air-gapped: a release folder on disk)
            | PATH                             (the same, without the scheme)
    OWNER, NAME = a Hugging Face repo id part: letters, digits, "-", "_", "."
    COMMIT  = the dataset repository's full 40-hex commit sha (never a branch, tag or short sha)
    VERSION = the release's semantic version, MAJOR.MINOR.PATCH[-PRERELEASE]

The sha256 pinned with it is that of the release's ``manifest.json`` bytes (``Release.manifest_sha256``,
what every result cites); the manifest holds the sha256 of every other file, which
``verify_release`` checks, so the pair fixes every byte of the release.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from suite._errors import SuiteError
from suite.release._manifest import MANIFEST
from suite.release._verify import Release, verify_release

RELEASES_FOLDER = "releases"
"""Top folder of the dataset repository: ``releases/<version>/`` holds one release, exactly as built."""

_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_VERSION = r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?"
_HUB_REF = re.compile(
    rf"hf://datasets/(?P<repo>{_PART}/{_PART})(?:@(?P<rev>[^/]*))?/{RELEASES_FOLDER}/(?P<version>{_VERSION})"
)
_REPO = re.compile(f"{_PART}/{_PART}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_GRAMMAR = f"hf://datasets/OWNER/NAME@COMMIT/{RELEASES_FOLDER}/VERSION, file:///PATH or a local release folder"


@dataclass(frozen=True)
class HubRef:
    """A release in a Hugging Face dataset repository, pinned to a commit."""

    repo: str
    """Dataset repository id, ``owner/name``."""
    commit: str
    """Full 40-hex commit sha of the repository."""
    version: str
    """Release version: the folder ``releases/<version>``."""

    @property
    def folder(self) -> str:
        """The release's folder in the repository."""
        return f"{RELEASES_FOLDER}/{self.version}"

    def __str__(self) -> str:
        return f"hf://datasets/{self.repo}@{self.commit}/{self.folder}"


def parse_ref(ref: str) -> HubRef | Path:
    """A ``HubRef``, or the local folder of a ``file://`` or plain-path reference; anything else is refused."""
    if not ref.strip():
        raise SuiteError(
            "the release REF is empty; pass the ref that `suite release publish` printed "
            "(image builds: --build-arg SUITE_RELEASE_REF=...)."
        )
    if ref.startswith("hf://"):
        m = _HUB_REF.fullmatch(ref)
        if m is None or ".." in m["repo"] or "--" in m["repo"]:
            raise SuiteError(f"REF {ref!r} is not {_GRAMMAR}; copy the ref `suite release publish` printed.")
        if m["rev"] is None or not _COMMIT.fullmatch(m["rev"]):
            raise SuiteError(
                f"REF {ref!r} does not pin a commit: after '@' it needs the repository's full 40-hex commit sha "
                "(a branch, tag or short sha can move); use the ref `suite release publish` printed."
            )
        return HubRef(m["repo"], m["rev"], m["version"])
    if ref.startswith("file://"):
        path = ref[len("file://") :]
        if not path.startswith("/"):
            raise SuiteError(f"REF {ref!r} is not {_GRAMMAR}: a file:// ref needs an absolute path (file:///...).")
        return Path(path)
    if "://" in ref:
        raise SuiteError(f"REF {ref!r} is not {_GRAMMAR}; copy the ref `suite release publish` printed.")
    return Path(ref)


def check_repo(repo: str) -> str:
    """``repo`` if it is a Hugging Face repository id ``owner/name``, else a SuiteError."""
    if not _REPO.fullmatch(repo) or ".." in repo or "--" in repo:
        raise SuiteError(
            f"--repo {repo!r} is not a Hugging Face repository id OWNER/NAME (letters, digits, '-', '_', '.'); fix it."
        )
    return repo


def check_sha256(value: str) -> str:
    """``value`` as a lower-case 64-hex sha256, or a SuiteError."""
    digest = value.strip().lower()
    if not _SHA256.fullmatch(digest):
        raise SuiteError(
            f"--sha256 {value!r} is not a 64-hex sha256; pass the sha256 `suite release publish` printed "
            "(image builds: --build-arg SUITE_RELEASE_SHA256=...)."
        )
    return digest


def pull_release(ref: str, sha256: str, out: Path, endpoint: str | None = None, token: str | None = None) -> Release:
    """Fetch the release ``ref`` into ``out``: its manifest's sha256 must be ``sha256`` and every file must verify.

    Downloads into a temporary folder beside ``out`` and renames it into place only after
    both checks pass; on any failure nothing is left at ``out``.
    """
    where = parse_ref(ref)
    expected = check_sha256(sha256)
    if out.exists():
        raise SuiteError(f"{out} already exists; choose another --out or remove it first.")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.pulling-"))
    try:
        staged = _download(where, tmp, endpoint, token) if isinstance(where, HubRef) else _copy_local(where, tmp)
        release = _check(staged, ref, expected)
        if isinstance(where, HubRef) and release.version != where.version:
            raise SuiteError(
                f"{ref} holds release {release.version}, not {where.version} as its folder says; "
                "the repository is mislabelled: publish the release again with `suite release publish`."
            )
        staged.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return replace(release, path=out)


def _check(staged: Path, ref: str, expected: str) -> Release:
    manifest = staged / MANIFEST
    if not manifest.is_file():
        raise SuiteError(f"{ref} has no {MANIFEST}; it is not a release: check the REF.")
    actual = hashlib.sha256(manifest.read_bytes()).hexdigest()
    if actual != expected:
        raise SuiteError(
            f"the release at {ref} has manifest sha256 {actual}, not the pinned {expected}; refusing it: "
            "the ref or the sha256 is wrong, or the files were changed."
        )
    try:
        return verify_release(staged)
    except SuiteError as e:
        raise SuiteError(f"the release at {ref} does not verify: {e}") from None


def _copy_local(source: Path, tmp: Path) -> Path:
    if not source.is_dir():
        raise SuiteError(f"release folder {source} does not exist; check the REF.")
    staged = tmp / "release"
    # Links are copied as the files they point to; verification then sees exactly what was read.
    shutil.copytree(source, staged, symlinks=False)
    return staged


def _download(ref: HubRef, tmp: Path, endpoint: str | None, token: str | None) -> Path:
    """``releases/<version>/`` of the repository at the pinned commit, fetched with huggingface_hub."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    if constants.HF_HUB_OFFLINE:
        raise SuiteError(
            f"HF_HUB_OFFLINE is set, so {ref} cannot be downloaded; unset it, or pull a local copy (file:///...)."
        )
    hub = endpoint or constants.ENDPOINT
    try:
        snapshot_download(
            ref.repo,
            repo_type="dataset",
            revision=ref.commit,
            allow_patterns=[f"{ref.folder}/*"],
            local_dir=tmp / "download",
            cache_dir=tmp / "cache",  # the release files land in the temporary folder only
            endpoint=endpoint,
            token=token,
        )
    except RevisionNotFoundError:
        raise SuiteError(f"{ref}: the dataset {ref.repo} on {hub} has no commit {ref.commit}; check the REF.") from None
    except RepositoryNotFoundError:
        raise SuiteError(
            f"{ref}: no dataset {ref.repo} on {hub} (or it is private: set HF_TOKEN); check the REF."
        ) from None
    except HfHubHTTPError as e:
        raise SuiteError(f"{ref}: {hub} answered HTTP {_status(e)}; try again later or check the REF.") from None
    except Exception as e:  # huggingface_hub's transport errors differ between versions; all mean "not reached"
        raise SuiteError(
            f"cannot download {ref} from {hub} ({type(e).__name__}); check the network and --endpoint."
        ) from None
    staged = tmp / "download" / RELEASES_FOLDER / ref.version
    if not staged.is_dir() or not any(staged.iterdir()):
        raise SuiteError(f"{ref}: the dataset {ref.repo} has no folder {ref.folder} at commit {ref.commit}.")
    return staged


def _status(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(getattr(response, "status_code", "error"))


def token_from_env(var: str | None, default: str = "HF_TOKEN") -> str | None:
    """The token in ``$var`` (an explicit ``var`` must be set); ``$HF_TOKEN`` or None by default."""
    if var is None:
        return os.environ.get(default) or None
    value = os.environ.get(var)
    if not value:
        raise SuiteError(f"--token-env {var}: the environment variable {var} is not set; export the token in it.")
    return value
