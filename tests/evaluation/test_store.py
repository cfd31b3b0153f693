"""The durable sample store: append, fsync, read back in key order, tolerate a torn last record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from suite._errors import SuiteError
from suite.evaluation._samples import Sample
from suite.evaluation._store import STORE, SampleStore
from suite.grading import Grade

HEADER: dict[str, Any] = {
    "config": {"seed": 0, "samples": 8},
    "release": {"version": "1.0.0"},
    "model_revision": "sha256:ab",
}


def sample(index: int, text: str = "x") -> Sample:
    return Sample("solo", "arith/1", "arith", index, 11, "0" * 64, text, 3, 4, "stop", Grade(False))


def test_round_trip_in_key_order_with_grades(tmp_path: Path) -> None:
    with SampleStore.open(tmp_path, HEADER) as store:
        store.add_completions([("solo/b", sample(1, "b1")), ("solo/b", sample(0, "b0")), ("solo/a", sample(0, "a0"))])
        store.add_grades([(("solo/b", 0), Grade(True, answer="4")), (("solo/a", 0), Grade(False, answer="5"))])
        assert store.has("solo/b", 2) and not store.has("solo/b", 3)
        graded = [(s.completion, s.grade.correct) for s in store.samples()]
        assert graded == [("a0", False), ("b0", True)]  # b1 has no grade yet
    with SampleStore.open(tmp_path, HEADER) as again:
        assert again.resumed == 3 and again.grades[("solo/b", 0)].answer == "4"
        assert again.sample("solo/b", 1).completion == "b1"
        again.add_completions([("solo/b", sample(1, "changed"))])  # the first copy wins
        assert again.sample("solo/b", 1).completion == "b1"


@pytest.mark.parametrize("cut", [1, 7, 30])
def test_torn_last_record_is_dropped_and_the_store_goes_on(tmp_path: Path, cut: int) -> None:
    with SampleStore.open(tmp_path, HEADER) as store:
        store.add_completions([("solo/a", sample(0, "kept"))])
        store.add_completions([("solo/a", sample(1, "torn \u2028 text"))])
    path = tmp_path / STORE
    data = path.read_bytes()
    path.write_bytes(data[:-cut])  # a crash in the middle of the last write
    with SampleStore.open(tmp_path, HEADER) as store:
        assert store.resumed == 1 and store.has("solo/a", 1) and not store.has("solo/a", 2)
        store.add_completions([("solo/a", sample(1, "again"))])
        store.add_grades([(("solo/a", 1), Grade(True))])
    with SampleStore.open(tmp_path, HEADER) as store:
        assert store.sample("solo/a", 1).completion == "again" and store.grades[("solo/a", 1)].correct


def test_damage_before_the_end_is_named(tmp_path: Path) -> None:
    with SampleStore.open(tmp_path, HEADER) as store:
        store.add_completions([("solo/a", sample(0)), ("solo/a", sample(1))])
    lines = (tmp_path / STORE).read_bytes().splitlines(keepends=True)
    lines[1] = b"{not json\n"
    (tmp_path / STORE).write_bytes(b"".join(lines))
    with pytest.raises(SuiteError, match="line 2 is corrupt"):
        SampleStore.open(tmp_path, HEADER)


def test_another_configuration_is_refused_naming_the_knob(tmp_path: Path) -> None:
    SampleStore.open(tmp_path, HEADER).close()
    with pytest.raises(SuiteError, match=r"a different seed \(0, now 7\)"):
        SampleStore.open(tmp_path, {**HEADER, "config": {"seed": 7, "samples": 8}})
    with pytest.raises(SuiteError, match="a different model_revision"):
        SampleStore.open(tmp_path, {**HEADER, "model_revision": "sha256:cd"})


def test_other_servers_and_grading_workers_resume_the_same_run(tmp_path: Path) -> None:
    one = {**HEADER, "config": {**HEADER["config"], "base_url": "http://a:8000/v1", "grading_workers": 2}}
    with SampleStore.open(tmp_path, one) as store:
        store.add_completions([("solo/a", sample(0, "kept"))])
    moved = {**HEADER, "config": {**HEADER["config"], "base_url": ["http://b:8000/v1", "http://c:8000/v1"]}}
    with SampleStore.open(tmp_path, moved) as store:  # the old string form and a new list, workers left out
        assert store.resumed == 1 and store.sample("solo/a", 0).completion == "kept"
    with pytest.raises(SuiteError, match=r"a different samples \(8, now 4\)"):  # what is measured still binds
        SampleStore.open(tmp_path, {**moved, "config": {**moved["config"], "samples": 4}})


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    with SampleStore.open(tmp_path, HEADER), pytest.raises(SuiteError, match="another suite eval is writing"):
        SampleStore.open(tmp_path, HEADER)
    SampleStore.open(tmp_path, HEADER).close()  # the lock was released
