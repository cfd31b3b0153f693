"""The JSON Schemas of ``schemas/`` (shipped inside the package as ``suite/schemas``)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``schemas/<name>.schema.json``, checked to be a valid 2020-12 schema."""
    schema: dict[str, Any] = json.loads((files("suite") / "schemas" / f"{name}.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def validator(name: str, definition: str | None = None) -> Draft202012Validator:
    """A validator for the whole schema, or for one of its ``$defs``."""
    schema = load_schema(name)
    if definition is not None:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    return Draft202012Validator(schema)


def first_error(v: Draft202012Validator, instance: Any) -> str | None:
    """One readable sentence for the first schema violation, or None when valid."""
    error = next(iter(v.iter_errors(instance)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{error.message} at {where or 'top level'}"
