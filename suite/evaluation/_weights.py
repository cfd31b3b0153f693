"""The model's weights as ``result.json`` records them: each weight file's name, size and sha256; the parameter count.

The sha256s identify the weights whatever the model is called: the leaderboard ranks the same weights
once, under two names or a local path and a Hub id. A Hub model's sha256s are the LFS sha256s the Hub
reports for the files at the resolved commit (no hashing); without an answer from the Hub (offline) the
downloaded files are hashed, streamed. The parameter count is read from the safetensors headers (the
shapes of the tensors; no tensor is loaded), so it is known for a safetensors model and None otherwise.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from suite._errors import SuiteError
from suite._files import sha256_file

WEIGHT_SUFFIXES = (".safetensors", ".bin")
"""What counts as a weight file (safetensors, or PyTorch's pickled ``.bin``)."""
MAX_HEADER_BYTES = 100_000_000
"""The safetensors format's own limit on a header; a larger one is not a safetensors file."""


@dataclass(frozen=True)
class WeightFile:
    """One weight file of the model."""

    file: str
    """Its path inside the model folder or repository (``/``-separated)."""
    size: int
    """Its size in bytes."""
    sha256: str
    """The hex sha256 of its bytes (a Hub LFS file's ``oid``)."""

    def to_json(self) -> dict[str, Any]:
        """The ``model.weights`` entry of ``result.json``."""
        return {"file": self.file, "size": self.size, "sha256": self.sha256}


def is_weight_file(name: str) -> bool:
    """Whether a file name (or path) is a weight file: ``*.safetensors`` or ``*.bin``, not hidden."""
    base = PurePosixPath(name).name
    return base.endswith(WEIGHT_SUFFIXES) and not base.startswith(".")


def weight_paths(folder: Path) -> list[Path]:
    """Every weight file under ``folder`` (links followed: a Hub snapshot is links into its blobs), sorted."""
    return sorted(
        p
        for p in folder.rglob("*")
        if is_weight_file(p.name)
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def local_weights(folder: Path, known: Mapping[Path, str] | None = None) -> tuple[WeightFile, ...]:
    """The weight files of ``folder``, hashed (streamed) unless ``known`` already holds a file's sha256."""
    known = known or {}
    return tuple(
        WeightFile(p.relative_to(folder).as_posix(), p.stat().st_size, known.get(p) or sha256_file(p))
        for p in weight_paths(folder)
    )


def hub_weights(model: str, commit: str, folder: Path, downloaded: bool) -> tuple[WeightFile, ...]:
    """A Hub model's weight files at ``commit``, with the LFS sha256s the Hub reports for them.

    ``downloaded``: the files in ``folder`` are the weights that ran; those are recorded (the Hub's sha256
    when it reports one of the same size, else the file hashed). Otherwise (an openai server holds the
    weights) the repository's ``*.safetensors`` files are recorded from the Hub's listing, or none offline.
    """
    reported = hub_lfs_files(model, commit)
    if not downloaded:
        return tuple(
            WeightFile(name, size, sha)
            for name, (size, sha) in sorted(reported.items())
            if name.endswith(".safetensors")
        )
    out = []
    for path in weight_paths(folder):
        name, size = path.relative_to(folder).as_posix(), path.stat().st_size
        size_and_sha = reported.get(name)
        sha = size_and_sha[1] if size_and_sha and size_and_sha[0] == size else sha256_file(path)
        out.append(WeightFile(name, size, sha))
    return tuple(out)


def hub_lfs_files(model: str, commit: str) -> dict[str, tuple[int, str]]:
    """Weight file -> (size, LFS sha256) as the Hub lists them at ``commit``; empty when the Hub cannot answer."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    try:
        entries = list(HfApi().list_repo_tree(model, recursive=True, revision=commit))
    except Exception:  # offline, rate-limited, a stand-in without the route: the files are hashed instead
        return {}
    found = {}
    for entry in entries:
        if isinstance(entry, RepoFile) and entry.lfs is not None and is_weight_file(entry.path):
            sha = str(entry.lfs.sha256)
            if len(sha) == 64 and all(c in "0123456789abcdef" for c in sha):
                found[entry.path] = (int(entry.lfs.size), sha)
    return found


def safetensors_parameters(path: Path) -> int:
    """The number of parameters in one safetensors file: the product of each tensor's shape, from the header."""
    with path.open("rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise SuiteError(f"{path} is too short to be a safetensors file; re-download the weights.")
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER_BYTES:
            raise SuiteError(f"{path} announces a {length:,}-byte header; it is not a safetensors file.")
        raw = f.read(length)
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        header = None
    if len(raw) != length or not isinstance(header, dict):
        raise SuiteError(f"{path} has no readable safetensors header; re-download the weights.")
    total = 0
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        shape = tensor.get("shape") if isinstance(tensor, dict) else None
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            raise SuiteError(f"{path}: tensor {name[:80]!r} has no valid shape in the header; re-download the weights.")
        total += math.prod(shape)
    return total


def parameter_count(folder: Path) -> int | None:
    """Parameters of the model in ``folder`` from its safetensors headers; None without safetensors weights.

    A sharded checkpoint's ``*.safetensors.index.json`` names the shards that make up the model; only
    those are counted (a repository may also hold a second, consolidated copy of the same tensors).
    """
    files = [p for p in weight_paths(folder) if p.name.endswith(".safetensors")]
    if not files:
        return None
    shards: set[Path] = set()
    for index in sorted(folder.glob("*.safetensors.index.json")):
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(weight_map, dict):
            shards.update(folder / str(shard) for shard in weight_map.values())
    counted = [p for p in files if p in shards] if shards else files
    return sum(safetensors_parameters(p) for p in counted)


def weights_identity(weights: Iterable[Any]) -> str | None:
    """The sha256 of the sorted weight sha256s (safetensors files, else ``.bin`` ones): equal for the same weights.

    ``weights`` is ``result.json``'s ``model.weights`` (untrusted: malformed entries are skipped). None when
    no weight is recorded: such a run is never taken for another model.
    """
    safetensors, pickled = set(), set()
    for entry in weights:
        if not isinstance(entry, Mapping):
            continue
        name, sha = entry.get("file"), entry.get("sha256")
        if not isinstance(name, str) or not isinstance(sha, str) or len(sha) != 64:
            continue
        if name.endswith(".safetensors"):
            safetensors.add(sha)
        elif name.endswith(".bin"):
            pickled.add(sha)
    chosen = safetensors or pickled
    return hashlib.sha256(",".join(sorted(chosen)).encode()).hexdigest() if chosen else None
