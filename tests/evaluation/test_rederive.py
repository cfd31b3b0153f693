"""``suite validate`` re-derives a bundle from its release: every grade, generation, item, steer and count.

Each tampered bundle here passes the checks that recompute metrics from the stored grades (its numbers
follow from its samples); only re-deriving it from the release refuses it, with a sentence that names
the sample.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from suite._errors import SuiteError
from suite.evaluation import validate_bundle
from suite.evaluation._rederive import rederive_bundle
from suite.grading import GradingConfig
from suite.release import Release, load_release
from suite.tiny import build_arithmetic_release
from tests.leaderboard.bundles import FakeRun, write_fake_bundle
from tests.leaderboard.hostile import Rows, _rederivation_cases, edited_result, retampered
from tests.test_cli import run_suite


@pytest.fixture(scope="module")
def release(arith_release: Path) -> Release:
    return load_release(arith_release)


def consistent(root: Path, release: Release, name: str = "org/m", **knobs: Any) -> Path:
    """A synthetic bundle on ``release`` that re-derives (its items and steers are the protocol's)."""
    run = FakeRun(name, 0.5, questions=6, words=8, release=release, **knobs)
    return write_fake_bundle(root / name.replace("/", "--"), run)


def rows_of(bundle: Path) -> list[dict[str, Any]]:
    with gzip.open(bundle / "samples.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def refused(bundle: Path, release: Release) -> str:
    """The one sentence re-deriving ``bundle`` refuses it with (after today's checks accepted it)."""
    validate_bundle(bundle)  # its numbers follow from its samples
    with pytest.raises(SuiteError) as caught:
        rederive_bundle(bundle, release, workers=1)
    message = str(caught.value)
    assert "\n" not in message and message.endswith("."), message
    return message


def test_a_real_tiny_run_validates_with_every_completion_regraded(hf_bundle: Path, arith_release: Path) -> None:
    count = json.loads((hf_bundle / "result.json").read_text())["samples"]["count"]
    check = run_suite("validate", str(hf_bundle), "--release", str(arith_release))
    assert check.returncode == 0, check.stderr
    assert f"{count} completions re-graded alike" in " ".join(check.stdout.split())
    _, found = rederive_bundle(hf_bundle, load_release(arith_release), workers=2)
    assert found.samples == found.regraded == count and found.judged == 0
    requests = {
        (r["test"], r["subset"], r["question_id"], r["position"], r["fraction"], r["guide"], r["guide_sample"])
        for r in rows_of(hf_bundle)
    }
    assert found.requests == len(requests)  # each request's samples are there, and nothing else


def test_a_real_grade_flipped_with_its_metrics_is_named(hf_bundle: Path, arith_release: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(hf_bundle, tmp_path / "flipped"))
    first = rows_of(copy)[0]
    was = first["grade"]["correct"]

    def flip(rows: Rows) -> None:
        rows[0]["grade"] = {**rows[0]["grade"], "correct": not was, "timed_out": False}

    retampered(copy, flip)
    message = refused(copy, load_release(arith_release))
    assert f"line 1: the {first['test']} sample {first['sample']} of {first['question_id']}" in message
    graded, regraded = ("correct", "wrong") if not was else ("wrong", "correct")
    assert f"is graded {graded} but re-grading its completion gives {regraded}" in message
    check = run_suite("validate", str(copy), "--release", str(arith_release))
    assert check.returncode == 2 and message in " ".join(check.stderr.split()) and "Traceback" not in check.stderr


def test_flipped_dropped_extra_and_chosen_by_hand_are_refused(tmp_path: Path, release: Release) -> None:
    made: list[Path] = []

    def make(name: str) -> Path:
        made.append(consistent(tmp_path, release, f"evil/{name}"))
        return made[-1]

    expected: dict[Path, str | None] = {}
    _rederivation_cases(make, expected)
    assert len(expected) == 4
    for bundle, reason in expected.items():
        assert reason is not None and reason in refused(bundle, release), bundle.name
    flipped = refused(next(b for b in expected if b.name == "evil--grades-flipped"), release)
    assert re.search(r"line \d+: the solo sample \d of arith/\S+ is graded correct but re-grading", flipped)
    dropped = refused(next(b for b in expected if b.name == "evil--sample-dropped"), release)
    assert re.search(
        r"the guidability sample \d of arith/\S+ \((shared|individual), guide oracle trajectory \d+, fraction", dropped
    )


def test_a_good_synthetic_bundle_validates_on_the_command_line(tmp_path: Path, release: Release) -> None:
    bundle = consistent(tmp_path, release)
    check = run_suite("validate", str(bundle), "--release", str(release.path), "--grading-workers", "1")
    assert check.returncode == 0, check.stderr
    assert "requests the protocol implies present with their steers" in " ".join(check.stdout.split())


def test_a_guide_steer_other_than_the_releases_is_refused(tmp_path: Path, release: Release) -> None:
    bundle = consistent(tmp_path, release)

    def shorter(rows: Rows) -> None:
        row = next(r for r in rows if r["test"] == "guidability")
        row["steer_text"] = row["steer_text"][:-1]

    message = refused(retampered(bundle, shorter), release)
    assert "has a steer_text other than the one its request gives" in message and ", guide oracle trajectory" in message


def test_a_distractor_other_than_the_drawn_one_is_refused(tmp_path: Path, release: Release) -> None:
    """Every solo trajectory of the synthetic run has the same words, so only the seeded draw can tell."""
    bundle = consistent(tmp_path, release)

    def redrawn(rows: Rows) -> None:
        row = next(r for r in rows if r["test"] == "recoverability")
        solved = {r["question_id"] for r in rows if r["test"] == "solo" and r["grade"]["correct"]}
        row["distractor_question_id"] = next(
            q for q in sorted(solved) if q not in (row["question_id"], row["distractor_question_id"])
        )

    message = refused(retampered(bundle, redrawn), release)
    assert "has a distractor_question_id other than the one its request gives" in message


def test_the_coverage_denominator_follows_from_the_release(tmp_path: Path, release: Release) -> None:
    bundle = consistent(tmp_path, release, "evil/x")  # a run with shared recoverability items
    assert "shared" in json.loads((bundle / "result.json").read_text())["metrics"]["recoverability"]

    def larger(text: str) -> str:
        result = json.loads(text)
        result["items"]["shared_recoverability"] += 1
        result["metrics"]["recoverability"]["shared"]["coverage"]["total"] += 1
        return json.dumps(result)

    message = refused(edited_result(bundle, larger), release)
    assert "items.shared_recoverability is 6 but the release, the seed and the solo grades give 5" in message


def test_another_grader_version_or_release_is_refused_with_one_sentence(tmp_path: Path, release: Release) -> None:
    bundle = consistent(tmp_path, release)
    installed = GradingConfig().to_json()["math_verify_version"]
    older = edited_result(
        Path(__import__("shutil").copytree(bundle, tmp_path / "older")),
        lambda t: t.replace(f'"math_verify_version": "{installed}"', '"math_verify_version": "0.0.1"'),
    )
    assert f"graded with math-verify 0.0.1 but {installed} is installed; install math-verify==0.0.1" in refused(
        older, release
    )
    other = load_release(build_arithmetic_release(tmp_path / "other", questions=8, shared=3))
    with pytest.raises(SuiteError, match=r"was run on release 1\.0\.0 .* pass the bundle's release with --release"):
        rederive_bundle(bundle, other, workers=1)
    check = run_suite("validate", str(bundle), "--release", str(other.path))
    assert check.returncode == 2 and "pass the bundle's release with --release" in check.stderr
    missing = run_suite("validate", str(bundle), "--release", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.parametrize(
    "note",
    [
        "arith/x: the steered prompt has 10 tokens and M's context is 2048; not run",  # fits: it had to run
        "arith/x: the steered prompt has 5000 tokens and M's context is 4096; not run",  # another context
        "arith/x: the steered prompt has many tokens and M's context is 2048; not run",  # not what suite eval writes
    ],
)
def test_a_note_that_excuses_a_request_must_say_what_suite_eval_says(
    note: str, hf_bundle: Path, arith_release: Path, tmp_path: Path
) -> None:
    import shutil

    copy = Path(shutil.copytree(hf_bundle, tmp_path / "noted"))
    result = json.loads((copy / "result.json").read_text())
    assert result["backend"]["context_length"] == 2048
    result["notes"].append(note)
    (copy / "result.json").write_text(json.dumps(result))
    message = refused(copy, load_release(arith_release))
    assert "does not say what suite eval says of a steered prompt over M's context (2048 tokens)" in message
