"""Verify a release directory and load it: hashes, schema, counts and cross-references."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite._files import iter_jsonl, read_json, sha256_file
from suite._schemas import first_error, validator
from suite.release._manifest import MANIFEST, MANIFEST_CHECKSUM
from suite.release._panel import check_panel
from suite.release._records import FORMAT, FORMAT_VERSION, GuideSet, GuideTrajectory, Question, Subset


@dataclass(frozen=True)
class Release:
    """A verified release, loaded."""

    path: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    """sha256 of ``manifest.json``: with the version, what a result cites."""
    questions: tuple[Question, ...]
    subsets: dict[str, Subset]
    guides: dict[str, tuple[GuideTrajectory, ...]]
    guide_sets: dict[str, GuideSet] = field(default_factory=dict)
    """Each guide set's manifest entry (model, source, sampling, counts), by name."""

    @property
    def version(self) -> str:
        """The release's semantic version."""
        return str(self.manifest["release_version"])

    def has_questions_of(self, manifest_sha256: str) -> bool:
        """Whether a run on the release with this manifest sha256 asked these very questions.

        True for this release and every release it derives from (``derived_from``): add-guide and subsets copy the
        questions unchanged, so guide and panel runs on the first build serve every later version.
        """
        lineage = {d["manifest_sha256"] for d in self.manifest.get("derived_from", [])}
        return manifest_sha256 == self.manifest_sha256 or manifest_sha256 in lineage


def verify_release(path: Path) -> Release:
    """Check everything about the release at ``path`` and return it loaded.

    Raises SuiteError naming the first problem (file, expected vs actual) and the fix.
    """
    if not path.is_dir():
        raise SuiteError(f"release {path} does not exist or is not a folder; build one with `suite release build`.")
    manifest, digest = _read_manifest(path)
    _check_files(path, manifest["files"])
    questions = _load_questions(path, manifest)
    ids = {q.id for q in questions}
    subsets = {name: _load_subset(path, manifest, name, ids) for name in manifest["subsets"]}
    guide_sets = {g["name"]: GuideSet.from_json(g) for g in manifest["guides"]}
    guides = {name: _load_guide(path, manifest, g, ids) for name, g in guide_sets.items()}
    check_panel(path, manifest, subsets, set(guide_sets))
    return Release(path, manifest, digest, tuple(questions), subsets, guides, guide_sets)


def _read_manifest(root: Path) -> tuple[dict[str, Any], str]:
    manifest_path, checksum_path = root / MANIFEST, root / MANIFEST_CHECKSUM
    if not manifest_path.is_file():
        raise SuiteError(f"{root} is not a release: it has no {MANIFEST}; build one with `suite release build`.")
    if not checksum_path.is_file():
        raise SuiteError(f"{checksum_path} is missing; the release is incomplete: rebuild it.")
    data = manifest_path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    recorded = checksum_path.read_bytes()
    if recorded != f"{actual}  {MANIFEST}\n".encode():
        shown = recorded.decode("utf-8", errors="replace").strip()[:80] or "nothing"
        raise SuiteError(
            f"{manifest_path} or {MANIFEST_CHECKSUM} was modified: the manifest's sha256 is {actual} but "
            f"{MANIFEST_CHECKSUM} holds {shown!r}; restore the original release or rebuild it."
        )
    manifest = read_json(manifest_path)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SuiteError(f"{manifest_path} is not an off-trajectory suite release manifest; check the path.")
    version = manifest.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise SuiteError(
            f"{manifest_path} has release format {version}, newer than this suite reads ({FORMAT_VERSION}); "
            "upgrade the suite (pip install -U off-trajectory-suite)."
        )
    problem = first_error(validator("release"), manifest)
    if problem:
        raise SuiteError(f"{manifest_path} does not match schemas/release.schema.json: {problem}.")
    return manifest, actual


def _check_files(root: Path, files: dict[str, dict[str, Any]]) -> None:
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {MANIFEST, MANIFEST_CHECKSUM}
    for rel in sorted(set(files) - present):
        raise SuiteError(f"{root / rel} is listed in the manifest but missing; restore it or rebuild the release.")
    for rel in sorted(present - set(files)):
        raise SuiteError(f"{root / rel} is not listed in the manifest; remove it or rebuild the release.")
    for rel, entry in files.items():
        path = root / rel
        digest = sha256_file(path)
        if digest != entry["sha256"]:
            size = path.stat().st_size
            raise SuiteError(
                f"{path} was modified or truncated: sha256 expected {entry['sha256']}, found {digest} "
                f"({size} bytes, expected {entry['bytes']}); restore the original release or rebuild it."
            )


def _rows(root: Path, rel: str, files: dict[str, dict[str, Any]], definition: str) -> list[dict[str, Any]]:
    v = validator("release", definition)
    rows = []
    for number, row in iter_jsonl(root / rel):
        problem = first_error(v, row)
        if problem:
            raise SuiteError(f"{root / rel} line {number} is not a valid {definition}: {problem}; rebuild the release.")
        rows.append(row)
    if len(rows) != files[rel]["rows"]:
        raise SuiteError(f"{root / rel} has {len(rows)} rows, the manifest says {files[rel]['rows']}; rebuild it.")
    return rows


def _load_questions(root: Path, manifest: dict[str, Any]) -> list[Question]:
    questions = [Question(**row) for row in _rows(root, "questions.jsonl", manifest["files"], "question")]
    seen: set[str] = set()
    counts: dict[str, int] = {}
    for q in questions:
        if q.id in seen:
            raise SuiteError(f"{root / 'questions.jsonl'} repeats the id {q.id!r}; rebuild the release.")
        seen.add(q.id)
        counts[q.benchmark] = counts.get(q.benchmark, 0) + 1
    declared = {b["name"]: b["count"] for b in manifest["benchmarks"]}
    if counts != declared:
        raise SuiteError(
            f"{root / 'questions.jsonl'} holds {counts} questions per benchmark, the manifest declares {declared}; "
            "rebuild the release."
        )
    return questions


def _load_subset(root: Path, manifest: dict[str, Any], name: str, ids: set[str]) -> Subset:
    rel = f"subsets/{name}.json"
    if rel not in manifest["files"]:
        raise SuiteError(f"the manifest of {root} names subset {name!r} but lists no {rel}; rebuild the release.")
    value = read_json(root / rel)
    problem = first_error(validator("release", "subset"), value)
    if problem:
        raise SuiteError(f"{root / rel} is not a valid subset: {problem}; rebuild the release.")
    unknown = [i for i in value["ids"] if i not in ids]
    if unknown:
        raise SuiteError(f"{root / rel} names {unknown[0]!r}, which is not a question of the release; fix the subset.")
    if value["name"] != name or len(value["ids"]) != manifest["files"][rel]["rows"]:
        raise SuiteError(f"{root / rel} does not match its manifest entry; rebuild the release.")
    return Subset(name, value["description"], tuple(value["ids"]))


def _load_guide(root: Path, manifest: dict[str, Any], entry: GuideSet, ids: set[str]) -> tuple[GuideTrajectory, ...]:
    rel = entry.file
    if rel not in manifest["files"]:
        raise SuiteError(f"the manifest of {root} names guide file {rel} but does not list it; rebuild the release.")
    trajectories = tuple(GuideTrajectory(**row) for row in _rows(root, rel, manifest["files"], "guideTrajectory"))
    for t in trajectories:
        if t.question_id not in ids:
            raise SuiteError(f"{root / rel} has a steer for {t.question_id!r}, not a question of the release.")
        if (t.guide_model, t.guide_revision) != (entry.model, entry.revision):
            raise SuiteError(f"{root / rel} mixes guide models; its manifest entry says {entry.model}.")
    per_question = Counter(t.question_id for t in trajectories)
    samples = Counter((t.question_id, t.sample) for t in trajectories)
    repeated = next((key for key, n in samples.items() if n > 1), None)
    if repeated is not None:
        raise SuiteError(f"{root / rel} holds sample {repeated[1]} of {repeated[0]!r} twice; rebuild the guide set.")
    counts = {
        "trajectories": len(trajectories),
        "questions": len(per_question),
        "per_question": max(per_question.values(), default=0),
    }
    for what, actual in counts.items():
        declared = getattr(entry, what)
        if declared is not None and declared != actual:
            raise SuiteError(
                f"the manifest of {root} says guide {entry.name} has {declared} as {what}, its file gives {actual}; "
                "rebuild the guide set."
            )
    return trajectories
