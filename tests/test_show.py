"""The headline table, ``suite show`` (screen and Markdown, against a golden file), readable result files.

Golden files are rebuilt with ``SUITE_UPDATE_GOLDEN=1 python -m pytest tests/test_show.py tests/test_compare.py``
(then read the diff: every change must be intended).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from suite._headline import ALL, CELLS, compact, headline
from suite._show import markdown_text, show_markdown
from suite._summary import short_revision
from suite.cli import main
from suite.evaluation import validate_bundle
from suite.evaluation._bundle import iter_samples, read_samples, sample_problem
from suite.protocol import Score
from tests.leaderboard.bundles import FakeRun, write_fake_bundle

GOLDEN = Path(__file__).parent / "golden"
RUN_A = FakeRun("org/model-a", 0.6)
RUN_B = FakeRun("org/model-b", 0.7)


def matches_golden(text: str, name: str) -> None:
    """``text`` equals ``tests/golden/NAME`` character for character (``SUITE_UPDATE_GOLDEN=1`` rewrites it)."""
    path = GOLDEN / name
    if os.environ.get("SUITE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def suite(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``suite ARGS`` in this process: exit status, stdout, stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def bundle_a(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_bundle(tmp_path_factory.mktemp("show") / "a", RUN_A)


def test_show_markdown_matches_the_golden_file(
    bundle_a: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bundle_a.parent)
    code, detailed, _ = suite(capsys, "show", "a", "--markdown", "--details")
    assert code == 0
    matches_golden(detailed, "show.md")
    code, short, _ = suite(capsys, "show", "a", "--markdown")
    assert code == 0
    # Without --details: the headline table and its note only, the same text the details start with.
    assert detailed.startswith(short) and "####" not in short and detailed.count("####") == 6
    table = [line for line in short.splitlines() if line.startswith("|")]
    assert table[0].split(" | ")[1:] == [
        "Pass@1",
        "recov. shared",
        "recov. individual",
        "guid. shared",
        "guid. individual",
        "control",
        "coverage |",
    ]
    assert [row.split(" | ")[0] for row in table[2:]] == ["| aime24", "| math500", "| minerva", "| **all**"]


def test_the_all_row_is_the_results_own_numbers(bundle_a: Path) -> None:
    result = validate_bundle(bundle_a)
    rows = headline(iter_samples(bundle_a / "samples.jsonl.gz"), 0, 20)
    assert [r.benchmark for r in rows] == ["aime24", "math500", "minerva", ALL]
    m = result["metrics"]
    claimed = {
        "solo": m["solo"]["macro"],
        "recoverability_shared": m["recoverability"]["shared"]["mean"],
        "recoverability_individual": m["recoverability"]["individual"]["mean"],
        "guidability_shared": m["guidability"]["shared"]["mean"],
        "guidability_individual": m["guidability"]["individual"]["mean"],
        "control": m["guidability"]["control"]["mean"],
    }
    assert {c: rows[-1].scores[c].to_json() for c in CELLS} == claimed
    coverage = m["recoverability"]["shared"]["coverage"]
    assert rows[-1].coverage == (coverage["covered"], coverage["total"])
    for row in rows[:-1]:  # solo per benchmark is the result's cell too; the steered cells cover only its items
        assert row.scores["solo"].to_json() == m["solo"]["per_benchmark"][row.benchmark]
        assert row.coverage is None
    items = sum(r.scores["recoverability_individual"].n for r in rows[:-1])
    assert items == rows[-1].scores["recoverability_individual"].n


def test_compact_shows_the_larger_side_of_the_interval() -> None:
    assert compact(Score(0.749, 0.718, 0.77, 200, 1000)) == "74.9 ±3.1"
    assert compact(Score(1.0, 1.0, 1.0, 5, 40)) == "100.0 ±0.0"
    assert compact(Score(None, None, None, 0, 0)) == "-"
    assert short_revision("0123456789abcdef" * 2) == "0123456789ab"
    assert short_revision("sha256:" + "fedcba9876543210" * 4) == "sha256:fedcba987654"  # a local folder's hash


def test_screen_output_puts_the_headline_first_and_details_behind_a_flag(
    bundle_a: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = suite(capsys, "show", str(bundle_a))
    assert code == 0
    assert "org/model-a (000000000000) on release 1.0.0" in out and "recov. individual" in out
    assert "Recoverability (shared)" not in out and "Solo Pass@1" not in out
    all_row = next(line for line in out.splitlines() if line.split()[:1] == ["all"])
    result = validate_bundle(bundle_a)
    assert compact(Score(**result["metrics"]["solo"]["macro"])) in all_row and all_row.rstrip().endswith("18/20")
    assert len(all_row) > 80  # not a terminal: the table keeps its natural width, so no number is wrapped
    code, detailed, _ = suite(capsys, "show", str(bundle_a), "--details")
    assert code == 0 and detailed.index("on release 1.0.0") < detailed.index("Solo Pass@1 (org/model-a)")
    assert "Recoverability (shared)" in detailed and all_row in detailed


def test_show_refuses_a_bundle_whose_numbers_do_not_follow(
    tmp_path: Path, bundle_a: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lying = tmp_path / "lying"
    lying.mkdir()
    (lying / "samples.jsonl.gz").write_bytes((bundle_a / "samples.jsonl.gz").read_bytes())
    result = json.loads((bundle_a / "result.json").read_text())
    result["metrics"]["solo"]["macro"]["value"] = 0.99
    (lying / "result.json").write_text(json.dumps(result))
    code, out, err = suite(capsys, "show", str(lying), "--markdown")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) <= 3 and "Traceback" not in err
    assert "metrics.solo.macro.value is 0.99 but the samples give" in err


def test_markdown_keeps_hostile_bundle_text_literal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "evil|<img src=x>[link](http://e)*b*\\"
    bundle = write_fake_bundle(tmp_path / "evil", FakeRun(name, 0.5, questions=6, kind="local"))
    code, out, _ = suite(capsys, "show", str(bundle), "--markdown", "--details")
    assert code == 0
    assert "<img" not in out and re.search(r"(?<!\\)\]\(", out) is None  # no tag, no link
    assert markdown_text(name) in out and "evil\\|&lt;img src=x&gt;\\[link\\](http://e)\\*b\\*\\\\" in out
    for block in out.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        cells = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(cells) <= 1, block  # every row of a table has the same number of cells
    assert markdown_text("a\nb\x1b") == "a\\x0ab\\x1b"


def test_show_markdown_of_a_run_without_steered_tests(tmp_path: Path) -> None:
    run = FakeRun("org/solo", 0.5, questions=6, tests=(("recoverability_individual", "not asked"),))
    bundle = write_fake_bundle(tmp_path / "b", run)
    result = validate_bundle(bundle)
    rows = headline(iter_samples(bundle / "samples.jsonl.gz"), 0, 20)
    text = show_markdown(result, rows)
    assert "| **all** |" in text
    assert rows[-1].scores["recoverability_individual"].value is None
    all_row = next(line for line in text.splitlines() if line.startswith("| **all**"))
    assert all_row.split(" | ")[3] == "**-**"


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_result_files_get_the_mode_a_plain_open_gives(tmp_path: Path, mask: int, mode: int) -> None:
    with umask(mask):
        bundle = write_fake_bundle(tmp_path / "b", FakeRun("org/m", 0.5, questions=3))
    for name in ("result.json", "samples.jsonl.gz"):
        assert stat.S_IMODE((bundle / name).stat().st_mode) == mode, name
    assert sorted(p.name for p in bundle.iterdir()) == ["result.json", "samples.jsonl.gz"]  # no temporary left


def test_problem_and_answer_are_optional_text(bundle_a: Path) -> None:
    with gzip.open(bundle_a / "samples.jsonl.gz", "rt") as f:
        row = json.loads(f.readline())
    assert row["problem"] is None and row["answer"] is None  # a bundle without them stays valid (validated above)
    assert sample_problem(row | {"problem": "What is 6 * 7?", "answer": "42"}) is None
    assert sample_problem(row | {"problem": 5}) == "problem is missing or of the wrong type"
    assert sample_problem(row | {"answer": ["42"]}) == "answer is missing or of the wrong type"
    old = {k: v for k, v in row.items() if k not in ("problem", "answer")}
    assert sample_problem(old) is None


def test_eval_records_the_problem_and_gold_answer_and_prints_the_headline_first(
    tiny_reasoner: Path, arith_release: Path, tmp_path: Path
) -> None:
    from suite.release import load_release

    out = tmp_path / "run"
    command = [sys.executable, "-m", "suite.cli", "eval", str(tiny_reasoner), "--release", str(arith_release)]
    command += ["--out", str(out), "--tests", "solo", "--limit", "3", "--samples", "2", "--max-tokens", "320"]
    # Seconds on an idle machine; the generous limit is for a machine shared by several test runs.
    ran = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert ran.returncode == 0, ran.stderr[-3000:]
    questions = {q.id: q for q in load_release(arith_release).questions}
    samples = read_samples(out / "samples.jsonl.gz")
    assert len(samples) == 6
    for s in samples:
        assert s.problem == questions[s.question_id].problem and s.answer == questions[s.question_id].answer
    assert ran.stdout.index("on release") < ran.stdout.index("bundle:") and "Solo Pass@1" not in ran.stdout
    all_row = next(line for line in ran.stdout.splitlines() if line.split()[:1] == ["all"])
    solo = validate_bundle(out)["metrics"]["solo"]["macro"]
    assert all_row.split()[1:3] == compact(Score(**solo)).split()


def test_a_single_benchmark_row_is_the_all_row(bundle_a: Path) -> None:
    aime = [s for s in iter_samples(bundle_a / "samples.jsonl.gz") if s.benchmark == "aime24"]
    row, whole = headline(aime, 0, 20)
    assert row.benchmark == "aime24" and whole.benchmark == ALL
    assert {c: row.scores[c] for c in CELLS if c != "solo"} == {c: whole.scores[c] for c in CELLS if c != "solo"}
    assert row.scores["solo"].value == whole.scores["solo"].value  # solo's row is the result's per-benchmark cell
