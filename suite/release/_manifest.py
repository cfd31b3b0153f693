"""The manifest: what a release holds, with a sha256, byte size and row count for every file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from suite._files import sha256_file

MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.sha256"
"""``<sha256>  manifest.json``: lets verify detect a change to the manifest itself."""


def count_rows(path: Path) -> int:
    """Rows of a release file: lines of a ``.jsonl``, ids of a subset ``.json``."""
    if path.suffix == ".jsonl":
        with path.open("rb") as f:
            return sum(1 for line in f if line.strip())
    value = json.loads(path.read_text(encoding="utf-8"))
    return len(value["ids"])


def describe_files(root: Path) -> dict[str, dict[str, Any]]:
    """Manifest ``files`` entries for every data file under ``root``, by relative POSIX path."""
    entries = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel in (MANIFEST, MANIFEST_CHECKSUM):
            continue
        entries[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size, "rows": count_rows(path)}
    return entries


def write_manifest(root: Path, manifest: dict[str, Any]) -> str:
    """Write ``manifest.json`` and its checksum file; return the manifest's sha256."""
    data = (json.dumps(manifest, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")
    (root / MANIFEST).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (root / MANIFEST_CHECKSUM).write_text(f"{digest}  {MANIFEST}\n", encoding="utf-8")
    return digest
