"""``suite release subsets``: the shared subsets of a reference panel, from the rule to a new release version.

The rule is tested with plain solve-count tables. The command is tested on real ``suite eval --tests solo``
bundles of tiny models on a tiny arithmetic release whose guide covers only some questions: the trained
reasoner, a perturbed checkpoint of it, and a random model (which solves nothing). Every expected subset is
computed here from the bundles' own samples, so the assertions hold whatever the reasoner's weights.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from suite._errors import SuiteError
from suite.protocol._panel import RULE, incomplete_solo, missing_solo, shared_subsets, solve_counts
from suite.release import build_release, load_release
from suite.release._manifest import write_manifest
from suite.tiny import TrainingConfig, arithmetic_problems, write_arithmetic_source
from tests.conftest import TINY_MAX_TOKENS

# -- the rule, with plain values ---------------------------------------------------------------------------

IDS = ["q-all", "q-one-short", "q-low", "q-two", "q-zero-unguided", "q-mixed"]
TABLE = [
    {"q-all": 8, "q-one-short": 8, "q-low": 1, "q-two": 2, "q-zero-unguided": 0, "q-mixed": 8},
    {"q-all": 8, "q-one-short": 7, "q-low": 0, "q-two": 0, "q-zero-unguided": 0, "q-mixed": 0},
    {"q-all": 8, "q-one-short": 8, "q-low": 1, "q-two": 1, "q-zero-unguided": 0, "q-mixed": 1},
]
GUIDED = {"q-all", "q-one-short", "q-low", "q-two", "q-mixed"}


def test_thresholds_are_8_of_8_and_at_most_1_of_8_for_every_model() -> None:
    s = shared_subsets(IDS, TABLE, GUIDED, seed=0, size=200)
    # 7/8 for one model is not 8/8; 2/8 for one model is not "at most 1/8"; 1/8 is; a question with no guide
    # trajectory counts as unsolved but is not a guidability item; 8/8 for one model and 0/8 for another: neither.
    assert s.recoverability == ("q-all",)
    assert s.recoverability_eligible == 1
    assert s.guidability == ("q-low",)
    assert s.unsolved == 2


def test_order_of_the_panel_does_not_matter_and_output_is_in_release_order() -> None:
    table = [{q: 8 for q in IDS}, {q: 8 if q != "q-two" else 0 for q in IDS}]
    forward = shared_subsets(IDS, table, GUIDED, seed=3, size=200)
    backward = shared_subsets(IDS, table[::-1], GUIDED, seed=3, size=200)
    assert forward == backward
    assert forward.recoverability == tuple(q for q in IDS if q != "q-two")


@pytest.mark.parametrize(
    ("table", "guided", "expected"),
    [
        # two models that solve disjoint questions 8/8: nothing shared; what one solves the other does not.
        ([{"a": 8, "b": 0}, {"a": 0, "b": 8}], {"a", "b"}, ((), 0, (), 0)),
        # every question unsolved but no guide trajectory for any: guidability is empty.
        ([{"a": 0, "b": 1}, {"a": 1, "b": 0}], set(), ((), 0, (), 2)),
        # every question solved 2-7/8 by someone: neither subset.
        ([{"a": 2, "b": 7}, {"a": 8, "b": 8}], {"a", "b"}, ((), 0, (), 0)),
    ],
)
def test_empty_intersections(
    table: list[dict[str, int]], guided: set[str], expected: tuple[tuple[str, ...], int, tuple[str, ...], int]
) -> None:
    s = shared_subsets(["a", "b"], table, guided, seed=0, size=200)
    assert (s.recoverability, s.recoverability_eligible, s.guidability, s.unsolved) == expected


def test_the_draw_is_seeded_stable_and_a_subset_of_the_eligible() -> None:
    ids = [f"q{i:03d}" for i in range(300)]
    table = [{q: 8 if i % 3 else 5 for i, q in enumerate(ids)}, {q: 8 for q in ids}]
    eligible = [q for i, q in enumerate(ids) if i % 3]
    first = shared_subsets(ids, table, set(), seed=11, size=50)
    again = shared_subsets(ids, table, set(), seed=11, size=50)
    other = shared_subsets(ids, table, set(), seed=12, size=50)
    assert first == again
    assert first.recoverability_eligible == len(eligible) == 200
    assert len(first.recoverability) == len(set(first.recoverability)) == 50
    assert set(first.recoverability) <= set(eligible)
    assert list(first.recoverability) == [q for q in ids if q in first.recoverability]  # release order
    assert first.recoverability != other.recoverability
    # The draw depends on the eligible questions, not on how the release lists them.
    shuffled = shared_subsets(ids[::-1], table, set(), seed=11, size=50)
    assert set(shuffled.recoverability) == set(first.recoverability)
    # Fewer eligible than asked: every one of them.
    assert shared_subsets(ids, table, set(), seed=11, size=500).recoverability == tuple(eligible)


def test_a_table_without_a_question_is_refused() -> None:
    with pytest.raises(ValueError, match="no solo outcome for 'b'"):
        shared_subsets(["a", "b"], [{"a": 8}], set(), seed=0)
    with pytest.raises(ValueError, match="at least one model"):
        shared_subsets(["a"], [], set(), seed=0)


def test_solve_counts() -> None:
    assert solve_counts([("a", True), ("a", False), ("b", False), ("a", True)]) == Counter({"a": 2, "b": 0})


COMPLETE_CONFIG: dict[str, Any] = {"tests": ["solo"], "limit": None, "benchmarks": None, "samples": 8}
DEFAULT_SAMPLING: dict[str, Any] = {"temperature": 0.6, "top_p": 0.95, "top_k": None, "max_tokens": 512}


@pytest.mark.parametrize(
    ("config", "sampling", "expected"),
    [
        ({}, {}, []),
        ({"benchmarks": ["gsm", "arith"]}, {}, []),
        ({"limit": 2}, {}, ["--limit 2"]),
        ({"benchmarks": ["arith"]}, {}, ["--benchmarks arith (the release has arith,gsm)"]),
        ({"samples": 4}, {}, ["--samples 4 (the protocol's 8)"]),
        ({"tests": ["recoverability"]}, {}, ["--tests recoverability (no solo)"]),
        ({"tests": "solo"}, {}, ["--tests 'solo' (no solo)"]),
        ({}, {"temperature": 1.0}, ["temperature 1.0 (the protocol's 0.6)"]),
        ({}, {"top_k": 20}, ["top_k 20 (the protocol's off)"]),
        (
            {"limit": 1, "samples": 2},
            {"top_p": 1.0},
            ["--limit 1", "--samples 2 (the protocol's 8)", "top_p 1.0 (the protocol's 0.95)"],
        ),
    ],
)
def test_incomplete_solo_names_every_knob(
    config: dict[str, Any], sampling: dict[str, Any], expected: list[str]
) -> None:
    assert incomplete_solo(COMPLETE_CONFIG | config, DEFAULT_SAMPLING | sampling, {"arith", "gsm"}) == expected


def test_missing_solo_finds_missing_repeated_and_unknown_samples() -> None:
    present = [("a", i) for i in range(8)] + [("b", i) for i in range(8) if i != 5]
    assert missing_solo(["a", "b"], present) == ([("b", 5)], [])
    extra = [*present, ("b", 5), ("a", 0), ("c", 0), ("a", 8)]
    assert missing_solo(["a", "b"], extra) == ([], [("a", 0), ("a", 8), ("c", 0)])


# -- the command, on real runs of tiny models -----------------------------------------------------------------

MAX_TOKENS = TINY_MAX_TOKENS
"""The tiny reasoner's usual budget (a sample cut short is simply wrong: the expectations still hold)."""
RANDOM_TOKENS = "16"
"""The random model never stops by itself; it solves nothing at any length."""


def suite(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "suite.cli", *args], capture_output=True, text=True, timeout=timeout)


def subsets(release: Path, panel: list[Path], out: Path, *more: str) -> subprocess.CompletedProcess[str]:
    """``suite release subsets --release RELEASE --panel PANEL... --out OUT MORE...``."""
    return suite("release", "subsets", "--release", str(release), "--panel", *map(str, panel), "--out", str(out), *more)


UNREACHABLE = {
    "id": "unreachable",
    "problem": "Kim has 123457 boxes with 98765 beads in each box. How many beads does Kim have?",
    "answer": "12193330805",
}
"""A six-digit product: past every tiny model's reach, so no panel model solves it whatever its weights."""


def tiny_release(root: Path, held_out: int, seed: int) -> Path:
    """Questions of every difficulty for any weights, with an oracle guide for only some of them.

    ``held_out`` new arithmetic questions, then one the tiny reasoner was trained on (easy for it) and
    ``UNREACHABLE``; the oracle guide covers the first held-out question and the unreachable one.
    """
    files = write_arithmetic_source(root / "source", questions=held_out, seed=seed, shared=0)
    trained = arithmetic_problems(1, seed=TrainingConfig().seed)[0]
    questions = files["source"] / "arith.jsonl"
    rows = [json.loads(line) for line in questions.read_text().splitlines() if line.strip()]
    rows += [{"id": trained.id, "problem": trained.problem, "answer": str(trained.answer)}, UNREACHABLE]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    oracle = json.loads(files["guide"].read_text().splitlines()[0])
    unreachable = oracle | {
        "question_id": f"arith/{UNREACHABLE['id']}",
        "thinking": "Let me multiply 123457 by 98765 step by step.\n\nThe product is 12193330805.",
        "answer": f"The answer is \\boxed{{{UNREACHABLE['answer']}}}.",
        "num_tokens": 20,
    }
    partial = root / "oracle.jsonl"
    partial.write_text(json.dumps(oracle) + "\n" + json.dumps(unreachable) + "\n")
    return build_release(str(files["source"]), root / "release", benchmarks=["arith"], guides={"oracle": partial})


def perturbed(model: Path, out: Path, scale: float, seed: int) -> Path:
    """A checkpoint near ``model``: every weight moved by Gaussian noise of ``scale`` times its tensor's std."""
    import torch
    from transformers import AutoModelForCausalLM

    shutil.copytree(model, out)
    (out / "training.json").unlink(missing_ok=True)
    weights = AutoModelForCausalLM.from_pretrained(model)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in weights.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * scale * p.std())
    weights.save_pretrained(out)
    return out


@dataclass(frozen=True)
class Runs:
    release: Path
    other_release: Path
    reasoner: Path
    checkpoint: Path
    random: Path
    random_again: Path
    """The random model once more with another --seed: the same model and revision."""
    partial: Path
    """The random model with --limit 1 --samples 4 --temperature 1.0."""
    elsewhere: Path
    """The random model on another release."""


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory, tiny_reasoner: Path, tiny_model: Callable[[str], Path]) -> Runs:
    """Every bundle, made once per session (minutes on a busy 2-core machine: two tiny-reasoner runs)."""
    root = tmp_path_factory.mktemp("panel")
    release = tiny_release(root / "arith", held_out=2, seed=99)
    other = tiny_release(root / "other", held_out=1, seed=7)
    checkpoint = perturbed(tiny_reasoner, root / "checkpoint", scale=0.05, seed=1)
    random = tiny_model("qwen3")
    plan: dict[str, tuple[Path, Path, tuple[str, ...]]] = {
        "reasoner": (tiny_reasoner, release, ("--max-tokens", MAX_TOKENS)),
        "checkpoint": (checkpoint, release, ("--max-tokens", MAX_TOKENS)),
        "random": (random, release, ("--max-tokens", RANDOM_TOKENS)),
        "random_again": (random, release, ("--max-tokens", RANDOM_TOKENS, "--seed", "1")),
        "partial": (
            random,
            release,
            ("--max-tokens", RANDOM_TOKENS, "--limit", "1", "--samples", "4", "--temperature", "1.0"),
        ),
        "elsewhere": (random, other, ("--max-tokens", RANDOM_TOKENS)),
    }
    bundles: dict[str, Path] = {}
    for name, (model, on, extra) in plan.items():
        start = time.monotonic()
        out = root / "bundles" / name
        result = suite("eval", str(model), "--release", str(on), "--out", str(out), "--tests", "solo", *extra)
        assert result.returncode == 0, result.stderr[-3000:]
        print(f"panel fixture: {name} bundle in {time.monotonic() - start:.0f}s")
        bundles[name] = out
    return Runs(release, other, **bundles)


def solo(bundle: Path) -> list[dict[str, Any]]:
    with gzip.open(bundle / "samples.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if r["test"] == "solo"]


def counts(bundle: Path) -> Counter[str]:
    c: Counter[str] = Counter()
    for r in solo(bundle):
        c[r["question_id"]] += int(r["grade"]["correct"])
    return c


def question_ids(release: Path) -> list[str]:
    lines = (release / "questions.jsonl").read_text().splitlines()
    return [json.loads(line)["id"] for line in lines if line.strip()]


def guided_ids(release: Path) -> set[str]:
    lines = (release / "steers" / "guides" / "oracle.jsonl").read_text().splitlines()
    return {json.loads(line)["question_id"] for line in lines if line.strip()}


def subset_ids(release: Path, name: str) -> list[str]:
    ids: list[str] = json.loads((release / "subsets" / f"{name}.json").read_text())["ids"]
    return ids


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_sentence_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    text = " ".join(result.stderr.split())
    assert text.startswith("error: ") and text.endswith(".")
    assert text.count(". ") == 0 or all(not part[:1].isupper() for part in text.split(". ")[1:])
    return text


def test_the_bundles_really_differ(runs: Runs) -> None:
    ids = question_ids(runs.release)
    assert all(
        len([r for r in solo(b) if r["question_id"] == q]) == 8 for b in (runs.reasoner, runs.random) for q in ids
    )
    assert sum(counts(runs.random).values()) == 0  # a random model solves nothing
    for a, b in [(runs.reasoner, runs.checkpoint), (runs.reasoner, runs.random), (runs.checkpoint, runs.random)]:
        assert [r["completion"] for r in solo(a)] != [r["completion"] for r in solo(b)]
    revisions = {
        json.loads((b / "result.json").read_text())["model"]["revision"]
        for b in (runs.reasoner, runs.checkpoint, runs.random)
    }
    assert len(revisions) == 3


def expected(bundles: list[Path], release: Path) -> tuple[list[str], list[str]]:
    """(8/8 by every model, at most 1/8 by every model with an oracle trajectory), from the samples alone."""
    ids, guided = question_ids(release), guided_ids(release)
    tables = [counts(b) for b in bundles]
    return (
        [q for q in ids if all(t[q] == 8 for t in tables)],
        [q for q in ids if all(t[q] <= 1 for t in tables) and q in guided],
    )


@pytest.mark.parametrize(
    "members", [("reasoner", "checkpoint", "random"), ("reasoner", "checkpoint"), ("reasoner",), ("random",)]
)
def test_subsets_follow_from_the_panel_and_the_panel_is_recorded(
    runs: Runs, tmp_path: Path, members: tuple[str, ...]
) -> None:
    bundles = [getattr(runs, m) for m in members]
    out = tmp_path / "new"
    result = subsets(runs.release, bundles, out, "--size", "1", "--seed", "5")
    assert result.returncode == 0, result.stderr[-3000:]
    eligible, guidability = expected(bundles, runs.release)
    assert "arith/unreachable" in guidability and "arith/unreachable" not in eligible
    assert subset_ids(out, "guidability_shared") == guidability
    drawn = subset_ids(out, "recoverability_shared")
    assert len(drawn) == min(1, len(eligible)) and set(drawn) <= set(eligible)
    if "random" in members:
        assert drawn == [] and eligible == []
    if members == ("random",):
        # Nothing is solved: every question the oracle guide covers, in release order.
        assert guidability == [q for q in question_ids(runs.release) if q in guided_ids(runs.release)]
        assert len(guidability) == 2
    assert f"guidability_shared: {len(guidability)} of the" in result.stdout
    assert f"the {len(eligible)} questions every panel model solves 8/8 (seed 5)" in result.stdout

    release = load_release(out)
    parent = load_release(runs.release)
    assert release.version == "1.1.0"
    assert release.subsets["guidability_shared"].ids == tuple(guidability)
    panel = release.manifest["panel"]
    assert panel["rule"] == RULE
    assert (panel["seed"], panel["size"], panel["samples"]) == (5, 1, 8)
    assert (panel["release_version"], panel["release_manifest_sha256"]) == ("1.0.0", parent.manifest_sha256)
    assert panel["guides"] == ["oracle"]
    assert panel["recoverability_eligible"] == len(eligible)
    ids = question_ids(runs.release)
    assert panel["unsolved"] == sum(1 for q in ids if all(counts(b)[q] <= 1 for b in bundles))
    assert len(panel["models"]) == len(bundles)
    for entry, bundle in zip(panel["models"], bundles, strict=True):
        result_json = json.loads((bundle / "result.json").read_text())
        c = counts(bundle)
        assert entry == {
            "id": result_json["model"]["id"],
            "revision": result_json["model"]["revision"],
            "result_sha256": sha256(bundle / "result.json"),
            "samples_sha256": sha256(bundle / "samples.jsonl.gz"),
            "release_manifest_sha256": parent.manifest_sha256,
            "solo_samples": 8 * len(ids),
            "max_tokens": int(result_json["sampling"]["max_tokens"]),
            "solved_every_sample": sum(1 for q in ids if c[q] == 8),
            "solved_at_most_one": sum(1 for q in ids if c[q] <= 1),
        }
    # Everything else is the parent release, unchanged.
    assert (out / "questions.jsonl").read_bytes() == (runs.release / "questions.jsonl").read_bytes()
    assert release.guides == parent.guides


def test_the_same_panel_and_seed_give_the_same_subsets(runs: Runs, tmp_path: Path) -> None:
    panel = [runs.reasoner, runs.checkpoint]
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        result = subsets(runs.release, panel, out, "--size", "1", "--version", "2.0.0")
        assert result.returncode == 0, result.stderr[-3000:]
    for name in ("recoverability_shared.json", "guidability_shared.json"):
        assert (outs[0] / "subsets" / name).read_bytes() == (outs[1] / "subsets" / name).read_bytes()
    assert (outs[0] / "manifest.json").read_bytes() == (outs[1] / "manifest.json").read_bytes()
    assert load_release(outs[0]).version == "2.0.0"


def test_runs_on_an_earlier_version_serve_a_release_derived_from_it(runs: Runs, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    made = subsets(runs.release, [runs.random], first)
    assert made.returncode == 0, made.stderr[-3000:]
    made = subsets(first, [runs.reasoner, runs.random], second)
    assert made.returncode == 0, made.stderr[-3000:]
    release, parent = load_release(second), load_release(first)
    recorded = release.manifest["panel"]
    assert (release.version, recorded["release_version"]) == ("1.2.0", "1.1.0")
    assert recorded["release_manifest_sha256"] == parent.manifest_sha256
    # Each run cites the release it was made on, the first version: recorded as such.
    cited = load_release(runs.release).manifest_sha256
    assert [m["release_manifest_sha256"] for m in recorded["models"]] == [cited, cited]
    assert release.subsets["guidability_shared"].ids == tuple(expected([runs.reasoner, runs.random], runs.release)[1])


def refused(runs: Runs, tmp_path: Path, *panel: Path | str) -> str:
    out = tmp_path / "refused"
    args = ["release", "subsets", "--release", str(runs.release), "--out", str(out), "--panel", *map(str, panel)]
    text = one_sentence_error(suite(*args))
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".refused")]  # no half-written release
    return text


def test_no_panel_is_refused(runs: Runs, tmp_path: Path) -> None:
    assert "no panel given" in refused(runs, tmp_path)


def test_one_bundle_twice_is_refused(runs: Runs, tmp_path: Path) -> None:
    text = refused(runs, tmp_path, runs.random, runs.reasoner, runs.random)
    assert f"panel bundle {runs.random} is given twice" in text
    copy = Path(shutil.copytree(runs.random, tmp_path / "copy-of-random"))
    text = refused(runs, tmp_path, runs.random, copy)
    assert f"panel bundles {runs.random} and {copy} are the same run" in text


def test_two_runs_of_the_same_model_are_refused(runs: Runs, tmp_path: Path) -> None:
    text = refused(runs, tmp_path, runs.reasoner, runs.random, runs.random_again)
    model = json.loads((runs.random / "result.json").read_text())["model"]
    assert f"panel bundles {runs.random} and {runs.random_again} are both runs of the same model and revision" in text
    assert f"({model['id']} at {model['revision']})" in text


def test_a_bundle_that_does_not_validate_is_refused(runs: Runs, tmp_path: Path) -> None:
    broken = Path(shutil.copytree(runs.random, tmp_path / "broken"))
    data = bytearray((broken / "samples.jsonl.gz").read_bytes())
    data[-9] ^= 1
    (broken / "samples.jsonl.gz").write_bytes(bytes(data))
    text = refused(runs, tmp_path, runs.reasoner, broken)
    assert f"{broken / 'samples.jsonl.gz'} was modified" in text
    assert "is not a result bundle" in refused(runs, tmp_path, tmp_path / "nowhere")


def test_a_bundle_of_another_release_is_refused(runs: Runs, tmp_path: Path) -> None:
    text = refused(runs, tmp_path, runs.reasoner, runs.elsewhere)
    ours, theirs = load_release(runs.release), load_release(runs.other_release)
    assert f"panel bundle {runs.elsewhere} was run on release 1.0.0 ({theirs.manifest_sha256[:12]})" in text
    assert f"(release 1.0.0, {ours.manifest_sha256[:12]})" in text


def test_an_incomplete_solo_pass_is_refused(runs: Runs, tmp_path: Path) -> None:
    text = refused(runs, tmp_path, runs.reasoner, runs.partial)
    assert f"panel bundle {runs.partial} is not a complete solo pass" in text
    assert "--limit 1, --samples 4 (the protocol's 8), temperature 1.0 (the protocol's 0.6)" in text


def test_the_loader_checks_the_recorded_panel(runs: Runs, tmp_path: Path) -> None:
    out = tmp_path / "new"
    result = subsets(runs.release, [runs.random], out)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    cases: list[tuple[Callable[[dict[str, Any]], None], str]] = [
        (lambda m: m["panel"].update(recoverability_eligible=3), "lists 0 questions, its panel draws 3"),
        (lambda m: m["panel"].update(guides=["r1"]), "names guide set 'r1', which the release lacks"),
        (lambda m: m["panel"]["models"].append(m["panel"]["models"][0]), "lists the run of"),
        (lambda m: m["panel"].update(samples=4), "does not match schemas/release.schema.json"),
        (lambda m: m.update(subsets=["recoverability_shared"]), "records a panel but no subset guidability_shared"),
    ]
    for change, message in cases:
        broken = Path(shutil.copytree(out, tmp_path / "broken"))
        changed = json.loads(json.dumps(manifest))
        change(changed)
        if "guidability_shared" not in changed["subsets"]:
            (broken / "subsets" / "guidability_shared.json").unlink()
            del changed["files"]["subsets/guidability_shared.json"]
        write_manifest(broken, changed)
        with pytest.raises(SuiteError, match=message):
            load_release(broken)
        shutil.rmtree(broken)


def test_bad_arguments_are_refused_before_any_bundle_is_read(runs: Runs, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    base = ["release", "subsets", "--release", str(runs.release), "--panel", str(runs.random)]
    assert "already exists" in one_sentence_error(suite(*base, "--out", str(tmp_path / "taken")))
    zero = one_sentence_error(suite(*base, "--out", str(tmp_path / "x"), "--size", "0"))
    assert "--size 0 is not a whole number of at least 1" in zero
    assert "other than 1.0.0" in one_sentence_error(suite(*base, "--out", str(tmp_path / "x"), "--version", "1.0.0"))
    assert not (tmp_path / "x").exists()
