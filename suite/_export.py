"""``suite export``: a bundle's samples as one Parquet file (pandas, DuckDB, Hugging Face ``datasets`` read it).

One row per sample, in the order of ``samples.jsonl.gz``; a column per ``Sample`` field, and the grade flattened
into ``grade_<field>`` columns (``grade_details`` stays JSON text). Fields that old bundles lack are null.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

from suite._errors import SuiteError
from suite.evaluation._bundle import validate_bundle
from suite.evaluation._samples import Sample
from suite.grading import Grade

_TYPES = {
    "str": "VARCHAR",
    "Test": "VARCHAR",
    "Subset": "VARCHAR",
    "Method": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
}


def _duckdb_type(annotation: object) -> str:
    """The column type of a field annotated ``T`` or ``T | None`` (annotations are strings here)."""
    name = str(annotation).removesuffix(" | None")
    if name == "dict[str, Any]":
        return "JSON"
    return _TYPES[name]


SAMPLE_COLUMNS = {f.name: _duckdb_type(f.type) for f in dataclasses.fields(Sample) if f.name != "grade"}
"""Every field of a sample but its grade, with its column type."""
GRADE_COLUMNS = {f.name: _duckdb_type(f.type) for f in dataclasses.fields(Grade)}
"""Every field of a grade; exported as ``grade_<name>``."""


def _literal(text: str) -> str:
    """A SQL string literal (COPY takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def export_parquet(bundle: Path, out: Path) -> int:
    """Validate ``bundle`` from scratch, then write its samples to ``out`` (atomically, mode 0644 less the umask).

    Returns the number of rows written.
    """
    import duckdb

    if out.is_dir():
        raise SuiteError(
            f"--parquet {out} is a folder; name the Parquet file to write, e.g. {out / 'samples.parquet'}."
        )
    if not out.parent.is_dir():
        raise SuiteError(f"--parquet {out}: the folder {out.parent} does not exist; create it first.")
    result = validate_bundle(bundle)
    samples = (bundle / result["samples"]["file"]).resolve()
    grade_type = "STRUCT(" + ", ".join(f"{k} {v}" for k, v in GRADE_COLUMNS.items()) + ")"
    columns = ", ".join(f"'{k}': '{v}'" for k, v in {**SAMPLE_COLUMNS, "grade": grade_type}.items())
    select = ", ".join([*(f'"{k}"' for k in SAMPLE_COLUMNS), *(f'grade."{k}" AS "grade_{k}"' for k in GRADE_COLUMNS)])
    fd, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    # DuckDB reads a path with * ? [ ] { } as a pattern: it reads the samples through a link of a plain name.
    with tempfile.TemporaryDirectory() as links:
        link = Path(links) / "samples.jsonl.gz"
        link.symlink_to(samples)
        try:
            with duckdb.connect() as con:
                try:
                    copied = con.execute(
                        f"COPY (SELECT {select} FROM read_json({_literal(str(link))}, format = 'newline_delimited', "
                        f"compression = 'gzip', columns = {{{columns}}})) TO {_literal(temporary)} (FORMAT parquet)"
                    ).fetchone()
                except duckdb.Error as e:
                    why = str(e).strip().splitlines()[0][:200]
                    raise SuiteError(
                        f"--parquet {out} could not be written ({why}); check the disk and the path."
                    ) from None
            count = int(copied[0]) if copied else 0
            if count != result["samples"]["count"]:
                raise AssertionError(f"DuckDB copied {count} rows of {result['samples']['count']} samples")
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            os.replace(temporary, out)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return count
