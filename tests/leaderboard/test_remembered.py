"""The leaderboard re-derives a bundle once, when it first arrives, and remembers the verdict across rebuilds."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from suite.leaderboard import build_database
from suite.release import Release, load_release
from tests.leaderboard.bundles import FakeRun, write_fake_bundle
from tests.leaderboard.hostile import Rows, edited_result, retampered


@pytest.fixture(scope="module")
def release(arith_release: Path) -> Release:
    return load_release(arith_release)


def bundle(root: Path, release: Release, name: str) -> Path:
    return write_fake_bundle(root / name.replace("/", "--"), FakeRun(name, 0.5, questions=6, words=8, release=release))


def flip_a_wrong_solo_grade(rows: Rows) -> None:
    row = next(r for r in rows if r["test"] == "solo" and not r["grade"]["correct"])
    row["grade"] = {**row["grade"], "correct": True}


def count(b: Path) -> int:
    return int(json.loads((b / "result.json").read_text())["samples"]["count"])


def test_a_rebuild_grades_nothing_it_has_seen(tmp_path: Path, release: Release) -> None:
    good = [bundle(tmp_path / "in", release, f"org/good-{i}") for i in range(2)]
    bad = retampered(bundle(tmp_path / "in", release, "org/flipped"), flip_a_wrong_solo_grade)
    db = tmp_path / "lb.duckdb"

    first = build_database([str(b) for b in (*good, bad)], db, [release], tmp_path / "site", jobs=1)
    assert [v.status for v in first] == ["accepted", "accepted", "rejected"]
    assert "is graded correct but re-grading its completion gives wrong" in first[2].reason
    assert [v.regraded for v in first[:2]] == [count(b) for b in good]  # every completion graded once
    assert first[2].regraded == count(bad)
    with duckdb.connect(str(db), read_only=True) as con:
        remembered = con.execute("SELECT status, reason, regraded FROM verdicts ORDER BY status, regraded").fetchall()
    assert [r[:2] for r in remembered] == [("accepted", ""), ("accepted", ""), ("rejected", first[2].reason)]
    assert [r[2] for r in remembered] == [*sorted(count(b) for b in good), count(bad)]

    # Rebuilds, in this process and in worker processes: nothing is graded again, every verdict stands.
    for jobs in (1, 2):
        again = build_database([str(b) for b in (*good, bad)], db, [release], tmp_path / f"site{jobs}", jobs=jobs)
        assert [(v.status, v.reason, v.regraded) for v in again] == [
            ("unchanged", "already in the database", 0),
            ("unchanged", "already in the database", 0),
            ("rejected", first[2].reason, 0),
        ]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM verdicts").fetchone() == (3,)

    # Another result.json with the same samples is another bundle: re-derived once, then remembered.
    edited = edited_result(bad, lambda t: t.replace('"notes": []', '"notes": ["edited"]'))
    fresh = build_database([str(edited)], db, [release], tmp_path / "site3", jobs=1)[0]
    assert fresh.status == "rejected" and fresh.regraded == count(bad)
    assert build_database([str(edited)], db, [release], tmp_path / "site4", jobs=1)[0].regraded == 0
