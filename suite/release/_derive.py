"""A new release version derived from a verified one, written atomically (releases are immutable).

``add-guide`` (a guide steer set) and ``release subsets`` (the shared subsets of a reference panel) both make
a copy of a release with some files added or replaced and some manifest fields changed; this is that copy.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite.release._manifest import describe_files, write_manifest
from suite.release._verify import Release, verify_release

_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")


def write_derived_release(
    release: Release, out: Path, version: str, manifest: Mapping[str, Any], write: Callable[[Path], None]
) -> Path:
    """Copy ``release`` to a temporary folder beside ``out``, let ``write`` add or replace files in it, then verify.

    ``manifest`` is the new manifest less ``release_version`` and ``files``, which are set here (every file is
    hashed again). Only a release that verifies is renamed to ``out``; nothing is left behind otherwise.
    """
    check_new_version(release, version, out)
    lineage = [
        *release.manifest.get("derived_from", []),
        {"version": release.version, "manifest_sha256": release.manifest_sha256},
    ]
    new = {**manifest, "release_version": version, "derived_from": lineage}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        shutil.copytree(release.path, tmp, dirs_exist_ok=True)
        write(tmp)
        new["files"] = describe_files(tmp)
        write_manifest(tmp, new)
        verify_release(tmp)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def check_new_version(release: Release, version: str, out: Path) -> None:
    """Refuse a version that is not semantic or is the release's own, and an ``out`` that already exists."""
    if not _SEMVER.fullmatch(version) or version == release.version:
        raise SuiteError(f"--version {version!r} must be a semantic version other than {release.version}.")
    if out.exists():
        raise SuiteError(f"{out} already exists; choose another --out.")
