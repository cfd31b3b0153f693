"""Building releases from the offline mirror and from small question files of our own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from suite._errors import SuiteError
from suite._latex import last_boxed
from suite.release import PAPER_POOL, build_release, verify_release


@pytest.fixture(scope="module")
def paper_release(upstream: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_release(str(upstream), tmp_path_factory.mktemp("rel") / "paper")


def write_questions(folder: Path, name: str, rows: list[dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


ARITH: list[dict[str, object]] = [
    {"id": f"q{i}", "problem": f"What is {i} plus {i}?", "answer": str(2 * i)} for i in range(1, 6)
]


def test_paper_pool_is_1507_questions(paper_release: Path) -> None:
    release = verify_release(paper_release)
    counts = {b["name"]: b["count"] for b in release.manifest["benchmarks"]}
    assert counts == {"aime24": 30, "aime25": 30, "math500": 500, "minerva": 272, "olympiadbench": 675}
    assert len(release.questions) == 1507
    assert len({q.id for q in release.questions}) == 1507
    assert tuple(counts) == PAPER_POOL
    assert all(q.id.startswith(q.benchmark + "/") for q in release.questions)
    assert set(release.subsets) == {"recoverability_shared", "guidability_shared"}
    assert all(not s.ids for s in release.subsets.values())


def test_normalised_answers(paper_release: Path, upstream: Path) -> None:
    questions = {q.id: q for q in verify_release(paper_release).questions}
    aime = [q for q in questions.values() if q.benchmark.startswith("aime")]
    assert all(re.fullmatch(r"0|[1-9]\d*", q.answer) for q in aime)
    olympiad = [q for q in questions.values() if q.benchmark == "olympiadbench"]
    assert not any(q.answer.startswith("$") and q.answer.endswith("$") and q.answer.count("$") == 2 for q in olympiad)
    assert sum(q.is_multiple_answer for q in olympiad) > 0
    assert {q.answer_type for q in olympiad} == {"Numerical", "Expression", "Tuple", "Interval"}
    assert questions["olympiadbench/1606"].answer == "2"
    assert questions["minerva/0"].answer == "1.6"
    assert questions["math500/test/precalculus/807.json"].metadata["level"] == 2
    assert questions["aime24/2024-I-1"].source.startswith("github.com/QwenLM/Qwen2.5-Math@")


def test_amc23_is_optional(upstream: Path, tmp_path: Path) -> None:
    release = verify_release(build_release(str(upstream), tmp_path / "r", benchmarks=["amc23", "aime24"]))
    assert len(release.questions) == 70


def test_custom_question_file_with_subsets_and_guides(tmp_path: Path) -> None:
    write_questions(tmp_path / "src", "arith", ARITH)
    (tmp_path / "shared.txt").write_text("# frozen\narith/q1\narith/q3\n")
    guide = {
        "question_id": "arith/q2",
        "guide_model": "org/guide",
        "guide_revision": "a" * 40,
        "thinking": "2 plus 2 is 4.",
        "answer": "\\boxed{4}",
        "correct": True,
        "num_tokens": 7,
    }
    write_questions(tmp_path, "guide", [guide])
    release = verify_release(
        build_release(
            str(tmp_path / "src"),
            tmp_path / "r",
            benchmarks=["arith"],
            version="0.1.0-test",
            subsets={"recoverability_shared": tmp_path / "shared.txt"},
            guides={"oracle": tmp_path / "guide.jsonl"},
        )
    )
    assert release.version == "0.1.0-test"
    assert release.subsets["recoverability_shared"].ids == ("arith/q1", "arith/q3")
    assert release.guides["oracle"][0].question_id == "arith/q2"
    assert release.manifest["guides"] == [
        {"name": "oracle", "model": "org/guide", "revision": "a" * 40, "file": "steers/guides/oracle.jsonl"}
    ]


def test_build_is_deterministic_with_source_date_epoch(
    upstream: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = build_release(str(upstream), tmp_path / "a", benchmarks=["aime24", "aime25"])
    b = build_release(str(upstream), tmp_path / "b", benchmarks=["aime24", "aime25"])
    assert (a / "manifest.json").read_bytes() == (b / "manifest.json").read_bytes()
    assert verify_release(a).manifest["created"] == "2023-11-14T22:13:20Z"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": "a", "problem": "p"}], "lacks the column(s) answer"),
        ([{"id": "a", "problem": "p", "answer": "  "}], "empty or non-text answer"),
        ([{"id": "a", "problem": "", "answer": "1"}], "empty or non-text problem"),
        ([{"id": "a", "problem": "p", "answer": "1"}, {"id": "a", "problem": "q", "answer": "2"}], "repeats the id"),
    ],
    ids=["missing-column", "empty-answer", "empty-problem", "duplicate-id"],
)
def test_bad_rows_are_named(tmp_path: Path, rows: list[dict[str, object]], message: str) -> None:
    write_questions(tmp_path / "src", "arith", rows)
    with pytest.raises(SuiteError, match=re.escape(message)) as error:
        build_release(str(tmp_path / "src"), tmp_path / "out", benchmarks=["arith"])
    assert "arith.jsonl" in str(error.value)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src"]  # no temporary folder left behind


def test_invalid_utf8_and_json(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "arith.jsonl").write_bytes(b'{"id": "a", "problem": "p", "answer": "1"}\n{"id": "b", "problem": "\xff"}\n')
    with pytest.raises(SuiteError, match=r"arith.jsonl line 2 is not valid UTF-8"):
        build_release(str(src), tmp_path / "out", benchmarks=["arith"])
    (src / "arith.jsonl").write_text('{"id": "a", "problem": "p", "answer": "1"}\n{"id": \n')
    with pytest.raises(SuiteError, match=r"arith.jsonl line 2 is not valid JSON"):
        build_release(str(src), tmp_path / "out", benchmarks=["arith"])


def test_missing_file_and_wrong_count(upstream: Path, tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"no source file for benchmark 'nope'"):
        build_release(str(upstream), tmp_path / "out", benchmarks=["nope"])
    src = tmp_path / "src"
    src.mkdir()
    lines = (upstream / "aime24.jsonl").read_text().splitlines()[:29]
    (src / "aime24.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(SuiteError, match=r"aime24 has 29 rows in its source, expected 30"):
        build_release(str(src), tmp_path / "out", benchmarks=["aime24"])


def test_existing_output_needs_force(tmp_path: Path) -> None:
    write_questions(tmp_path / "src", "arith", ARITH)
    out = build_release(str(tmp_path / "src"), tmp_path / "out", benchmarks=["arith"])
    with pytest.raises(SuiteError, match="already exists; choose another --out or pass --force"):
        build_release(str(tmp_path / "src"), out, benchmarks=["arith"])
    write_questions(tmp_path / "src", "arith", ARITH[:2])
    build_release(str(tmp_path / "src"), out, benchmarks=["arith"], force=True)
    assert len(verify_release(out).questions) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]


def test_subset_and_guide_must_reference_release_questions(tmp_path: Path) -> None:
    write_questions(tmp_path / "src", "arith", ARITH)
    (tmp_path / "ids.txt").write_text("arith/q9\n")
    with pytest.raises(SuiteError, match=r"ids.txt line 1: 'arith/q9' is not a question of this release"):
        build_release(
            str(tmp_path / "src"),
            tmp_path / "out",
            benchmarks=["arith"],
            subsets={"guidability_shared": tmp_path / "ids.txt"},
        )
    write_questions(tmp_path, "guide", [{"question_id": "arith/q1"}])
    with pytest.raises(SuiteError, match=r"guide.jsonl line 1 is not a guide trajectory"):
        build_release(
            str(tmp_path / "src"), tmp_path / "out", benchmarks=["arith"], guides={"g": tmp_path / "guide.jsonl"}
        )
    assert not (tmp_path / "out").exists()


def test_bad_version(tmp_path: Path) -> None:
    write_questions(tmp_path / "src", "arith", ARITH)
    with pytest.raises(SuiteError, match="not semantic"):
        build_release(str(tmp_path / "src"), tmp_path / "out", benchmarks=["arith"], version="v1")


def test_minerva_answers_are_last_boxed_of_solution() -> None:
    assert last_boxed(r"so \boxed{\frac{1}{2}} and finally \boxed {4.5e33}") == "4.5e33"
    assert last_boxed(r"\fbox{a{b}c}") == "a{b}c"
    assert last_boxed("no box") is None
    assert last_boxed(r"\boxed{unbalanced") is None


def test_crash_mid_build_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import suite.release._build as build_module

    write_questions(tmp_path / "src", "arith", ARITH)

    def crash(root: Path) -> dict[str, dict[str, object]]:
        assert (root / "questions.jsonl").is_file()  # the crash happens after data was written
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(build_module, "describe_files", crash)
    with pytest.raises(RuntimeError, match="disk on fire"):
        build_release(str(tmp_path / "src"), tmp_path / "out", benchmarks=["arith"])
    assert [p.name for p in tmp_path.iterdir()] == ["src"]


def test_bad_benchmark_name_and_missing_source_folder(tmp_path: Path) -> None:
    write_questions(tmp_path / "src", "Arith", ARITH)
    with pytest.raises(SuiteError, match=r"benchmark name 'Arith' must be lower-case"):
        build_release(str(tmp_path / "src"), tmp_path / "out", benchmarks=["Arith"])
    with pytest.raises(SuiteError, match=r"source folder .*nowhere does not exist; pass --source hf or a mirror"):
        build_release(str(tmp_path / "nowhere"), tmp_path / "out", benchmarks=["arith"])


def test_unicode_line_separators_inside_text_survive(tmp_path: Path) -> None:
    tricky = "Line\u2028separator, next\x85line, form\x0cfeed, and ∑ emoji 🧮"
    write_questions(tmp_path / "src", "arith", [{"id": "a", "problem": tricky, "answer": "\\text{Monday}"}])
    release = verify_release(build_release(str(tmp_path / "src"), tmp_path / "out", benchmarks=["arith"]))
    assert release.questions[0].problem == tricky
    assert release.questions[0].answer == "\\text{Monday}"
