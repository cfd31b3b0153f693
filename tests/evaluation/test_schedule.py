"""Barrier-free scheduling: work becomes ready as its dependencies are graded, in any order, with the same items."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from suite.backends._base import Blocking, Completion, Request, SamplingConfig
from suite.evaluation import EvalConfig
from suite.evaluation._run import run_protocol
from suite.evaluation._schedule import GuidabilityWork, RecoverabilityWork, Schedule, SoloWork, Work
from suite.evaluation._store import SampleStore
from suite.release import load_release
from suite.steering import cut_units


def schedule(n: int = 60, **knobs: object) -> Schedule:
    knobs.setdefault("individual_subset_size", 20)  # of ~53 solved: the others can be distractors
    config = EvalConfig(model="m", distractor_pool_size=10, control_size=5, **knobs)  # type: ignore[arg-type]
    ids = [f"q{i:03d}" for i in range(n)]
    return Schedule(
        config, ids, {q: str(i) for i, q in enumerate(ids)}, ids[:6], ids[:6], group=4, units=lambda q, i: 10
    )


def solve_count(qid: str) -> int:
    return int(qid[1:]) % 9  # 0/8 ... 8/8


def feed(s: Schedule, order: Sequence[str]) -> list[tuple[str, Work]]:
    """Solo outcomes in ``order``; (the question that completed, each piece of work it made ready)."""
    out: list[tuple[str, Work]] = []
    for qid in order:
        k = solve_count(qid)
        out.extend((qid, w) for w in s.solo_done(qid, [i < k for i in range(8)]))
    return out


def test_same_outcomes_in_any_order_give_the_same_work() -> None:
    first = schedule()
    solo = first.start()
    assert all(isinstance(w, SoloWork) and len(w.question_ids) <= 4 for w in solo)
    order = [q for w in solo for q in w.question_ids]  # type: ignore[union-attr]
    assert sorted(order) == sorted(first.question_ids)
    work_a = feed(first, order)
    second = schedule()
    shuffled = list(order)
    random.Random(3).shuffle(shuffled)
    work_b = feed(second, shuffled)
    assert sorted(map(repr, (w for _, w in work_a))) == sorted(map(repr, (w for _, w in work_b)))
    assert first.counts == second.counts and first.notes == second.notes and first.finished


def test_guidability_is_ready_as_soon_as_its_question_is_graded() -> None:
    s = schedule()
    first = s.start()[0].question_ids[0]  # type: ignore[union-attr]
    ready = s.solo_done(first, [False] * 8)
    assert GuidabilityWork("guidability", "individual", first) in ready
    assert not s.finished


def test_shared_recoverability_waits_for_its_items_and_the_pool_and_individual_for_every_bucket() -> None:
    s = schedule()
    order = [q for w in s.start() for q in w.question_ids]  # type: ignore[union-attr]
    made = feed(s, order)
    shared = [(by, w) for by, w in made if isinstance(w, RecoverabilityWork) and w.subset == "shared"]
    individual = [(by, w) for by, w in made if isinstance(w, RecoverabilityWork) and w.subset == "individual"]
    listed = s.shared_recoverability
    last_listed = max(order.index(q) for q in listed)
    released_by = {by for by, _ in shared}
    # All at once: once every listed question is graded (the length rule reads all their trajectories) and the pool.
    assert len(released_by) == 1 and order.index(released_by.pop()) >= last_listed
    assert {w.question_id for _, w in shared} == {q for q in listed if solve_count(q) > 0}
    assert individual and {by for by, _ in individual} == {order[-1]}  # only once every bucket is known
    items = {w.question_id for _, w in individual}
    for _, w in shared + individual:
        assert isinstance(w, RecoverabilityWork) and len(w.distractors) == 5  # one per position
        excluded = set(listed) if w.subset == "shared" else items
        for d in w.distractors:
            assert d.question_id != w.question_id and d.question_id not in excluded
            assert s.golds[d.question_id] != s.golds[w.question_id] and solve_count(d.question_id) > 0


def test_an_item_without_a_usable_distractor_is_reported_not_run() -> None:
    s = schedule()
    s.units = lambda q, i: 3  # every trajectory has 3 units: int(3 * 0.2) = 0, no distractor can be cut
    made = feed(s, [q for w in s.start() for q in w.question_ids])  # type: ignore[union-attr]
    assert not [w for _, w in made if isinstance(w, RecoverabilityWork)]
    assert s.counts["individual_recoverability_no_distractor"] == s.counts["individual_recoverability"] > 0
    assert any("no usable distractor" in n for n in s.notes) and any("0 distractor questions" in n for n in s.notes)


THINKING = "\n\n".join(f"Step {k}: " + " ".join(["word"] * 30) + "." for k in range(10))
"""Ten units of 32 words: every cut of it is worth splicing."""


class FakeBackend(Blocking):
    """A controllable engine: each request takes ``duration(key)`` fake seconds, all run in parallel."""

    name = "fake"
    background = False
    window = 64
    context_length = 4096

    def __init__(self, golds: dict[str, str], slow: float, fast_question: str) -> None:
        self.now = 0.0
        self.golds, self.slow, self.fast_question = golds, slow, fast_question
        self.submitted: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self._running: dict[str, tuple[float, Request]] = {}

    def clock(self) -> float:
        return self.now

    def submit(self, requests: Sequence[Request], sampling: SamplingConfig) -> None:
        for r in requests:
            self.submitted[r.key] = self.now
            quick = not r.key.startswith("solo/") or r.key == f"solo/{self.fast_question}"
            self._running[r.key] = (self.now + (1.0 if quick else self.slow), r)

    @property
    def busy(self) -> int:
        return len(self._running)

    def collect(self) -> list[Completion]:
        self.now = min(t for t, _ in self._running.values())
        done = [r for t, r in self._running.values() if t == self.now]
        out: list[Completion] = []
        for r in done:
            del self._running[r.key]
            self.finished[r.key] = self.now
            qid = r.key.split("/", 1)[1] if r.key.startswith("solo/") else "/".join(r.key.split("/")[2:4])
            text = self.completion(qid)
            out.extend(Completion(r.key, i, text, len(r.prompt_ids), 5, "stop") for i in range(r.n))
        return out

    def completion(self, qid: str) -> str:
        """The fast question is never solved (truncated); every other answer is right."""
        return "thinking" if qid == self.fast_question else f"{THINKING}\n</think> \\boxed{{{self.golds[qid]}}}"

    def versions(self) -> dict[str, str]:
        return {}

    def close(self) -> None:
        pass


@pytest.mark.parametrize("slow", [100.0])
def test_guidability_of_an_early_question_is_submitted_before_the_solo_pass_ends(
    arith_release: Path, tiny_model: object, tmp_path: Path, slow: float
) -> None:
    release = load_release(arith_release)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))  # type: ignore[operator]
    questions = list(release.questions)
    fast = questions[5].id
    backend = FakeBackend({q.id: q.answer for q in questions}, slow, fast)
    config = EvalConfig(model="tiny", grading_workers=1)
    with SampleStore.open(tmp_path, {"config": config.to_json()}) as store:
        outcome = run_protocol(
            config, release, questions, tokenizer, backend, "tiny", store, lambda *a: None, backend.clock
        )
        samples = list(store.samples())
    solo_end = max(t for k, t in backend.finished.items() if k.startswith("solo/"))
    assert solo_end == slow
    early = {k: t for k, t in backend.submitted.items() if k.startswith(f"guidability/individual/{fast}/")}
    guide = next(t.thinking for t in release.guides["oracle"] if t.question_id == fast)
    runnable = [f for f in config.guide_fractions if cut_units(guide, f)]  # an empty cut is never run
    assert len(early) == len(runnable) > 0 and all(t == 1.0 for t in early.values())  # not at t=100
    assert all(t >= slow for k, t in backend.submitted.items() if k.startswith("recoverability/individual/"))
    # Every later request was handed over the moment it was ready: the engine never waited on the harness.
    assert outcome.timeline["idle_with_ready_work_s"] == 0 and outcome.timeline["generating_s"] == backend.now
    tests = {s.test for s in samples}
    assert tests == {"solo", "recoverability", "guidability", "control"}
    assert len(samples) == sum(8 if k.split("/")[0] != "recoverability" else 1 for k in backend.finished)


class LosingBackend(FakeBackend):
    """Returns one completion too few for the first solo request."""

    lost = False

    def collect(self) -> list[Completion]:
        out = super().collect()
        first = None if self.lost else next((c for c in out if c.key.startswith("solo/")), None)
        self.lost = self.lost or first is not None
        return [c for c in out if c is not first]


def test_a_backend_that_loses_completions_is_an_error_not_a_hang(
    arith_release: Path, tiny_model: object, tmp_path: Path
) -> None:
    from suite._errors import SuiteError

    release = load_release(arith_release)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))  # type: ignore[operator]
    questions = list(release.questions)[:4]
    backend = LosingBackend({q.id: q.answer for q in questions}, 2.0, questions[0].id)
    config = EvalConfig(model="tiny", grading_workers=1, tests=("solo",))
    with SampleStore.open(tmp_path, {"config": config.to_json()}) as store, pytest.raises(SuiteError) as error:
        run_protocol(config, release, questions, tokenizer, backend, "tiny", store, lambda *a: None, backend.clock)
    assert "returned fewer completions than asked for 1 request(s), e.g. solo/" in str(error.value)


def test_a_steered_prompt_longer_than_the_context_is_noted_not_run(
    arith_release: Path, tiny_model: object, tmp_path: Path
) -> None:
    release = load_release(arith_release)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model("qwen3"))  # type: ignore[operator]
    questions = list(release.questions)
    backend = FakeBackend({q.id: q.answer for q in questions}, 1.0, "none")
    submitted: list[Request] = []
    submit = backend.submit

    def recording(requests: Sequence[Request], sampling: SamplingConfig) -> None:
        submitted.extend(requests)
        submit(requests, sampling)

    backend.submit = recording  # type: ignore[method-assign]
    solo = max(len(tokenizer.apply_chat_template([{"role": "user", "content": q.problem}])) for q in questions)
    backend.context_length = solo + 250  # room for the solo prompts and short steers only
    config = EvalConfig(model="tiny", grading_workers=1)
    with SampleStore.open(tmp_path, {"config": config.to_json()}) as store:
        outcome = run_protocol(
            config, release, questions, tokenizer, backend, "tiny", store, lambda *a: None, backend.clock
        )
    over = [n for n in outcome.notes if "M's context is" in n]
    assert over and outcome.counts["steered_prompts_over_context"] == len(over)
    assert all(len(r.prompt_ids) + 1 < backend.context_length for r in submitted if not r.key.startswith("solo/"))
    assert {r.key for r in submitted if r.key.startswith("solo/")} == {f"solo/{q.id}" for q in questions}
    assert any(not r.key.startswith("solo/") for r in submitted)  # the short steers still ran
