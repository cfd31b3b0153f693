"""The headline of a result: one row per benchmark plus ``all``, one column per test of the paper's Table 1 (pure).

Every cell is computed from the samples' outcomes, so a headline never repeats a number it was told. The
``all`` row is the result's own metric (the same function, seed and name as ``compute_metrics``): solo is the
macro mean over benchmarks, the steered tests the micro mean over all their generations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from suite.evaluation._samples import Outcome
from suite.protocol import Score, item_score, macro_score

CELLS = (
    "solo",
    "recoverability_shared",
    "recoverability_individual",
    "guidability_shared",
    "guidability_individual",
    "control",
)
"""The headline's tests, in the order of its columns (the names of ``result.json``'s ``tests``)."""

ALL = "all"
"""The row of the whole run (the result's own numbers)."""

PerItem = dict[str, dict[str, dict[str, list[bool]]]]
"""cell -> benchmark -> question id -> the outcomes of that question's generations in the cell."""


@dataclass(frozen=True)
class HeadlineRow:
    """One benchmark (or ``all``): each test's score, and the shared recoverability coverage."""

    benchmark: str
    scores: Mapping[str, Score]
    """Every name of ``CELLS`` -> its score (value None where the test has no items)."""
    coverage: tuple[int, int] | None
    """(questions covered, questions in the release's shared list); only the ``all`` row has it."""


def cell_of(outcome: Outcome) -> str:
    """The headline test a generation belongs to."""
    if outcome.test in ("solo", "control"):
        return outcome.test
    return f"{outcome.test}_{outcome.subset}"


def per_item(outcomes: Iterable[Outcome]) -> PerItem:
    """Every generation's outcome, grouped by test, benchmark and question."""
    grouped: PerItem = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for o in outcomes:
        grouped[cell_of(o)][o.benchmark][o.question_id].append(o.correct)
    return grouped


def _merged(benchmarks: Mapping[str, Mapping[str, Sequence[bool]]]) -> dict[str, list[bool]]:
    """Items of every benchmark in one mapping (question ids are unique across a release's benchmarks)."""
    merged: dict[str, list[bool]] = defaultdict(list)
    for items in benchmarks.values():
        for question_id, outcomes in items.items():
            merged[question_id].extend(outcomes)
    return merged


def _run_name(cell: str) -> str:
    """``compute_metrics``'s name of a test's mean (so the ``all`` row draws the same bootstrap)."""
    if cell == "solo":
        return "solo/macro"
    if cell == "control":
        return "guidability/control/mean"
    test, _, subset = cell.partition("_")
    return f"{test}/{subset}/mean"


def headline(outcomes: Iterable[Outcome], seed: int, shared_recoverability_size: int) -> list[HeadlineRow]:
    """One row per benchmark (sorted), then ``all``; ``seed`` is the run's, as the result's metrics use it."""
    grouped = per_item(outcomes)
    benchmarks = sorted({b for per_benchmark in grouped.values() for b in per_benchmark})
    rows = []
    for b in benchmarks:
        # Solo per benchmark is the result's own per_benchmark cell; a steered test's cell draws with the name of
        # the test's mean, so a release of one benchmark shows the same interval in its row and in ``all``.
        scores = {
            c: item_score(grouped.get(c, {}).get(b, {}), seed, f"solo/{b}" if c == "solo" else _run_name(c))
            for c in CELLS
        }
        rows.append(HeadlineRow(b, scores, None))
    whole = {
        c: macro_score(grouped.get(c, {}), seed, _run_name(c))
        if c == "solo"
        else item_score(_merged(grouped.get(c, {})), seed, _run_name(c))
        for c in CELLS
    }
    shared = grouped.get("recoverability_shared")
    coverage = (len(_merged(shared)), shared_recoverability_size) if shared else None
    rows.append(HeadlineRow(ALL, whole, coverage))
    return rows


def compact(score: Score) -> str:
    """``74.9 ±3.1``: percent, ± the larger distance from the value to an end of its 95% interval; ``-`` if empty."""
    if score.value is None or score.ci_low is None or score.ci_high is None:
        return "-"
    margin = max(score.value - score.ci_low, score.ci_high - score.value)
    return f"{100 * score.value:.1f} ±{100 * margin:.1f}"


def coverage_text(row: HeadlineRow) -> str:
    """``18/20`` for the ``all`` row of a run with shared recoverability, else ``-``."""
    return f"{row.coverage[0]}/{row.coverage[1]}" if row.coverage else "-"
