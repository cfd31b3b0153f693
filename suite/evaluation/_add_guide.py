"""``suite release add-guide``: a guide model's finished solo run becomes a guide steer set of a new release."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from suite._errors import SuiteError
from suite.evaluation._bundle import read_samples, validate_bundle
from suite.release import GuideTrajectory, load_release
from suite.release._build import write_jsonl
from suite.release._manifest import describe_files, write_manifest
from suite.steering import format_named


def next_minor(version: str) -> str:
    """1.0.0 -> 1.1.0 (a new guide set adds to the release without breaking it)."""
    major, minor, _ = re.split(r"[.-]", version)[:3]
    return f"{major}.{int(minor) + 1}.0"


def guide_trajectories(bundle: Path) -> list[GuideTrajectory]:
    """One correct, complete trajectory per question solved in the bundle's solo pass (the first such sample)."""
    result = validate_bundle(bundle)
    fmt = format_named(str((result.get("thinking") or {}).get("format", "think")))
    chosen: dict[str, GuideTrajectory] = {}
    for s in sorted(read_samples(bundle / "samples.jsonl.gz"), key=lambda s: (s.question_id, s.sample)):
        complete = s.grade.correct and not s.grade.truncated and s.finish_reason == "stop"
        if s.test != "solo" or not complete or s.question_id in chosen:
            continue
        thinking, answer = fmt.split(s.completion, s.finish_reason)
        if not thinking.strip() or answer is None:
            continue
        chosen[s.question_id] = GuideTrajectory(
            question_id=s.question_id,
            guide_model=result["model"]["id"],
            guide_revision=result["model"]["revision"],
            thinking=thinking,
            answer=answer.strip(),
            correct=True,
            num_tokens=s.completion_tokens,
        )
    return list(chosen.values())


def add_guide(release_dir: Path, bundle: Path, name: str, out: Path, version: str | None = None) -> Path:
    """Write a copy of the release with ``steers/guides/<name>.jsonl`` added and a new version."""
    release = load_release(release_dir)
    result = validate_bundle(bundle)
    if result["release"]["manifest_sha256"] != release.manifest_sha256:
        raise SuiteError(
            f"{bundle} was run on release {result['release']['version']} "
            f"({result['release']['manifest_sha256'][:12]}), "
            f"not on {release_dir}; add guides to the release the guide model was run on."
        )
    if name in release.guides:
        raise SuiteError(f"release {release_dir} already has a guide named {name!r}; choose another --name.")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise SuiteError(f"guide name {name!r} must be lower-case letters, digits, '.', '_' or '-'.")
    if out.exists():
        raise SuiteError(f"{out} already exists; choose another --out.")
    trajectories = guide_trajectories(bundle)
    if not trajectories:
        raise SuiteError(f"{bundle} has no correct, complete solo trajectory to use as a guide steer.")
    manifest = dict(release.manifest)
    manifest["release_version"] = version or next_minor(release.version)
    manifest["guides"] = [
        *release.manifest["guides"],
        {
            "name": name,
            "model": trajectories[0].guide_model,
            "revision": trajectories[0].guide_revision,
            "file": f"steers/guides/{name}.jsonl",
        },
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        shutil.copytree(release.path, tmp, dirs_exist_ok=True)
        (tmp / "steers" / "guides").mkdir(parents=True, exist_ok=True)
        write_jsonl(tmp / "steers" / "guides" / f"{name}.jsonl", [t.to_json() for t in trajectories])
        manifest["files"] = describe_files(tmp)
        write_manifest(tmp, manifest)
        load_release(tmp)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
