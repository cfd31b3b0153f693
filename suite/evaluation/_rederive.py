"""Re-deriving a bundle from its release: every grade, every generation, every item and every steer.

Recomputing the metrics from the stored grades (``check_samples``) cannot see grades flipped
consistently, samples dropped or added, or items chosen by hand. This module re-does what the run
did, from the release and the configuration the bundle records:

- every completion is graded again by the suite's grader (in the killable worker pool), with the
  recorded Math-Verify version and float rounding; a grade that differs rejects the bundle;
- the items follow from the seed and the solo grades (the run's own ``Schedule``, fed the same
  solo outcomes), so every generation the protocol implies must be there exactly once, and nothing else;
- every steer is the one the release's guide set, or the run's own solo samples, give at the recorded
  fraction or position, and every sample's seed is the one its request derives;
- the item counts and the shared-coverage denominator are the ones the schedule gives.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite.evaluation._bundle import RESULT, check_samples, checked_result, iter_samples
from suite.evaluation._config import EvalConfig
from suite.evaluation._requests import Expected, Identity, expected_requests, identity, release_guides
from suite.evaluation._run import same_answer, select_questions
from suite.evaluation._schedule import (
    DistractorSource,
    RecoverabilityWork,
    Schedule,
    SoloWork,
    UnitCount,
    Work,
)
from suite.grading import Grade, GraderPool, GradingConfig
from suite.release import Question, Release
from suite.steering import (
    FORMATS,
    Cutting,
    ThinkingFormat,
    unit_spans,
)

STEER_FIELDS = (
    "benchmark",
    "seed",
    "own_sample",
    "distractor_question_id",
    "distractor_sample",
    "distractor_model",
    "steer_own",
    "steer_transition",
    "steer_text",
)
"""The fields of a sample that follow from its request (compared with the derived ones)."""


def describe(ident: Identity) -> str:
    """A generation in words: ``the recoverability sample 0 of arith/x (shared, position 0.2)``."""
    test, subset, question_id, position, fraction, guide, guide_sample, sample = ident
    where = [subset] if subset else []
    if position is not None:
        where.append(f"position {position:g}")
    if guide is not None:
        where.append(f"guide {guide[:40]} trajectory {guide_sample}")
    if fraction is not None:
        where.append(f"fraction {fraction:g}")
    return f"the {test} sample {sample} of {question_id[:80]}" + (f" ({', '.join(where)})" if where else "")


class GraderVersionError(SuiteError):
    """The bundle was graded by another Math-Verify version than the one installed (a fact about this machine)."""


@dataclass
class Tally:
    """Samples handed to the grader so far (counted even when re-deriving then rejects the bundle)."""

    regraded: int = 0


@dataclass(frozen=True)
class Rederived:
    """What re-deriving a bundle did."""

    samples: int
    """Samples read."""
    regraded: int
    """Samples graded again (every one that is not a marker-less truncation)."""
    judged: int
    """Grades an LLM judge turned correct, which the grader alone cannot confirm (kept as recorded)."""
    requests: int
    """Requests the protocol implies for this run."""


# -- the protocol's requests, from the solo outcomes (pure) ---------------------------------------


def derived_work(
    config: EvalConfig,
    questions: Sequence[Question],
    release: Release,
    solo: Mapping[str, Sequence[bool]],
    units: UnitCount,
    sources: Sequence[DistractorSource] = (),
) -> tuple[Schedule, list[Work]]:
    """Every piece of work the run's schedule hands out when fed ``solo`` (question id -> graded samples)."""
    subsets = release.subsets
    schedule = Schedule(
        config,
        [q.id for q in questions],
        {q.id: q.answer for q in questions},
        subsets["recoverability_shared"].ids if "recoverability_shared" in subsets else (),
        subsets["guidability_shared"].ids if "guidability_shared" in subsets else (),
        units=units,
        same_answer=same_answer,
        sources=sources,
    )
    work: list[Work] = list(schedule.start())
    for unit in list(work):
        assert isinstance(unit, SoloWork)
        for question_id in unit.question_ids:
            work.extend(schedule.solo_done(question_id, solo[question_id]))
    return schedule, work


def trajectories_needed(work: Iterable[Work]) -> set[tuple[str, int]]:
    """The run's own solo samples (question id, sample) whose thinking the steers of ``work`` are cut from."""
    needed: set[tuple[str, int]] = set()
    for unit in work:
        if isinstance(unit, RecoverabilityWork):
            needed.add((unit.question_id, unit.own_sample))
            needed.update((d.question_id, d.sample) for d in unit.distractors if d.source is None)
    return needed


# -- a bundle, re-derived ---------------------------------------------------------------------------


def rederive_bundle(
    directory: Path, release: Release, workers: int = 2, allow_foreign: bool = True
) -> tuple[dict[str, Any], Rederived]:
    """``suite validate``: every check of ``validate_bundle``, then the bundle re-derived from ``release``.

    Returns ``result.json`` and what re-deriving found; any problem is a SuiteError of one sentence.
    """
    result, samples_path = checked_result(directory)
    check_samples(result, samples_path)
    return result, rederive(result, samples_path, release, workers, allow_foreign)


def rederive(
    result: dict[str, Any],
    samples_path: Path,
    release: Release,
    workers: int = 2,
    allow_foreign: bool = True,
    tally: Tally | None = None,
) -> Rederived:
    """Re-grade, re-select and re-cut everything of a bundle whose ``result.json`` passed ``checked_result``.

    ``allow_foreign``: read the other models' bundles a cross-model ablation names (from the paths it
    recorded); without it such a run is refused, since its distractors cannot be re-derived.
    """
    where = samples_path.parent
    recorded = result["release"]
    if recorded["manifest_sha256"] != release.manifest_sha256:
        raise SuiteError(
            f"{where} was run on release {str(recorded['version'])[:40]} "
            f"(manifest {str(recorded['manifest_sha256'])[:12]}), "
            f"not on the release at {release.path} ({release.version}, manifest {release.manifest_sha256[:12]}); "
            "pass the bundle's release with --release."
        )
    grading = _grading_config(result, where)
    config = _config(result, where)
    fmt = _thinking_format(result, where)
    questions = select_questions(release, config)
    by_id = {q.id: q for q in questions}
    sources, foreign = _foreign(config, release, questions, where, allow_foreign)
    tally = tally or Tally()
    judged = result["grading"]["judge"] is not None
    reading = _read_and_regrade(samples_path, by_id, fmt, grading, workers, judged, tally)

    missing_solo = [(q.id, k) for q in questions for k in range(config.samples) if k not in reading.solo.get(q.id, {})]
    if missing_solo:
        question_id, k = missing_solo[0]
        raise SuiteError(
            f"{samples_path}: solo sample {k} of {question_id[:80]} is missing ({len(missing_solo)} solo samples are); "
            "every evaluated question needs all its solo samples, so the bundle cannot be used."
        )
    solo = {q: tuple(outcomes[k] for k in range(config.samples)) for q, outcomes in reading.solo.items()}
    schedule, work = derived_work(config, questions, release, solo, lambda q, s: reading.units.get((q, s), 0), sources)
    needed = trajectories_needed(work)
    texts: dict[tuple[str, int], str] = {}
    for s in iter_samples(samples_path):
        if s.test == "solo" and (s.question_id, s.sample) in needed:
            texts[(s.question_id, s.sample)] = fmt.split(s.completion, s.finish_reason)[0]
    cutting = Cutting(config.protocol, _token_length(result, config) if config.protocol != "paper" else len)
    guides = release_guides(release)
    expected = expected_requests(config, work, by_id, guides, lambda q, s: texts[(q, s)], cutting, foreign)
    _check_generations(expected, reading.seen, result, samples_path)
    _check_counts(schedule, questions, result, where)
    return Rederived(reading.count, tally.regraded, reading.judged, len(expected))


@dataclass
class _Reading:
    """What one pass over the samples keeps: identities and derived fields, solo outcomes, unit counts."""

    seen: dict[Identity, tuple[int, tuple[Any, ...]]] = dataclasses.field(default_factory=dict)
    """Identity -> (line, the sample's ``STEER_FIELDS``, long texts as sha256)."""
    solo: dict[str, dict[int, bool]] = dataclasses.field(default_factory=dict)
    units: dict[tuple[str, int], int] = dataclasses.field(default_factory=dict)
    """Units of each correct solo trajectory (the distractor length rule reads them)."""
    count: int = 0
    judged: int = 0


def _digest(value: Any) -> Any:
    return hashlib.sha256(value.encode("utf-8")).hexdigest() if isinstance(value, str) and len(value) > 64 else value


def _read_and_regrade(
    path: Path,
    questions: Mapping[str, Question],
    fmt: ThinkingFormat,
    grading: GradingConfig,
    workers: int,
    judged: bool,
    tally: Tally,
) -> _Reading:
    """One pass: every sample's identity kept (each at most once, of an evaluated question) and its grade re-done."""
    reading = _Reading()
    stored: dict[int, tuple[Identity, Grade]] = {}
    differences: list[tuple[int, str]] = []

    def compare(line: int, fresh: Grade) -> None:
        ident, grade = stored.pop(line)
        if fresh.correct == grade.correct:
            return
        if judged and grade.correct and grade.method == "judge" and grade.judge_verdict == "CORRECT":
            reading.judged += 1  # the judge's verdict stands: it cannot be asked again here
            return
        if grade.timed_out and not grade.correct:
            return  # the run's grader ran out of time: a wrong grade it could not decide claims nothing
        how = " (re-grading timed out twice)" if fresh.timed_out else ""
        differences.append(
            (
                line,
                f"{path} line {line}: {describe(ident)} is graded {_verdict(grade)} but re-grading its completion "
                f"gives {_verdict(fresh)}{how}; the bundle's grades do not follow from its completions.",
            )
        )

    with GraderPool(workers, grading) as pool:
        for line, s in enumerate(iter_samples(path), 1):
            reading.count += 1
            ident = identity(s)
            q = questions.get(s.question_id)
            if q is None:
                raise SuiteError(
                    f"{path} line {line}: {describe(ident)} is of a question this run did not evaluate "
                    "(the recorded benchmarks and limit choose them); the bundle cannot be used."
                )
            if ident in reading.seen:
                raise SuiteError(
                    f"{path} line {line}: {describe(ident)} appears twice (first on line {reading.seen[ident][0]}); "
                    "the bundle cannot be used."
                )
            reading.seen[ident] = (line, tuple(_digest(getattr(s, f)) for f in STEER_FIELDS))
            thinking, answer = fmt.split(s.completion, s.finish_reason)
            if s.test == "solo":
                reading.solo.setdefault(s.question_id, {})[s.sample] = s.correct
                if s.correct:
                    reading.units[(s.question_id, s.sample)] = len(unit_spans(thinking))
            stored[line] = (ident, s.grade)
            if answer is None and not fmt.closer:  # as the run does: no markers, cut by the token limit
                compare(line, Grade(False, truncated=True))
                continue
            pool.submit(line, s.completion, q.answer, q.is_multiple_answer, closer=fmt.closer)
            tally.regraded += 1
            while (item := pool.get(timeout=0)) is not None:
                compare(_line(item[0]), item[1])
        for key, fresh in pool.results():
            compare(_line(key), fresh)
    if differences:
        raise SuiteError(min(differences)[1])
    return reading


def _line(key: object) -> int:
    assert isinstance(key, int), "the pool hands back the line numbers it was given"
    return key


def _verdict(grade: Grade) -> str:
    return "correct" if grade.correct else "wrong"


def _check_generations(
    expected: Sequence[Expected], seen: dict[Identity, tuple[int, tuple[Any, ...]]], result: dict[str, Any], path: Path
) -> None:
    """Each implied generation present once with its derived fields; none missing (but noted ones), none extra."""
    left = dict(seen)
    over_context = _over_context(result, path.parent / RESULT)
    missing: list[tuple[Expected, Identity]] = []
    not_run = 0
    for e in expected:
        derived = tuple(_digest(getattr(e.template, f)) for f in STEER_FIELDS)
        found = [left.pop(i, None) for i in e.identities()]
        if e.request in over_context and not any(found):
            not_run += 1
            continue
        for ident, record in zip(e.identities(), found, strict=True):
            if record is None:
                missing.append((e, ident))
                continue
            line, fields = record
            for name, claimed, want in zip(STEER_FIELDS, fields, derived, strict=True):
                if claimed != want:
                    raise SuiteError(
                        f"{path} line {line}: {describe(ident)} has a {name} other than the one its request gives "
                        f"(the release, the seed and the run's own solo samples derive it); the bundle cannot be used."
                    )
    if left:
        ident, (line, _) = min(left.items(), key=lambda kv: kv[1][0])
        raise SuiteError(
            f"{path} line {line}: {describe(ident)} is not a generation the protocol implies for this run "
            f"({len(left)} such); its items follow from the seed and the solo grades, so the bundle cannot be used."
        )
    if missing:
        e, ident = missing[0]
        raise SuiteError(
            f"{path}: {describe(ident)}, which the protocol implies for this run, is missing ({len(missing)} "
            "generations are); the bundle cannot be used."
        )
    claimed = result["items"].get("steered_prompts_over_context", 0)
    if claimed != not_run:
        raise SuiteError(
            f"{path.parent / RESULT}: items.steered_prompts_over_context is {claimed!r} but {not_run} noted requests "
            "are absent; the bundle's counts do not follow from its samples."
        )


OVER_CONTEXT = re.compile(r"(.+): the steered prompt has (\d+) tokens and M's context is (\d+); not run")
"""The note ``suite eval`` leaves for a steered prompt that does not fit M's context (``_Runner.fits``)."""


def _over_context(result: dict[str, Any], where: Path) -> set[str]:
    """The requests ``notes`` says were over M's context, each note checked against the recorded context length.

    A note must say what ``suite eval`` would: a prompt of at least the context length less one token, and the
    context the engine ran with (``backend.context_length``, when recorded). Whether the prompt really has that
    many tokens needs M's tokenizer, which validate does not load.
    """
    engine = result["backend"].get("context_length")
    noted = set()
    for note in result["notes"]:
        if not isinstance(note, str) or ": the steered prompt has " not in note:
            continue
        found = OVER_CONTEXT.fullmatch(note)
        tokens, context = (int(found[2]), int(found[3])) if found else (0, 0)
        if not found or tokens + 1 < context or (engine is not None and context != engine):
            raise SuiteError(
                f"{where}: the note {note[:120]!r} does not say what suite eval says of a steered prompt over "
                f"M's context ({engine if engine is not None else 'the recorded context'} tokens); "
                "the bundle cannot be used."
            )
        noted.add(found[1])
    return noted


def _check_counts(schedule: Schedule, questions: Sequence[Question], result: dict[str, Any], where: Path) -> None:
    """The recorded item counts, coverage denominator included, are the schedule's."""
    derived: dict[str, Any] = {
        "questions": len(questions),
        "shared_recoverability": schedule.counts.get("shared_recoverability", 0),
        **schedule.counts,
    }
    for name, value in derived.items():
        if result["items"].get(name) != value:
            raise SuiteError(
                f"{where / RESULT}: items.{name} is {result['items'].get(name)!r} but the release, the seed and the "
                f"solo grades give {value}; the bundle's counts do not follow from its samples."
            )


# -- what the recorded configuration says -----------------------------------------------------------


def _grading_config(result: dict[str, Any], where: Path) -> GradingConfig:
    """The recorded grading knobs that decide grades, refused when the installed grader is another version."""
    grading = result["grading"]
    installed = GradingConfig().to_json()["math_verify_version"]
    if grading["math_verify_version"] != installed:
        raise GraderVersionError(
            f"{where} was graded with math-verify {str(grading['math_verify_version'])[:40]} but {installed} is "
            f"installed; install math-verify=={str(grading['math_verify_version'])[:40]} to re-grade it."
        )
    rounding = grading["float_rounding"]
    if not 0 <= rounding <= 30:
        raise SuiteError(f"{where / RESULT}: grading.float_rounding {rounding} is not 0-30; regenerate the bundle.")
    return GradingConfig(float_rounding=rounding)


_TUPLES = (
    "base_url",
    "tests",
    "benchmarks",
    "positions",
    "guide_fractions",
    "distractor_percentiles",
    "distractors_from",
)


def _config(result: dict[str, Any], where: Path) -> EvalConfig:
    """The run's ``EvalConfig`` from ``result.json``; refused when a knob is unknown or a value eval refuses."""
    from suite.evaluation._evaluate import check_config

    recorded = result["config"]
    names = {f.name for f in dataclasses.fields(EvalConfig)}
    unknown = sorted(set(recorded) - names)
    try:
        if unknown:
            raise ValueError(f"config.{unknown[0][:40]} is not a knob of this suite")
        values: dict[str, Any] = {
            k: tuple(v) if k in _TUPLES and isinstance(v, list) else v for k, v in recorded.items()
        }
        config = EvalConfig(**values)
        check_config(config)
        if config.limit is not None and (isinstance(config.limit, bool) or not isinstance(config.limit, int)):
            raise ValueError("config.limit is not a whole number")
    except (SuiteError, TypeError, ValueError) as e:
        raise SuiteError(
            f"{where / RESULT}: the recorded configuration cannot be re-run ({str(e)[:200]}); regenerate the bundle."
        ) from None
    return config


def _thinking_format(result: dict[str, Any], where: Path) -> ThinkingFormat:
    """M's thinking format as recorded (``think`` where none is), its markers those the suite knows."""
    recorded = result.get("thinking") or {"format": "think"}
    known = FORMATS.get(recorded["format"])
    markers = ("opener", "closer", "answer_marker")
    if known is None or any(recorded.get(m, getattr(known, m)) != getattr(known, m) for m in markers):
        raise SuiteError(
            f"{where / RESULT}: thinking format {str(recorded['format'])[:40]!r} is not one the suite knows with those "
            f"markers ({', '.join(sorted(FORMATS))}); regenerate the bundle with suite eval."
        )
    return known


def _foreign(
    config: EvalConfig, release: Release, questions: Sequence[Question], where: Path, allow: bool
) -> tuple[list[DistractorSource], dict[str, Mapping[tuple[str, int], str]]]:
    """The cross-model ablation's other models, read from the bundles the run recorded."""
    if not config.distractors_from:
        return [], {}
    if not allow:
        raise SuiteError(
            f"{where} is a cross-model ablation run whose distractors come from other bundles, which cannot be "
            "re-derived here; validate it with suite validate beside those bundles."
        )
    from suite.evaluation._distractors import load_distractors

    loaded = load_distractors(
        config.distractors_from, release, config.model, {q.id: q.answer for q in questions}, config.seed
    )
    return [d.source for d in loaded], {d.source.name: d.thinking for d in loaded}


def _token_length(result: dict[str, Any], config: EvalConfig) -> Callable[[str], int]:
    """M's token count (``paper-text`` cuts steers by tokens): its tokenizer, from the local Hugging Face cache."""
    model = result["model"]
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model["id"], revision=model["revision"], trust_remote_code=False)
    except Exception as e:  # any failure to load is the same: this machine lacks M's tokenizer
        raise SuiteError(
            f"re-deriving a {config.protocol} run cuts steers by M's tokens, but the tokenizer of "
            f"{str(model['id'])[:80]} could not be loaded ({type(e).__name__}); download it with "
            "huggingface-cli download, then validate again."
        ) from None
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False))
