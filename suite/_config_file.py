"""``suite eval --config FILE``: a TOML or YAML file of options, read into plain values with its sha256."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from suite._errors import SuiteError

SUFFIXES = (".toml", ".yaml", ".yml")


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's top-level table as a dict, and its record: ``{"path", "sha256", "values"}``.

    TOML is read with the standard library; YAML with PyYAML (a dependency of huggingface-hub, so always
    present), safe loading only. Values must be JSON (they are recorded in ``result.json``).
    """
    if path.suffix not in SUFFIXES:
        raise SuiteError(f"--config {path} is neither .toml nor .yaml/.yml; name the file for its format.")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SuiteError(
            f"--config {path} cannot be read ({e.strerror}); pass an existing TOML or YAML file."
        ) from None
    try:
        values = _parse(path.suffix, data)
    except (ValueError, UnicodeDecodeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SuiteError(f"--config {path} is not valid {path.suffix[1:].upper()} ({first}); fix the file.") from None
    if not isinstance(values, dict):
        raise SuiteError(f"--config {path} must hold keys and values (max-tokens = 320), not a list or a value.")
    try:
        json.dumps(values, allow_nan=False)
    except (TypeError, ValueError):
        raise SuiteError(
            f"--config {path} holds a value that is not a number, text, true/false, list or table; fix the file."
        ) from None
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "values": values}


def _parse(suffix: str, data: bytes) -> Any:
    if suffix == ".toml":
        return tomllib.loads(data.decode("utf-8"))
    import yaml

    try:
        return yaml.safe_load(data.decode("utf-8"))
    except yaml.YAMLError as e:
        raise ValueError(str(e).replace("\n", " ")) from None
