"""``suite export --parquet``: one row per sample, every field, read back by DuckDB with the same values."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path
from typing import Any

import duckdb
import pytest

from suite._export import GRADE_COLUMNS, SAMPLE_COLUMNS
from suite.evaluation import Sample, write_bundle
from suite.evaluation._bundle import read_samples
from suite.grading import Grade
from tests.leaderboard.bundles import FakeRun, write_fake_bundle
from tests.test_show import suite

PROBLEMS = ("What is $6 \\times 7$?", "It's \"quoted\"; \u00fcber \U0001d538 \u2014 '; DROP TABLE x; --", "")


def with_problems(bundle: Path) -> list[Sample]:
    """Give every sample of ``bundle`` a problem text and a gold answer (hostile ones included); rewrite it."""
    result = json.loads((bundle / "result.json").read_text())
    del result["samples"]
    samples = [
        dataclasses.replace(s, problem=PROBLEMS[i % 3] + s.question_id, answer=f"\\frac{{{i % 7}}}{{2}}")
        for i, s in enumerate(read_samples(bundle / "samples.jsonl.gz"))
    ]
    write_bundle(bundle, result, samples)  # the metrics do not depend on the question's text
    return samples


def expected_row(s: Sample) -> dict[str, Any]:
    row = {k: v for k, v in s.to_json().items() if k != "grade"}
    grade = s.grade.to_json()
    return row | {f"grade_{k}": v for k, v in grade.items()}


def read_back(path: Path) -> list[dict[str, Any]]:
    with duckdb.connect() as con:
        cursor = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return [r | {"grade_details": json.loads(r["grade_details"])} for r in rows]  # JSON text, as parsed


def test_export_reads_back_with_every_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = write_fake_bundle(tmp_path / "b", FakeRun("org/m", 0.5, questions=9))
    samples = with_problems(bundle)
    out = tmp_path / "samples.parquet"
    old = os.umask(0o022)
    try:
        code, printed, err = suite(capsys, "export", str(bundle), "--parquet", str(out))
    finally:
        os.umask(old)
    assert code == 0, err
    assert printed.startswith(f"{out}: {len(samples)} samples, one row each")
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    rows = read_back(out)
    assert len(rows) == len(samples) and rows == [expected_row(s) for s in samples]
    assert {r["problem"][: len(PROBLEMS[1])] for r in rows} >= {PROBLEMS[1]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "samples.parquet"]  # no temporary left


def test_every_field_of_a_sample_and_its_grade_is_a_column() -> None:
    assert list(SAMPLE_COLUMNS) == [f.name for f in dataclasses.fields(Sample) if f.name != "grade"]
    assert list(GRADE_COLUMNS) == [f.name for f in dataclasses.fields(Grade)]
    assert SAMPLE_COLUMNS["position"] == "DOUBLE" and SAMPLE_COLUMNS["steer_contains_answer"] == "BOOLEAN"
    assert GRADE_COLUMNS["details"] == "JSON" and SAMPLE_COLUMNS["problem"] == "VARCHAR"


def test_export_reads_the_named_bundle_even_with_pattern_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # DuckDB would read "b[1]/samples.jsonl.gz" as a pattern matching "b1/samples.jsonl.gz".
    named = write_fake_bundle(tmp_path / "b[1]", FakeRun("org/named", 0.5, questions=3))
    write_fake_bundle(tmp_path / "b1", FakeRun("org/decoy", 0.5, questions=12))
    out = tmp_path / "o'ut[x].parquet"
    code, _, err = suite(capsys, "export", str(named), "--parquet", str(out))
    assert code == 0, err
    assert read_back(out) == [expected_row(s) for s in read_samples(named / "samples.jsonl.gz")]


def test_export_refuses_a_tampered_bundle_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = write_fake_bundle(tmp_path / "b", FakeRun("org/m", 0.5, questions=3))
    (bundle / "samples.jsonl.gz").write_bytes((bundle / "samples.jsonl.gz").read_bytes()[:-9])
    out = tmp_path / "o.parquet"
    code, printed, err = suite(capsys, "export", str(bundle), "--parquet", str(out))
    assert code == 2 and printed == "" and "was modified: sha256 expected" in err and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]
    code, _, err = suite(capsys, "export", str(tmp_path / "b"), "--parquet", str(tmp_path))
    assert code == 2 and f"--parquet {tmp_path} is a folder; name the Parquet file to write" in err
