"""``suite submit place``: a verified run's bundle, checked again, copied under ``leaderboard/results/verified/``.

The bundle comes from the GPU runner as an artifact, so nothing in it is trusted: before a single file
is written the model id and commit (from the bound verdict, not from the artifact) must pass the
grammar, the artifact must hold exactly ``result.json`` and ``samples.jsonl.gz`` as regular files (no
links, no folders, nothing hidden), the bundle must validate from scratch (schema, sha256, every metric
recomputed) and ``result.json`` must name that model at that commit. The destination folder is built
from the checked id and commit only and must stay inside the results folder (``--into``, default
``leaderboard/results/verified/``). The copy is atomic: a temporary folder next to the destination, then
one rename.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from suite._errors import SuiteError
from suite.submission._names import COMMIT, model_id_problem
from suite.submission._quote import shown

BUNDLE_FILES = ("result.json", "samples.jsonl.gz")
"""The only entries a verified run's artifact may hold (``suite.evaluation``'s ``RESULT`` and ``SAMPLES``)."""


def verified_folder(model_id: str, commit: str) -> PurePosixPath:
    """``OWNER--NAME/COMMIT[:12]``: where a verified run of ``model_id`` at ``commit`` lives in the results."""
    problem = model_id_problem(model_id)
    if problem:
        raise SuiteError(f"{problem}; pass the id the bound verdict accepted.")
    if not COMMIT.fullmatch(commit):
        raise SuiteError(f"the commit {shown(commit)} is not a full 40-character sha; pass the bound verdict's commit.")
    owner, name = model_id.split("/")  # the grammar forbids '--' inside a part, so the folder name is unambiguous
    folder = PurePosixPath(f"{owner}--{name}") / commit[:12]
    if folder.is_absolute() or any(part in ("", ".", "..") for part in folder.parts) or len(folder.parts) != 2:
        raise SuiteError(f"{shown(model_id)} gives the folder {shown(str(folder))}, which leaves the results folder.")
    return folder


def listing_problems(entries: Mapping[str, int]) -> list[str]:
    """Why an artifact holding ``entries`` (name -> ``lstat`` mode) is not exactly the bundle's two regular files."""
    problems = [f"{shown(n)} is not a bundle file" for n in sorted(entries) if n not in BUNDLE_FILES]
    for name in BUNDLE_FILES:
        mode = entries.get(name)
        if mode is None:
            problems.append(f"{name} is missing")
        elif stat.S_ISLNK(mode):
            problems.append(f"{name} is a symbolic link")
        elif not stat.S_ISREG(mode):
            problems.append(f"{name} is not a regular file")
    return problems


def result_problems(result: Mapping[str, Any], model_id: str, commit: str) -> list[str]:
    """Why ``result.json`` is not a run of ``model_id`` at ``commit`` from the Hub."""
    model = result.get("model")
    if not isinstance(model, Mapping):
        return ["result.json names no model"]
    problems = []
    if model.get("kind") != "hub":
        problems.append(f"result.json's model kind is {shown(str(model.get('kind')))}, not hub")
    if model.get("id") != model_id:
        problems.append(f"result.json's model is {shown(str(model.get('id')))}, not the verdict's {model_id}")
    if model.get("revision") != commit:
        problems.append(f"result.json's revision is {shown(str(model.get('revision')))}, not the verdict's {commit}")
    return problems


def place_bundle(bundle: Path, model_id: str, commit: str, results: Path) -> Path:
    """Check the artifact in ``bundle`` and copy its two files to ``results/OWNER--NAME/SHA12``; returns that folder."""
    from suite.evaluation import validate_bundle

    folder = verified_folder(model_id, commit)
    if bundle.is_symlink() or not bundle.is_dir():
        raise SuiteError(f"{bundle} is not a folder; pass the folder the artifact was downloaded to.")
    entries = {e.name: e.stat(follow_symlinks=False).st_mode for e in os.scandir(bundle)}
    problems = listing_problems(entries)
    if problems:
        raise SuiteError(f"{bundle} is refused: {'; '.join(problems)}; rerun the GPU job.")
    result = validate_bundle(bundle)
    problems = result_problems(result, model_id, commit)
    if problems:
        raise SuiteError(f"{bundle} is refused: {'; '.join(problems)}; the artifact is not the bound run.")
    root = results.resolve()
    destination = root / folder
    if not destination.resolve().is_relative_to(root):
        raise SuiteError(f"{destination} leaves {root}; check that no folder under it is a link.")
    if destination.exists():
        raise SuiteError(f"{destination} already holds a verified run of that commit; remove it first to replace it.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=destination.parent))
    try:
        for name in BUNDLE_FILES:
            shutil.copyfile(bundle / name, staging / name, follow_symlinks=False)
            os.chmod(staging / name, 0o644)
        os.chmod(staging, 0o755)
        os.rename(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return destination
