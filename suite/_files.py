"""Small I/O helpers shared by every module that reads or writes suite files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from suite._errors import SuiteError


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning a missing file or bad encoding into a SuiteError."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SuiteError(f"{path} does not exist; check the path.") from None
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise SuiteError(f"{path} line {line} is not valid UTF-8; re-save the file as UTF-8.") from None


def read_json(path: Path) -> Any:
    """Parse a JSON file; errors name the file and line."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise SuiteError(f"{path} line {e.lineno} is not valid JSON ({e.msg}); fix or regenerate the file.") from None


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line of a JSON Lines file."""
    # split("\n"), not splitlines(): U+2028 and friends may stand unescaped inside a JSON string.
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise SuiteError(f"{path} line {number} is not valid JSON ({e.msg}); fix or remove that line.") from None
        if not isinstance(row, dict):
            raise SuiteError(f"{path} line {number} is not a JSON object; each line must be one object.")
        yield number, row


def dump_jsonl_line(row: dict[str, Any]) -> str:
    """One canonical JSON Lines record (sorted keys, UTF-8, no NaN)."""
    return json.dumps(row, ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n"
