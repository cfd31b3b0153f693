"""The plan of a run: which of Table 1's tests run, on how much, and why not, before the model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from suite._errors import SuiteError
from suite.evaluation import EvalConfig, evaluate
from suite.evaluation._plan import TESTS, PlannedTest, incomplete, plan_tests, recorded_tests
from suite.evaluation._run import select_questions
from suite.release import build_release, load_release
from suite.tiny import write_arithmetic_source


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same 10 questions as a complete release (both shared subsets, a guide set) and as a bare one."""
    root = tmp_path_factory.mktemp("plan")
    files = write_arithmetic_source(root / "source", questions=10, shared=4)
    complete = build_release(
        str(files["source"]),
        root / "complete",
        benchmarks=["arith"],
        subsets={"recoverability_shared": files["shared"], "guidability_shared": files["shared"]},
        guides={"oracle": files["guide"]},
    )
    bare = build_release(str(files["source"]), root / "bare", benchmarks=["arith"])
    return {"complete": complete, "bare": bare}


def plan_of(release_dir: Path, **knobs: object) -> dict[str, PlannedTest]:
    config = EvalConfig(model="m", **knobs)  # type: ignore[arg-type]
    release = load_release(release_dir)
    return {t.name: t for t in plan_tests(config, release, select_questions(release, config))}


def test_a_complete_release_runs_every_test_of_table_1(releases: dict[str, Path]) -> None:
    plan = plan_of(releases["complete"], individual_subset_size=6)
    assert list(plan) == list(TESTS) and all(t.runs and t.reason is None for t in plan.values())
    assert (plan["solo"].questions, plan["solo"].generations, plan["solo"].exact) == (10, 80, True)
    # 5 positions x 1 continuation; the solo pass decides the items, so these are upper bounds.
    assert (plan["recoverability_individual"].questions, plan["recoverability_individual"].generations) == (6, 30)
    assert (plan["recoverability_shared"].questions, plan["recoverability_shared"].generations) == (4, 20)
    # one guide set covering every question: 4 fractions x 8 continuations per listed question.
    assert (plan["guidability_shared"].questions, plan["guidability_shared"].generations) == (4, 4 * 4 * 8)
    assert not plan["recoverability_shared"].exact and plan["control"].generations is None
    assert incomplete(list(plan.values())) == []


def test_a_bare_release_says_which_columns_stay_empty_and_why(releases: dict[str, Path]) -> None:
    plan = plan_of(releases["bare"])
    assert plan["solo"].runs and plan["recoverability_individual"].runs
    assert not plan["recoverability_shared"].runs
    assert plan["recoverability_shared"].reason == (
        "release 1.0.0 has an empty recoverability_shared subset (make one with suite release subsets)"
    )
    for name in ("guidability_individual", "guidability_shared", "control"):
        assert not plan[name].runs
        assert plan[name].reason == ("release 1.0.0 has no guide steers (add a guide set with suite release add-guide)")
    assert [t.name for t in incomplete(list(plan.values()))] == [
        "recoverability_shared",
        "guidability_individual",
        "guidability_shared",
        "control",
    ]


def test_knobs_that_leave_tests_out_are_named(releases: dict[str, Path]) -> None:
    plan = plan_of(releases["complete"], tests=("solo",))
    assert [t.reason for t in plan.values() if not t.runs] == ["--tests leaves out recoverability"] * 2 + [
        "--tests leaves out guidability"
    ] * 3
    # --limit keeps the first questions only: the shared lists are the first 4, so --limit 2 keeps 2 of them.
    limited = plan_of(releases["complete"], limit=2)
    assert limited["recoverability_shared"].questions == 2 and limited["solo"].generations == 16


def test_a_planned_test_that_finds_no_item_is_recorded_as_not_run() -> None:
    plan = [PlannedTest(t, True, None, 3, 24, False) for t in TESTS]
    record = recorded_tests(plan, {"individual_recoverability": 0, "guidability_individual": 2, "control_control": 0})
    assert record["recoverability_individual"]["status"] == "not run"
    assert record["recoverability_individual"]["reason"] == "no question qualified (M solved none)"
    assert record["control"] == {
        "status": "not run",
        "reason": "no question M solves in every sample",
        "planned_questions": 3,
        "planned_generations": 24,
        "exact": False,
    }
    assert record["guidability_individual"]["status"] == "run" and record["solo"]["status"] == "run"


def test_require_complete_refuses_before_anything_is_loaded(releases: dict[str, Path], tmp_path: Path) -> None:
    seen: list[list[PlannedTest]] = []

    def no_backend(*_: object) -> tuple[object, object]:
        raise AssertionError("the model must not be loaded")

    config = EvalConfig(model=str(tmp_path / "no-such-model"))
    with pytest.raises(SuiteError) as refused:
        evaluate(
            config,
            releases["bare"],
            tmp_path / "out",
            lambda *_: None,
            backend_factory=no_backend,  # type: ignore[arg-type]
            on_plan=lambda _release, plan: seen.append(plan),
            require_complete=True,
        )
    assert str(refused.value).startswith("--require-complete: 4 test(s) of Table 1 cannot run (recoverability_shared:")
    assert str(refused.value).endswith("; use a complete release or drop --require-complete.")
    assert len(seen) == 1 and not (tmp_path / "out").exists()
