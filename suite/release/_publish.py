"""Publish a verified release to a Hugging Face dataset repository, once, as ``releases/<version>/``.

Layout of the repository (any number of releases side by side; a release is never changed)::

    releases/1.0.0/manifest.json      the release's files, byte for byte as built
    releases/1.0.0/manifest.sha256
    releases/1.0.0/questions.jsonl
    releases/1.0.0/subsets/*.json
    releases/1.0.0/steers/guides/*.jsonl
    releases/1.1.0/...

Publishing returns the commit that holds the release and the sha256 of its ``manifest.json``;
``suite release pull`` takes exactly that pair (see ``suite.release._pull`` for the grammar).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from suite._errors import SuiteError
from suite.release._manifest import MANIFEST, MANIFEST_CHECKSUM
from suite.release._pull import RELEASES_FOLDER, HubRef, check_repo, pull_release
from suite.release._verify import verify_release

if TYPE_CHECKING:
    from huggingface_hub import HfApi


@dataclass(frozen=True)
class Published:
    """Where a release was published, and what to pin."""

    ref: HubRef
    """``hf://datasets/<repo>@<commit>/releases/<version>``."""
    manifest_sha256: str
    """sha256 of ``releases/<version>/manifest.json``: the value to pass to ``pull --sha256``."""
    already: bool
    """True when the repository already held this very release (nothing was uploaded)."""
    endpoint: str
    """The Hub it was published to."""


def publish_release(release_dir: Path, repo: str, token: str | None = None, endpoint: str | None = None) -> Published:
    """Upload the release at ``release_dir`` to dataset ``repo`` in one commit, then pull it back to prove the pin.

    Refuses a release that does not verify, and a version the repository already holds with other
    bytes (releases are immutable: build a new version).
    """
    from huggingface_hub import CommitOperationAdd, HfApi, constants

    check_repo(repo)
    release = verify_release(release_dir)
    hub = endpoint or constants.ENDPOINT
    if constants.HF_HUB_OFFLINE:
        raise SuiteError(f"HF_HUB_OFFLINE is set, so nothing can be published to {hub}; unset it.")
    api = HfApi(endpoint=endpoint, token=token)
    folder = f"{RELEASES_FOLDER}/{release.version}"
    with _hub_errors(repo, hub):
        api.create_repo(repo, repo_type="dataset", exist_ok=True)
        head = api.dataset_info(repo, revision="main").sha
        existing = _existing(api, repo, head, folder) if head else None
    if existing is not None:
        if existing != release.manifest_sha256:
            raise SuiteError(
                f"{repo} already holds release {release.version} (manifest sha256 {existing}), not this one "
                f"({release.manifest_sha256}); releases are immutable: build this one with a new --version."
            )
        assert head is not None
        published = Published(HubRef(repo, head, release.version), existing, True, hub)
    else:
        names = [MANIFEST, MANIFEST_CHECKSUM, *release.manifest["files"]]
        operations = [CommitOperationAdd(f"{folder}/{name}", str(release_dir / name)) for name in names]
        with _hub_errors(repo, hub):
            commit = api.create_commit(
                repo,
                operations,
                commit_message=f"Release {release.version} (manifest sha256 {release.manifest_sha256})",
                repo_type="dataset",
                revision="main",
                parent_commit=head,  # refused if someone else committed since we looked
            )
        published = Published(HubRef(repo, commit.oid, release.version), release.manifest_sha256, False, hub)
    with tempfile.TemporaryDirectory(prefix="suite-publish-check-") as scratch:
        pull_release(str(published.ref), published.manifest_sha256, Path(scratch) / "release", endpoint, token)
    return published


def _existing(api: HfApi, repo: str, head: str, folder: str) -> str | None:
    """sha256 of ``folder/manifest.json`` at ``head``, None when the folder is absent; other files there refuse."""
    from huggingface_hub import hf_hub_download

    found = {
        entry.path
        for entry in api.get_paths_info(repo, [folder, f"{folder}/{MANIFEST}"], repo_type="dataset", revision=head)
    }
    if not found:
        return None
    if f"{folder}/{MANIFEST}" not in found:
        raise SuiteError(
            f"{repo} has a folder {folder} without {MANIFEST}; remove it from the repository, then publish again."
        )
    with tempfile.TemporaryDirectory(prefix="suite-publish-") as scratch:
        path = hf_hub_download(
            repo,
            f"{folder}/{MANIFEST}",
            repo_type="dataset",
            revision=head,
            cache_dir=scratch,
            endpoint=api.endpoint,
            token=api.token,
        )
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@contextmanager
def _hub_errors(repo: str, hub: str) -> Iterator[None]:
    """Turn huggingface_hub's errors into one SuiteError sentence naming the repository and the fix."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        yield
    except SuiteError:
        raise
    except HfHubHTTPError as e:
        status = getattr(e.response, "status_code", None)
        if status in (401, 403):
            raise SuiteError(
                f"{hub} refused to write dataset {repo} (HTTP {status}); set HF_TOKEN (or --token-env VAR) "
                "to a token with write access to it."
            ) from None
        if status in (409, 412):
            raise SuiteError(
                f"dataset {repo} on {hub} changed while publishing (HTTP {status}); run the same command again."
            ) from None
        raise SuiteError(f"{hub} answered HTTP {status} for dataset {repo}; try again later or check --repo.") from None
    except Exception as e:  # huggingface_hub's transport errors differ between versions; all mean "not reached"
        raise SuiteError(
            f"cannot publish to dataset {repo} on {hub} ({type(e).__name__}); check the network and --endpoint."
        ) from None
