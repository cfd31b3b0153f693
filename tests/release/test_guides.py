"""Guide sets: every correct trajectory per question with its provenance, from a run or an endpoint's folder,
and guidability continuations cycling through a question's trajectories."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from transformers import AutoTokenizer

from suite._errors import SuiteError
from suite._files import sha256_file
from suite.backends._base import Blocking, Completion, Request, SamplingConfig
from suite.evaluation import EvalConfig, write_bundle
from suite.evaluation._add_guide import add_guide
from suite.evaluation._bundle import RESULT_FORMAT, RESULT_FORMAT_VERSION, checked_steers
from suite.evaluation._metrics import compute_metrics
from suite.evaluation._run import run_protocol
from suite.evaluation._samples import Sample
from suite.evaluation._store import SampleStore
from suite.grading import GradingConfig, grade
from suite.release import Release, build_release, load_release
from suite.release._manifest import write_manifest
from suite.steering import guidability_steer
from tests.test_cli import run_suite

QUESTIONS = [("q1", "What is 2 plus 3?", "5"), ("q2", "What is 4 plus 3?", "7"), ("q3", "What is 6 plus 3?", "9")]


def paragraphs(name: str, count: int) -> str:
    """Thinking of ``count`` units (paragraphs of 32 words): a 0.2 cut of 10 keeps 2, of 1 keeps none."""
    return "\n\n".join(f"{name} step {k}: " + " ".join(["word"] * 30) + "." for k in range(count))


@pytest.fixture
def release(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "arith.jsonl").write_text(
        "".join(json.dumps({"id": i, "problem": p, "answer": a}) + "\n" for i, p, a in QUESTIONS)
    )
    return build_release(str(src), tmp_path / "release", benchmarks=["arith"])


# -- the guide's own solo run ----------------------------------------------------------------------


def solo_bundle(out: Path, release: Release, completions: dict[str, list[tuple[str, str]]]) -> Path:
    """A valid solo-only bundle of a guide on ``release``: (completion, finish reason) per sample, graded for real."""
    golds = {q.id: q.answer for q in release.questions}
    samples = [
        Sample(
            test="solo",
            question_id=qid,
            benchmark="arith",
            sample=k,
            seed=k,
            prompt_sha256="0" * 64,
            completion=text,
            prompt_tokens=10,
            completion_tokens=len(text.split()),
            finish_reason=finish,
            grade=grade(text, golds[qid]),
        )
        for qid, outputs in completions.items()
        for k, (text, finish) in enumerate(outputs)
    ]
    result: dict[str, Any] = {
        "format": RESULT_FORMAT,
        "format_version": RESULT_FORMAT_VERSION,
        "created": "2026-01-02T03:04:05Z",
        "suite": {"version": "0.1.0", "git_commit": None, "git_dirty": None},
        "release": {"version": release.version, "manifest_sha256": release.manifest_sha256},
        "model": {"id": "org/guide", "revision": "a" * 40, "kind": "hub"},
        "backend": {"name": "vllm", "versions": {}},
        "hardware": {"gpus": [], "cpu": "x86_64", "cpu_count": 2, "platform": "test"},
        "config": EvalConfig(model="org/guide", tests=("solo",)).to_json(),
        "thinking": {"format": "think"},
        "sampling": {"temperature": 0.6, "top_p": 0.95, "top_k": None, "max_tokens": 32768},
        "grading": GradingConfig().to_json() | {"judge": None},
        "timing": {"wall_s": 1.0, "generate_s": 1.0, "prompt_tokens": 0, "completion_tokens": 0},
        "timeline": {
            "bucket_s": 1.0,
            "points": [],
            "wall_s": 1.0,
            "generating_s": 1.0,
            "idle_with_ready_work_s": 0.0,
            "waiting_s": 0.0,
            "idle_fraction": 0.0,
        },
        "items": {"questions": len(completions), "shared_recoverability": 0},
        "notes": [],
        "metrics": compute_metrics(samples, 0, 0),
    }
    return write_bundle(out, result, samples)


def right(thinking: str, answer: str) -> tuple[str, str]:
    return f"{thinking}\n</think>\n\nThe answer is \\boxed{{{answer}}}.", "stop"


WRONG = ("I think it is four.\n</think>\n\n\\boxed{4}", "stop")
GUIDE_RUN = {
    # q1: correct at samples 0, 2, 5 and 6 (6 too short to cut), cut off at 7, wrong otherwise.
    "arith/q1": [
        right(paragraphs("a", 10), "5"),
        WRONG,
        right(paragraphs("b", 10), "5"),
        WRONG,
        WRONG,
        right(paragraphs("c", 10), "5"),
        right("Five.", "5"),
        (paragraphs("d", 3), "length"),
    ],
    "arith/q2": [WRONG] * 8,
    "arith/q3": [WRONG, right(paragraphs("e", 10), "9"), *[WRONG] * 6],
}


def test_every_correct_trajectory_is_kept_with_the_run_it_came_from(release: Path, tmp_path: Path) -> None:
    bundle = solo_bundle(tmp_path / "run", load_release(release), GUIDE_RUN)
    out, harvest = add_guide(release, "guide", tmp_path / "with-guide", run=bundle)
    assert harvest.summary() == (
        "read 24 trajectories, matched 24 to release questions, kept 5 on 2 questions; "
        "dropped: 18 wrong answer, 1 unfinished (finish_reason not stop)"
    )
    loaded = load_release(out)
    assert [(t.question_id, t.sample) for t in loaded.guides["guide"]] == [
        ("arith/q1", 0),
        ("arith/q1", 2),
        ("arith/q1", 5),
        ("arith/q1", 6),
        ("arith/q3", 1),
    ]
    assert loaded.guides["guide"][1].thinking == paragraphs("b", 10)
    assert loaded.manifest["guides"][0] == {
        "name": "guide",
        "model": "org/guide",
        "revision": "a" * 40,
        "file": "steers/guides/guide.jsonl",
        "source": {
            "kind": "bundle",
            "sha256": sha256_file(bundle / "samples.jsonl.gz"),
            "result_sha256": sha256_file(bundle / "result.json"),
            "created": "2026-01-02T03:04:05Z",
        },
        "sampling": {"temperature": 0.6, "top_p": 0.95, "top_k": None, "max_tokens": 32768},
        "trajectories": 5,
        "questions": 2,
        "per_question": 4,
        "per_question_limit": None,
    }
    assert loaded.guide_sets["guide"].per_question == 4 and loaded.version == "1.1.0"


def test_per_question_caps_on_the_command_line(release: Path, tmp_path: Path) -> None:
    bundle = solo_bundle(tmp_path / "run", load_release(release), GUIDE_RUN)
    out = tmp_path / "capped"
    result = run_suite(
        "release", "add-guide", str(release), str(bundle), "--name", "g", "--out", str(out), "--per-question", "2"
    )
    assert result.returncode == 0, result.stderr
    assert "kept 3 on 2 questions; dropped: 18 wrong answer, 2 over the per-question limit, 1 unfinished" in " ".join(
        result.stdout.split()
    )
    loaded = load_release(out)
    assert [(t.question_id, t.sample) for t in loaded.guides["g"]] == [
        ("arith/q1", 0),
        ("arith/q1", 2),
        ("arith/q3", 1),
    ]
    assert (loaded.guide_sets["g"].per_question, loaded.guide_sets["g"].per_question_limit) == (2, 2)


# -- a chat endpoint's generation folder ---------------------------------------------------------


def generated(
    folder: Path, release: Release, rows: Sequence[dict[str, Any]], changes: dict[str, Any] | None = None
) -> Path:
    folder.mkdir(parents=True)
    generation = {
        "model": "deepseek-reasoner",
        "base_url": "http://127.0.0.1:8000/v1",
        "date": "2026-01-15",
        "sampling": {"temperature": 0.6, "top_p": 0.95, "top_k": None, "max_tokens": 400},
        "release": {"version": release.version, "manifest_sha256": release.manifest_sha256},
        "reasoning_field": "reasoning_content",
        **(changes or {}),
    }
    (folder / "generation.json").write_text(json.dumps(generation))
    (folder / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def row(qid: str, sample: int, reasoning: str | None, content: str | None, **changes: Any) -> dict[str, Any]:
    base = {
        "question_id": f"arith/{qid}",
        "sample": sample,
        "reasoning": reasoning,
        "content": content,
        "finish_reason": "stop",
        "prompt_tokens": 12,
        "completion_tokens": 40,
        "correct": True,  # the generator's own label: never read
    }
    return base | changes


ENDPOINT_ROWS = [
    row("q1", 0, "2 plus 3 is 5.", "The answer is \\boxed{5}."),
    row("q1", 1, "2 plus 3 is 6.", "The answer is \\boxed{6}."),
    row("q1", 2, "2 plus 3 is 5.", "The answer is \\boxed{5}.", finish_reason="length"),
    row("q1", 3, "", "\\boxed{5}"),
    row("q1", 4, "\n2 and 3 make 5.\n", "So \\boxed{5}.", completion_tokens=None),
    row("q2", 0, "4 plus 3 is 7.", "\\boxed{7}"),
    row("q2", 1, "4 plus 3.</think> It is 7.", "\\boxed{7}"),
    row("q3", 0, "6 plus 3 is 9.", None),
]


def test_an_endpoint_generation_is_regraded_and_cited(release: Path, tmp_path: Path) -> None:
    loaded = load_release(release)
    folder = generated(tmp_path / "gen", loaded, ENDPOINT_ROWS)
    out, harvest = add_guide(release, "r1-api", tmp_path / "out", generated=folder)
    assert dict(harvest.dropped) == {
        "wrong answer": 1,
        "unfinished (finish_reason not stop)": 1,
        "no reasoning (reasoning_content)": 1,
        "thinking markers inside the reasoning": 1,
        "no final answer": 1,
    }
    steers = load_release(out).guides["r1-api"]
    assert [(t.question_id, t.sample, t.thinking, t.answer, t.num_tokens) for t in steers] == [
        ("arith/q1", 0, "2 plus 3 is 5.", "The answer is \\boxed{5}.", 40),
        ("arith/q1", 4, "2 and 3 make 5.", "So \\boxed{5}.", None),
        ("arith/q2", 0, "4 plus 3 is 7.", "\\boxed{7}", 40),
    ]
    entry = load_release(out).manifest["guides"][0]
    assert (entry["model"], entry["revision"]) == ("deepseek-reasoner", "2026-01-15")
    assert entry["source"] == {
        "kind": "endpoint",
        "base_url": "http://127.0.0.1:8000/v1",
        "api_model": "deepseek-reasoner",
        "date": "2026-01-15",
        "sha256": sha256_file(folder / "samples.jsonl"),
    }
    assert entry["sampling"] == {"temperature": 0.6, "top_p": 0.95, "top_k": None, "max_tokens": 400}
    assert (entry["trajectories"], entry["questions"], entry["per_question"]) == (3, 2, 2)


@pytest.mark.parametrize(
    ("rows", "changes", "message"),
    [
        (ENDPOINT_ROWS, {"release": {"version": "1.0.0", "manifest_sha256": "f" * 64}}, "was generated on release"),
        (ENDPOINT_ROWS, {"base_url": "https://me:sk-secret@api.example.com/v1"}, "without credentials"),
        (ENDPOINT_ROWS, {"reasoning_field": "thoughts"}, "missing or malformed reasoning_field"),
        (ENDPOINT_ROWS, {"sampling": {"temperature": 0.6, "top_p": 0.95}}, "missing or malformed sampling.top_k"),
        ([*ENDPOINT_ROWS, row("q9", 0, "x", "\\boxed{1}")], {}, "line 9 names 'arith/q9', not a question"),
        ([*ENDPOINT_ROWS, row("q1", 0, "x", "\\boxed{5}")], {}, "line 9 repeats sample 0 of 'arith/q1'"),
        ([row("q1", True, "x", "\\boxed{5}")], {}, "line 1 has a missing or malformed sample"),
        ([row("q1", 0, "x", "\\boxed{4}")], {}, "has no correct trajectory with a closed thinking block"),
    ],
    ids=[
        "other-release",
        "credentials",
        "reasoning-field",
        "sampling",
        "unknown-question",
        "repeat",
        "bad-row",
        "none",
    ],
)
def test_bad_generation_folders_are_refused_and_nothing_is_written(
    release: Path, tmp_path: Path, rows: list[dict[str, Any]], changes: dict[str, Any], message: str
) -> None:
    folder = generated(tmp_path / "gen", load_release(release), rows, changes)
    with pytest.raises(SuiteError, match=re.escape(message)):
        add_guide(release, "g", tmp_path / "out", generated=folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen", "release", "src"]


def test_the_manifest_counts_must_match_the_guide_file(release: Path, tmp_path: Path) -> None:
    folder = generated(tmp_path / "gen", load_release(release), ENDPOINT_ROWS)
    out, _ = add_guide(release, "g", tmp_path / "out", generated=folder)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["guides"][0]["trajectories"] = 4
    write_manifest(out, manifest)
    with pytest.raises(SuiteError, match=re.escape("says guide g has 4 as trajectories, its file gives 3")):
        load_release(out)


# -- the runner: 8 continuations cycle through a question's trajectories ----------------------------------


class ScriptedBackend(Blocking):
    """M fails q1 in its solo pass (a guidability item) and solves the rest (control items); steered runs answer."""

    name = "scripted"
    background = False
    window = 64
    context_length = 4096

    def __init__(self, golds: dict[str, str]) -> None:
        self.golds = golds
        self.pending: list[Request] = []

    def submit(self, requests: Sequence[Request], sampling: SamplingConfig) -> None:
        self.pending.extend(requests)

    @property
    def busy(self) -> int:
        return len(self.pending)

    def collect(self) -> list[Completion]:
        done, self.pending = self.pending, []
        out: list[Completion] = []
        for r in done:
            qid = r.key[len("solo/") :] if r.key.startswith("solo/") else "/".join(r.key.split("/")[2:4])
            answer = "0" if r.key == "solo/arith/q1" else self.golds[qid]
            out.extend(Completion(r.key, i, f"ok\n</think> \\boxed{{{answer}}}", 5, 5, "stop") for i in range(r.n))
        return out

    def versions(self) -> dict[str, str]:
        return {}

    def close(self) -> None:
        pass


def test_continuations_cycle_through_the_trajectories_and_record_which_served(
    release: Path, tmp_path: Path, tiny_model: Any
) -> None:
    bundle = solo_bundle(tmp_path / "run", load_release(release), GUIDE_RUN)
    loaded = load_release(add_guide(release, "guide", tmp_path / "with-guide", run=bundle)[0])
    thinking = {(t.question_id, t.sample): t.thinking for t in loaded.guides["guide"]}
    questions = list(loaded.questions)
    backend = ScriptedBackend({q.id: q.answer for q in questions})
    config = EvalConfig(model="tiny", tests=("solo", "guidability"), grading_workers=1)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))
    with SampleStore.open(tmp_path / "store", {"config": config.to_json()}) as store:
        outcome = run_protocol(config, loaded, questions, tokenizer, backend, "tiny", store, lambda *a: None)
        samples = list(store.samples())
    guided = [s for s in samples if s.test == "guidability"]
    assert {s.question_id for s in guided} == {"arith/q1"}
    for f in config.guide_fractions:
        at_f = [s for s in guided if s.fraction == f]
        # 8 continuations over the 3 trajectories whose cut is not empty: k mod 3 -> samples 0, 2, 5, 0, 2, 5, 0, 2.
        assert Counter(s.guide_sample for s in at_f) == {0: 3, 2: 3, 5: 2}
        for s in at_f:
            assert s.guide_sample is not None
            assert s.steer_text == guidability_steer(thinking[("arith/q1", s.guide_sample)], f).steer
        assert f"arith/q1: the {f:g} cut of guide guide (its sample 6) is empty; not run" in outcome.notes
    control = [s for s in samples if s.test == "control"]
    assert len(control) == 8 * 4 and {s.guide_sample for s in control} == {1}  # q3: one trajectory serves all 8
    assert list(checked_steers(samples, tmp_path / "samples")) == samples  # validate accepts them
    solo = next(s for s in samples if s.test == "solo")
    for bad in (replace(solo, guide_sample=0), replace(guided[0], guide_sample=-1)):
        with pytest.raises(SuiteError, match="names guide trajectory"):
            list(checked_steers([bad], tmp_path / "samples"))


def test_runs_on_the_first_build_serve_every_derived_release(release: Path, tmp_path: Path) -> None:
    first = load_release(release)
    bundle = solo_bundle(tmp_path / "run", first, GUIDE_RUN)
    one, _ = add_guide(release, "guide", tmp_path / "one", run=bundle)
    two, _ = add_guide(one, "again", tmp_path / "two", run=bundle)  # the bundle ran on the first build
    derived = load_release(two)
    lineage = [(d["version"], d["manifest_sha256"]) for d in derived.manifest["derived_from"]]
    assert lineage == [(first.version, first.manifest_sha256), ("1.1.0", load_release(one).manifest_sha256)]
    assert derived.has_questions_of(first.manifest_sha256) and not derived.has_questions_of("0" * 64)
    other = solo_bundle(tmp_path / "other", replace(first, manifest_sha256="f" * 64), GUIDE_RUN)
    with pytest.raises(SuiteError, match="nor a release it derives from"):
        add_guide(two, "third", tmp_path / "three", run=other)
    assert not (tmp_path / "three").exists()
