"""The suite's grader on real reasoning traces agrees with the hand-adjudicated labels.

Reads ``../shared/data/traces`` (never copied into the project); skipped where it is missing,
except in CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import json

from suite.grading import GraderPool, grade
from tests.grading.traces import LABELS, SOURCES, Trace, load_labels


def test_labels_cover_every_trace_and_hold_ids_only(traces: list[Trace]) -> None:
    rows = json.loads(LABELS.read_text(encoding="utf-8"))
    assert {(r["source"], r["index"]) for r in rows} == {(t.source, t.index) for t in traces}
    assert len(rows) == len(traces) == 52 * len(SOURCES)
    assert all(set(r) == {"source", "index", "label", "reason"} for r in rows)
    assert all(isinstance(r["label"], bool) for r in rows)


def test_suite_grades_equal_the_adjudicated_labels(traces: list[Trace]) -> None:
    labels = load_labels()
    wrong = [
        (t.source, t.index, labels[(t.source, t.index)], g)
        for t in traces
        if (g := grade(t.response, t.gold)).correct is not labels[(t.source, t.index)]
    ]
    assert not wrong, wrong


def test_the_pool_agrees_on_the_traces(traces: list[Trace]) -> None:
    labels = load_labels()
    with GraderPool(workers=2) as pool:
        grades = pool.grade_all((t.response, t.gold, False) for t in traces)
    assert [g.correct for g in grades] == [labels[(t.source, t.index)] for t in traces]


def test_source_verdicts_differ_only_where_adjudicated(traces: list[Trace]) -> None:
    # The source files' own verdicts (1 correct, 2 wrong, 0 abstained) agree with the labels except for
    # the one abstention, whose final box equals the gold.
    labels = load_labels()
    differ = [(t.source, t.index) for t in traces if (t.eval_result == "1") is not labels[(t.source, t.index)]]
    assert differ == [("deepseek-r1", 50)]
