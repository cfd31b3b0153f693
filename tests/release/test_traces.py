"""Public trace files (real DeepSeek-R1 and QwQ-32B outputs on 52 MATH-500 questions) as guide steer sets.

The traces are read from ``../shared/data/traces/mip-overthinking`` (never copied into the project); altered
copies for the bad-input cases are written to the test's temporary folder.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from suite._errors import SuiteError
from suite._files import sha256_file
from suite.evaluation._add_guide import add_guide
from suite.release import build_release, load_release
from suite.release._traces import companion_ids, parse_source, parse_traces, split_output
from tests.conftest import REPO
from tests.test_cli import run_suite

TRACES = REPO.parent / "shared" / "data" / "traces" / "mip-overthinking"
R1, QWQ = TRACES / "math_normal_deepseekR1.json", TRACES / "math_normal_QwQ.json"
COMMIT = "4090d3b15e7bb93cc5ed4d62250fdd0e8c51d5e2"
R1_COLUMN = "deepseek-reasoner (question)"


def flat(text: str) -> str:
    """Rich wraps long lines; compare sentences with their whitespace collapsed."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def math500(upstream: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_release(str(upstream), tmp_path_factory.mktemp("math500") / "release", benchmarks=["math500"])


@pytest.fixture(scope="module")
def with_r1(math500: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("r1") / "release"
    result = run_suite(
        "release", "add-guide", str(math500), "--from-traces", str(R1), "--name", "r1", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def rows(path: Path) -> list[dict[str, Any]]:
    value = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(value, list)
    return value


def hand_labelled_wrong(source: str) -> set[str]:
    """Release ids of the traces that ``tests/grading/trace_labels.json`` (adjudicated by hand) labels wrong."""
    ids = [f"math500/{r['unique_id']}" for r in rows(R1)]  # every file's row i is the R1 file's row i
    labels = json.loads((REPO / "tests" / "grading" / "trace_labels.json").read_text())
    return {ids[x["index"]] for x in labels if x["source"] == source and not x["label"]}


def guide_rows(release: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (release / "steers" / "guides" / f"{name}.jsonl").read_text().splitlines()]


def test_r1_traces_are_matched_regraded_and_cited(with_r1: tuple[Path, str], math500: Path) -> None:
    out, stdout = with_r1
    assert (
        "read 52 trajectories, matched 52 to release questions, kept 50 on 50 questions; dropped: 2 wrong answer"
        in (flat(stdout))
    )
    release = load_release(out)
    assert release.version == "1.1.0" and load_release(math500).version == "1.0.0"  # a new version, the old intact
    (entry,) = release.manifest["guides"]
    assert entry == {
        "name": "r1",
        "model": "deepseek-ai/DeepSeek-R1",
        "revision": "unknown",
        "file": "steers/guides/r1.jsonl",
        "source": {
            "kind": "traces",
            "repository": "tianyi-lab/MiP-Overthinking",
            "commit": COMMIT,
            "file": "response/math/normal/deepseekR1/response.json",
            "sha256": sha256_file(R1),
            "url": f"https://raw.githubusercontent.com/tianyi-lab/MiP-Overthinking/{COMMIT}/"
            "response/math/normal/deepseekR1/response.json",
            "ids_file": None,
            "ids_sha256": None,
        },
        "sampling": {"temperature": None, "top_p": None, "top_k": None, "max_tokens": None},
        "trajectories": 50,
        "questions": 50,
        "per_question": 1,
        "per_question_limit": None,
    }
    source = {f"math500/{r['unique_id']}": r for r in rows(R1)}
    kept = guide_rows(out, "r1")
    for row in kept:
        output = source[row["question_id"]][R1_COLUMN]
        assert output.startswith(row["thinking"]) and "</think>" not in row["thinking"]  # verbatim, closed
        assert output.endswith(row["answer"]) and row["sample"] == 0 and row["num_tokens"] is None
    dropped = set(source) - {r["question_id"] for r in kept}
    assert dropped == hand_labelled_wrong("deepseek-r1")  # the file's own labels are never read


def test_qwq_traces_take_their_ids_from_the_r1_file_beside_them(with_r1: tuple[Path, str], tmp_path: Path) -> None:
    out, harvest = add_guide(with_r1[0], "qwq", tmp_path / "both", traces=QWQ)
    assert (harvest.read, harvest.matched, len(harvest.kept), dict(harvest.dropped)) == (
        52,
        52,
        49,
        {"wrong answer": 3},
    )
    release = load_release(out)
    assert release.version == "1.2.0" and list(release.guides) == ["r1", "qwq"]
    entry = release.manifest["guides"][1]
    assert entry["model"] == "Qwen/QwQ-32B" and entry["source"]["file"] == "response/math/normal/QwQ/response.json"
    assert entry["source"]["ids_file"] == "response/math/normal/deepseekR1/response.json"
    assert entry["source"]["ids_sha256"] == sha256_file(R1)
    ids = [f"math500/{r['unique_id']}" for r in rows(R1)]
    outputs = {qid: r["model_answer"] for qid, r in zip(ids, rows(QWQ), strict=True)}
    for row in guide_rows(out, "qwq"):
        assert outputs[row["question_id"]].startswith(row["thinking"])  # row i of QwQ is row i of R1
    assert hand_labelled_wrong("qwq-32b") == set(ids) - {r["question_id"] for r in guide_rows(out, "qwq")}


def copy_traces(folder: Path, *names: str, change: Callable[[list[dict[str, Any]]], None] | None = None) -> Path:
    """Copies of trace files (and SOURCE.txt) in ``folder``; ``change`` edits the rows of the first one."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(TRACES / "SOURCE.txt", folder / "SOURCE.txt")
    for name in names:
        shutil.copy(TRACES / name, folder / name)
    first = folder / names[0]
    if change is not None:
        value = rows(first)
        change(value)
        first.write_text(json.dumps(value), encoding="utf-8")
    return first


def unclose(indices: range) -> Callable[[list[dict[str, Any]]], None]:
    def change(value: list[dict[str, Any]]) -> None:
        for i in indices:
            value[i][R1_COLUMN] = value[i][R1_COLUMN].replace("</think>", "\n\n")

    return change


def test_unclosed_thinking_is_skipped_and_counted(math500: Path, tmp_path: Path) -> None:
    file = copy_traces(tmp_path / "t", R1.name, change=unclose(range(3)))
    out, harvest = add_guide(math500, "r1", tmp_path / "out", traces=file)
    assert dict(harvest.dropped) == {"no closed thinking block": 3, "wrong answer": 2} and len(harvest.kept) == 47
    assert {r["question_id"] for r in guide_rows(out, "r1")}.isdisjoint(
        f"math500/{r['unique_id']}" for r in rows(file)[:3]
    )


def misname(value: list[dict[str, Any]]) -> None:
    """Row 3 names a question MATH-500 does not have; row 7 gives another gold answer."""
    value[3]["unique_id"] = "test/algebra/99999.json"
    value[7]["answer"] = "7"


def _fresh(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda d: copy_traces(d, R1.name, change=unclose(range(52))),
            "has no correct trajectory with a closed thinking block "
            "(read 52 trajectories, matched 52 to release questions, kept 0 on 0 questions; "
            "dropped: 52 no closed thinking block)",
        ),
        (
            lambda d: copy_traces(d, QWQ.name),
            "gives no question ids and, of the .json files beside it, none lists the same 52 gold answers",
        ),
        (
            lambda d: copy_traces(d, R1.name, change=misname),
            "50 of 52 traces match questions of release 1.0.0, the others do not: "
            "1 because its unique_id names no math500 question of the release (e.g. row 3, 'test/algebra/99999.json'); "
            "1 because its gold answer differs from the release's (e.g. row 7,",
        ),
        (
            lambda d: (d.mkdir(), (d / "x.json").write_text('{"question": "q", "answer": "1"}'))[0] or d / "x.json",
            "is not a trace layout this suite reads",
        ),
    ],
    ids=["no-closed-thinking", "no-ids", "mismatched-questions", "unknown-layout"],
)
def test_bad_trace_files_are_refused_and_nothing_is_written(
    math500: Path, tmp_path: Path, setup: Callable[[Path], Path], message: str
) -> None:
    file = setup(tmp_path / "t")
    with pytest.raises(SuiteError) as error:
        add_guide(math500, "g", tmp_path / "out", traces=file)
    assert message in str(error.value)
    assert _fresh(tmp_path) == ["t"]  # no release, no temporary folder


def test_a_release_without_the_questions_is_refused_on_the_command_line(upstream: Path, tmp_path: Path) -> None:
    aime = build_release(str(upstream), tmp_path / "aime", benchmarks=["aime24"])
    out = tmp_path / "out"
    result = run_suite(
        "release", "add-guide", "--release", str(aime), "--from-traces", str(R1), "--name", "r1", "--out", str(out)
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        "0 of 52 traces match questions of release 1.0.0, the others do not: 52 because its unique_id names no "
        "math500 question of the release"
    ) in flat(result.stderr)
    assert not out.exists()


def test_source_line_names_the_repository_file_each_copy_comes_from() -> None:
    provenance = parse_source((TRACES / "SOURCE.txt").read_text(), "SOURCE.txt")
    assert (provenance.repository, provenance.commit) == ("tianyi-lab/MiP-Overthinking", COMMIT)
    assert provenance.path_of("math_normal_QwQ.json") == "response/math/normal/QwQ/response.json"
    assert provenance.path_of("math_normal_DSQ.json") == "response/math/normal/DSQ/response.json"
    assert provenance.path_of("data_math.json") == "data/math.json"
    assert provenance.path_of("math_normal_o1.json") is None
    assert provenance.model("response/math/normal/DSQ/response.json") == "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"
    with pytest.raises(SuiteError, match=re.escape("does not name the traces' origin")):
        parse_source("from somewhere\n", "SOURCE.txt")


def test_only_the_r1_file_can_supply_the_qwq_ids() -> None:
    qwq = parse_traces(rows(QWQ), str(QWQ))
    assert qwq.layout == "model-answer" and all(t.unique_id is None for t in qwq.traces)
    ids = companion_ids(qwq, rows(R1))
    assert ids is not None and ids[0] == rows(R1)[0]["unique_id"] and len(set(ids)) == 52
    # data_math.json holds 100 questions (only 10 of the 52 among them): it cannot align the rows.
    assert companion_ids(qwq, rows(TRACES / "data_math.json")) is None
    shuffled = rows(R1)[1:] + rows(R1)[:1]
    assert companion_ids(qwq, shuffled) is None


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "Let me see.\n\nSo 2.\n</think>\n\nThe answer is \\boxed{2}.",
            ("Let me see.\n\nSo 2.", "The answer is \\boxed{2}."),
        ),
        ("<think>\nLet me see.\n</think>\\boxed{2}", ("Let me see.", "\\boxed{2}")),
        ("Let me see... \\boxed{2}", None),
        ("</think>\\boxed{2}", None),
    ],
    ids=["r1-style", "with-opener", "unclosed", "empty-thinking"],
)
def test_split_output(output: str, expected: tuple[str, str] | None) -> None:
    assert split_output(output) == expected
