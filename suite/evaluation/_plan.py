"""The plan of a run, known before the model loads: which of Table 1's tests run, on how much, and why not (pure).

Table 1 of the paper has six columns per model: the benchmark score (solo), recoverability
on the individual and shared subsets, guidability on both, and the 8/8 control. Whether each
can run depends only on the configuration and the release (its shared subsets and guide
sets), so the plan is printed before a GPU is spent, recorded in ``result.json``, and
``--require-complete`` refuses a run that would leave a column empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from suite.evaluation._config import EvalConfig
from suite.release import Question, Release

TESTS = (
    "solo",
    "recoverability_individual",
    "recoverability_shared",
    "guidability_individual",
    "guidability_shared",
    "control",
)
"""Table 1's columns, in its order."""


@dataclass(frozen=True)
class PlannedTest:
    """One of Table 1's tests as the run will (or will not) carry it out."""

    name: str
    """One of ``TESTS``."""
    runs: bool
    """Whether the run will carry it out."""
    reason: str | None
    """Why it will not run (None when it runs)."""
    questions: int | None
    """Questions it runs on, or at most this many when the solo pass decides (``exact`` is False)."""
    generations: int | None
    """Generations it needs, or at most this many (None: only the solo pass can tell)."""
    exact: bool
    """Whether the counts are exact (False: an upper bound decided by the solo pass)."""

    def to_json(self) -> dict[str, Any]:
        """The entry of ``result.json``'s ``tests`` object (status ``run`` or ``not run``)."""
        return {
            "status": "run" if self.runs else "not run",
            "reason": self.reason,
            "planned_questions": self.questions,
            "planned_generations": self.generations,
            "exact": self.exact,
        }


def _skipped(name: str, reason: str) -> PlannedTest:
    return PlannedTest(name, False, reason, 0, 0, True)


def plan_tests(config: EvalConfig, release: Release, questions: Sequence[Question]) -> list[PlannedTest]:
    """The six tests of Table 1, in order, with what each will run on or why it will not run."""
    ids = {q.id for q in questions}
    narrowed = bool(config.limit or config.benchmarks)
    where = "the questions chosen by --limit/--benchmarks" if narrowed else f"release {release.version}"
    positions = len(config.positions) * config.recoverability_continuations
    per_steer = len(config.guide_fractions) * config.guidability_continuations
    plan = [PlannedTest("solo", True, None, len(questions), len(questions) * config.samples, True)]

    if "recoverability" not in config.tests:
        plan += [_skipped(f"recoverability_{s}", "--tests leaves out recoverability") for s in ("individual", "shared")]
    else:
        individual = min(config.individual_subset_size, len(questions))
        plan.append(
            PlannedTest("recoverability_individual", True, None, individual, individual * positions, exact=False)
        )
        listed = release.subsets["recoverability_shared"].ids if "recoverability_shared" in release.subsets else ()
        shared = [q for q in listed if q in ids]
        if shared:
            plan.append(PlannedTest("recoverability_shared", True, None, len(shared), len(shared) * positions, False))
        else:
            plan.append(_skipped("recoverability_shared", _no_subset(release, "recoverability_shared", listed, where)))

    guides = _guided_questions(release.guides)
    if "guidability" not in config.tests:
        reason = "--tests leaves out guidability"
        plan += [_skipped(t, reason) for t in ("guidability_individual", "guidability_shared", "control")]
    elif not guides:
        reason = f"release {release.version} has no guide steers (add a guide set with suite release add-guide)"
        plan += [_skipped(t, reason) for t in ("guidability_individual", "guidability_shared", "control")]
    else:
        covered = [q.id for q in questions if guides.get(q.id)]
        bound = sum(guides[q] for q in covered) * per_steer
        plan.append(PlannedTest("guidability_individual", True, None, len(covered), bound, exact=False))
        listed = release.subsets["guidability_shared"].ids if "guidability_shared" in release.subsets else ()
        shared = [q for q in listed if q in ids]
        if shared:
            count = sum(guides.get(q, 0) for q in shared) * per_steer
            plan.append(PlannedTest("guidability_shared", True, None, len(shared), count, exact=False))
        else:
            plan.append(_skipped("guidability_shared", _no_subset(release, "guidability_shared", listed, where)))
        control = min(config.control_size, len(covered))
        plan.append(PlannedTest("control", True, None, control, None, exact=False))
    return plan


def _guided_questions(guides: Mapping[str, Sequence[Any]]) -> dict[str, int]:
    """Guide sets with a correct trajectory for each question (a guidability item runs every such set)."""
    count: dict[str, set[str]] = {}
    for name, steers in guides.items():
        for t in steers:
            if t.correct:
                count.setdefault(t.question_id, set()).add(name)
    return {q: len(names) for q, names in count.items()}


def _no_subset(release: Release, name: str, listed: Sequence[str], where: str) -> str:
    if not listed:
        return f"release {release.version} has an empty {name} subset (make one with suite release subsets)"
    return f"none of the {len(listed)} questions of {name} is among {where}"


def incomplete(plan: Sequence[PlannedTest]) -> list[PlannedTest]:
    """The tests of the plan that will not run."""
    return [t for t in plan if not t.runs]


def recorded_tests(plan: Sequence[PlannedTest], counts: Mapping[str, int]) -> dict[str, Any]:
    """``result.json``'s ``tests``: the plan, with a planned test that found no item marked ``not run`` and why."""
    found = {
        "recoverability_individual": ("individual_recoverability", "no question qualified (M solved none)"),
        "recoverability_shared": ("shared_recoverability_covered", "M has no correct trajectory on a listed question"),
        "guidability_individual": ("guidability_individual", "no question M solves in at most 1 of its samples"),
        "control": ("control_control", "no question M solves in every sample"),
    }
    record = {}
    for t in plan:
        entry = t.to_json()
        key, reason = found.get(t.name, ("", ""))
        if t.runs and key and counts.get(key, 1) == 0:
            entry |= {"status": "not run", "reason": reason}
        record[t.name] = entry
    return record
