"""``suite compare``: per-test differences with intervals, paired where the items match (golden Markdown file)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from suite._compare import compare, difference, load_runs
from suite.evaluation import validate_bundle
from tests.leaderboard.bundles import FakeRun, write_fake_bundle
from tests.test_show import RUN_A, RUN_B, matches_golden, suite


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding bundles ``a`` and ``b`` (runs of two models on the same questions)."""
    folder = tmp_path_factory.mktemp("compare")
    write_fake_bundle(folder / "a", RUN_A)
    write_fake_bundle(folder / "b", RUN_B)
    return folder


def test_compare_markdown_matches_the_golden_file(
    bundles: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bundles)
    code, out, _ = suite(capsys, "compare", "a", "b", "--markdown")
    assert code == 0
    matches_golden(out, "compare.md")


def test_differences_are_the_results_own_numbers_and_say_how_they_were_drawn(bundles: Path) -> None:
    runs = load_runs([bundles / "a", bundles / "b"])
    (differences,) = compare(runs)
    a, b = (validate_bundle(bundles / x)["metrics"] for x in "ab")
    means = {
        "solo": lambda m: m["solo"]["macro"],
        "recoverability_shared": lambda m: m["recoverability"]["shared"]["mean"],
        "recoverability_individual": lambda m: m["recoverability"]["individual"]["mean"],
        "guidability_shared": lambda m: m["guidability"]["shared"]["mean"],
        "guidability_individual": lambda m: m["guidability"]["individual"]["mean"],
        "control": lambda m: m["guidability"]["control"]["mean"],
    }
    for d in differences:
        assert d.base.value == means[d.cell](a)["value"] and d.other.value == means[d.cell](b)["value"]
        assert d.value == pytest.approx(d.other.value - d.base.value, abs=2e-6)  # type: ignore[operator]
        assert d.value is not None and d.ci_low is not None and d.ci_high is not None
        assert d.ci_low <= d.value <= d.ci_high
    paired = {d.cell: d.paired for d in differences}
    # Both runs answer every question solo, and the shared guidability list is the release's: the same items.
    # Each model's own solved questions make its individual subset and its control items: different items.
    assert paired == {
        "solo": True,
        "recoverability_shared": False,  # each model covers the shared questions it solved at least once
        "recoverability_individual": False,
        "guidability_shared": True,
        "guidability_individual": False,
        "control": False,
    }


def test_a_run_against_itself_differs_by_nothing(
    bundles: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bundles)
    code, out, _ = suite(capsys, "compare", "a", "a", "b")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert len(rows) == 6 and all("+0.0 [+0.0, +0.0]" in row and "paired" in row for row in rows)
    assert out.index("A: org/model-a") < out.index("B: org/model-a") < out.index("C: org/model-b")


def test_pairing_narrows_the_interval_of_the_same_questions() -> None:
    # 40 questions; the second run gets 4 more of 8 right on 5 of them; question difficulty varies a lot.
    base = {"bench": {f"q{i}": [k < i % 9 for k in range(8)] for i in range(40)}}
    other = {
        "bench": {
            q: [k < min(8, sum(v) + 4 * (i < 5)) for k in range(8)] for i, (q, v) in enumerate(base["bench"].items())
        }
    }
    renamed = {"bench": {f"other-{q}": v for q, v in other["bench"].items()}}
    paired, unpaired = (
        difference(base, other, "guidability_shared", 0),
        difference(base, renamed, "guidability_shared", 0),
    )
    assert paired.paired is True and unpaired.paired is False and paired.value == unpaired.value == 0.0625
    assert paired.ci_low is not None and paired.ci_high is not None
    assert unpaired.ci_low is not None and unpaired.ci_high is not None
    assert paired.ci_high - paired.ci_low < (unpaired.ci_high - unpaired.ci_low) / 2
    assert paired.ci_low > 0 > unpaired.ci_low  # the same questions show the gain; independent draws do not


def test_compare_refuses_runs_not_on_one_scale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_fake_bundle(tmp_path / "a", FakeRun("org/a", 0.5, questions=6))
    other_release = write_fake_bundle(tmp_path / "r", FakeRun("org/r", 0.5, questions=6, manifest_sha256="1" * 64))
    judged = write_fake_bundle(tmp_path / "j", FakeRun("org/j", 0.5, questions=6, judged=True))
    code, out, err = suite(capsys, "compare", str(a), str(other_release))
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"B ({other_release}) ran on release 1.0.0 (111111111111) but A ({a}) on release 1.0.0 (000000000000)" in err
    assert err.rstrip().endswith("compare runs of one release.")
    code, out, err = suite(capsys, "compare", str(a), str(judged), "--markdown")
    assert code == 2 and out == ""
    assert (
        f"B ({judged}) was graded with judge judge but A ({a}) with no judge; compare runs graded the same way." in err
    )
    code, _, err = suite(capsys, "compare", str(a))
    assert code == 2 and "needs at least two bundles" in err


def test_a_protocol_variant_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_fake_bundle(tmp_path / "a", FakeRun("org/a", 0.5, questions=6))
    b = write_fake_bundle(tmp_path / "b", FakeRun("org/b", 0.5, questions=6, seed=3))
    code, out, _ = suite(capsys, "compare", str(a), str(b), "--markdown")
    assert code == 0 and out.rstrip().endswith("- flag: B differs from A in seed (a protocol variant)")
    copy = tmp_path / "c"
    shutil.copytree(a, copy)
    code, out, _ = suite(capsys, "compare", str(a), str(copy), "--markdown")
    assert code == 0 and "flag" not in out


def test_compare_validates_every_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_fake_bundle(tmp_path / "a", FakeRun("org/a", 0.5, questions=6))
    b = write_fake_bundle(tmp_path / "b", FakeRun("org/b", 0.5, questions=6))
    result = json.loads((b / "result.json").read_text())
    result["metrics"]["guidability"]["shared"]["mean"]["value"] = 1.0
    (b / "result.json").write_text(json.dumps(result))
    code, out, err = suite(capsys, "compare", str(a), str(b))
    assert code == 2 and out == "" and "metrics.guidability.shared.mean.value is 1.0 but the samples give" in err
