"""``suite release add-guide``: a guide model's trajectories become a guide steer set of a new release version.

Three routes, one format: the guide's own solo run (a result bundle, graded by the run), the folder a chat-endpoint
generation writes (``suite guides generate``, see ``suite.release._generated``), and public files of real traces
(``suite.release._traces``). Only correct trajectories with a closed thinking block are kept, every one of them
by default (``per_question`` caps it); the endpoint and trace routes grade every trajectory again with the suite's
grader in worker processes, whatever the source says. What was read, matched, kept and dropped (and why) is
returned for the command to print. Releases are immutable: the result is a new folder with a new version.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite._files import iter_jsonl, read_json, read_text, sha256_file
from suite.evaluation._bundle import RESULT, read_samples, validate_bundle
from suite.grading import THINK_END, Grade, GraderPool, quick_grade
from suite.release import GuideTrajectory, Question, Release, load_release
from suite.release._build import write_jsonl
from suite.release._derive import write_derived_release
from suite.release._generated import GENERATION, SAMPLES, GeneratedSample, parse_generation, parse_sample
from suite.release._records import (
    UNKNOWN_SAMPLING,
    BundleSource,
    EndpointSource,
    GuideSet,
    GuideSource,
    Sampling,
    TracesSource,
)
from suite.release._traces import (
    MATH500,
    THINK_START,
    Matched,
    TraceFile,
    companion_ids,
    match_traces,
    needs_ids,
    parse_source,
    parse_traces,
    split_output,
    with_ids,
)
from suite.steering import format_named

UNKNOWN_REVISION = "unknown"
"""The revision recorded when neither the source nor ``--revision`` says."""
SOURCE_FILE = "SOURCE.txt"
"""Beside a copied trace file: ``github.com/OWNER/REPO@COMMIT: paths`` (its origin)."""
MAX_TRACE_BYTES = 512 * 2**20
"""Larger trace files (and companions) are refused before parsing."""
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")


@dataclass
class Harvest:
    """What one route read, matched to release questions, kept and dropped."""

    model: str
    revision: str
    source: GuideSource
    sampling: Sampling
    read: int = 0
    """Trajectories in the source."""
    matched: int = 0
    """Of those, trajectories of a release question."""
    kept: list[GuideTrajectory] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    """Why the others were not kept, with counts."""

    def keep(self, question_id: str, thinking: str, answer: str, num_tokens: int | None, sample: int) -> None:
        """Keep one correct, complete trajectory of the guide."""
        self.kept.append(
            GuideTrajectory(
                question_id=question_id,
                guide_model=self.model,
                guide_revision=self.revision,
                thinking=thinking,
                answer=answer,
                correct=True,
                num_tokens=num_tokens,
                sample=sample,
            )
        )

    def summary(self) -> str:
        """One line for the command's output."""
        questions = len({t.question_id for t in self.kept})
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(self.dropped.items(), key=lambda kv: (-kv[1], kv[0])))
        return (
            f"read {self.read} trajectories, matched {self.matched} to release questions, kept {len(self.kept)} "
            f"on {questions} questions; dropped: {why or 'none'}"
        )


def next_minor(version: str) -> str:
    """1.0.0 -> 1.1.0 (a new guide set adds to the release without breaking it)."""
    major, minor, _ = re.split(r"[.-]", version)[:3]
    return f"{major}.{int(minor) + 1}.0"


def add_guide(
    release_dir: Path,
    name: str,
    out: Path,
    *,
    run: Path | None = None,
    traces: Path | None = None,
    generated: Path | None = None,
    model: str | None = None,
    revision: str | None = None,
    per_question: int | None = None,
    version: str | None = None,
    workers: int = 2,
    benchmark: str = MATH500,
) -> tuple[Path, Harvest]:
    """Write a copy of the release with ``steers/guides/<name>.jsonl`` added under a new version.

    Exactly one of ``run`` (a result bundle), ``traces`` (a public trace file) or ``generated`` (a chat-endpoint
    generation folder) gives the trajectories; a trace file's ids name questions of ``benchmark``. Nothing is
    written unless the whole new release verifies.
    """
    release = load_release(release_dir)
    routes = [r for r in (run, traces, generated) if r is not None]
    if len(routes) != 1:
        raise SuiteError("give exactly one of RUN, --from-traces FILE or --from-generated DIR as the guide's source.")
    if run is not None and (model or revision):
        raise SuiteError("--model and --revision apply to --from-traces and --from-generated; a run names its model.")
    if not _NAME.fullmatch(name):
        raise SuiteError(f"guide name {name!r} must be lower-case letters, digits, '.', '_' or '-'.")
    if name in release.guides:
        raise SuiteError(f"release {release_dir} already has a guide named {name!r}; choose another --name.")
    if per_question is not None and per_question < 1:
        raise SuiteError(f"--per-question must be at least 1 (got {per_question}); leave it out to keep every one.")
    new_version = version or next_minor(release.version)
    if not _SEMVER.fullmatch(new_version) or new_version == release.version:
        raise SuiteError(f"--version {new_version!r} must be a semantic version other than {release.version}.")
    if out.exists():
        raise SuiteError(f"{out} already exists; choose another --out.")
    if run is not None:
        harvest = from_bundle(release, run)
    elif traces is not None:
        harvest = from_traces(release, traces, model, revision, workers, benchmark)
    else:
        assert generated is not None
        harvest = from_generated(release, generated, model, revision, workers)
    harvest.kept = keep_per_question(harvest.kept, per_question, release.questions, harvest.dropped)
    if not harvest.kept:
        raise SuiteError(f"{routes[0]} has no correct trajectory with a closed thinking block ({harvest.summary()}).")
    counts = Counter(t.question_id for t in harvest.kept)
    guide_set = GuideSet(
        name=name,
        model=harvest.model,
        revision=harvest.revision,
        file=f"steers/guides/{name}.jsonl",
        source=harvest.source,
        sampling=harvest.sampling,
        trajectories=len(harvest.kept),
        questions=len(counts),
        per_question=max(counts.values()),
        per_question_limit=per_question,
    )
    return write_guide_set(release, guide_set, harvest.kept, out, new_version), harvest


def keep_per_question(
    trajectories: Sequence[GuideTrajectory], limit: int | None, questions: Sequence[Question], dropped: Counter[str]
) -> list[GuideTrajectory]:
    """In release order, then by sample; at most ``limit`` per question (the first ones), the rest counted."""
    order = {q.id: i for i, q in enumerate(questions)}
    kept: list[GuideTrajectory] = []
    per: Counter[str] = Counter()
    for t in sorted(trajectories, key=lambda t: (order[t.question_id], t.sample)):
        per[t.question_id] += 1
        if limit is not None and per[t.question_id] > limit:
            dropped["over the per-question limit"] += 1
        else:
            kept.append(t)
    return kept


def write_guide_set(
    release: Release, guide_set: GuideSet, trajectories: Sequence[GuideTrajectory], out: Path, version: str
) -> Path:
    """Copy the release to a temporary folder, add the guide set, verify, then rename it to ``out``."""

    def write(root: Path) -> None:
        (root / "steers" / "guides").mkdir(parents=True, exist_ok=True)
        write_jsonl(root / guide_set.file, [t.to_json() for t in trajectories])

    manifest = {**release.manifest, "guides": [*release.manifest["guides"], guide_set.to_json()]}
    return write_derived_release(release, out, version, manifest, write)


# -- route 1: the guide's own solo run -----------------------------------------------------------------


def from_bundle(release: Release, bundle: Path) -> Harvest:
    """Every correct, complete solo trajectory of a guide's bundle run on ``release`` (graded by that run)."""
    result = validate_bundle(bundle)
    if not release.has_questions_of(result["release"]["manifest_sha256"]):
        raise SuiteError(
            f"{bundle} was run on release {result['release']['version']} "
            f"({result['release']['manifest_sha256'][:12]}), "
            f"not on {release.path} nor a release it derives from; add guides to the release the guide ran on."
        )
    fmt = format_named(str((result.get("thinking") or {}).get("format", "think")))
    known = {q.id for q in release.questions}
    harvest = Harvest(
        model=result["model"]["id"],
        revision=result["model"]["revision"],
        source=BundleSource(result["samples"]["sha256"], sha256_file(bundle / RESULT), result["created"]),
        sampling=Sampling(**{k: result["sampling"][k] for k in ("temperature", "top_p", "top_k", "max_tokens")}),
    )
    for s in sorted(read_samples(bundle / "samples.jsonl.gz"), key=lambda s: (s.question_id, s.sample)):
        if s.test != "solo":
            continue
        harvest.read += 1
        if s.question_id not in known:
            harvest.dropped["not a question of the release"] += 1
            continue
        harvest.matched += 1
        thinking, answer = fmt.split(s.completion, s.finish_reason)
        if s.finish_reason != "stop" or s.grade.truncated:
            harvest.dropped["unfinished (finish_reason not stop)"] += 1
        elif answer is None or not thinking.strip():
            harvest.dropped["no closed thinking block"] += 1
        elif not s.grade.correct:
            harvest.dropped[_why_wrong(s.grade)] += 1
        else:
            harvest.keep(s.question_id, thinking, answer.strip(), s.completion_tokens or None, s.sample)
    return harvest


# -- route 2: a chat endpoint's generation folder --------------------------------------------------------


def from_generated(release: Release, directory: Path, model: str | None, revision: str | None, workers: int) -> Harvest:
    """Every finished sample of a generation folder made on ``release`` whose content the suite grades correct."""
    if not (directory / GENERATION).is_file():
        raise SuiteError(f"{directory} has no {GENERATION}; pass the folder `suite guides generate --out` wrote.")
    generation = parse_generation(read_json(directory / GENERATION), str(directory / GENERATION))
    if not release.has_questions_of(generation.release_manifest_sha256):
        raise SuiteError(
            f"{directory} was generated on release {generation.release_version} "
            f"({generation.release_manifest_sha256[:12]}), not on {release.path} ({release.manifest_sha256[:12]}) "
            "nor a release it derives from; add it to the release it was generated on."
        )
    samples_path = directory / SAMPLES
    if not samples_path.is_file():
        raise SuiteError(f"{directory} has no {SAMPLES}; the generation is incomplete: resume it.")
    questions = {q.id: q for q in release.questions}
    rows: list[GeneratedSample] = []
    seen: set[tuple[str, int]] = set()
    for number, raw in iter_jsonl(samples_path):
        row = parse_sample(raw, f"{samples_path} line {number}")
        if row.question_id not in questions:
            raise SuiteError(
                f"{samples_path} line {number} names {row.question_id!r}, not a question of release "
                f"{release.version}; the folder is damaged: regenerate it."
            )
        if (row.question_id, row.sample) in seen:
            raise SuiteError(f"{samples_path} line {number} repeats sample {row.sample} of {row.question_id!r}.")
        seen.add((row.question_id, row.sample))
        rows.append(row)
    harvest = Harvest(
        model=model or generation.model,
        revision=revision or generation.date[:10],
        source=EndpointSource(generation.base_url, generation.model, generation.date, sha256_file(samples_path)),
        sampling=generation.sampling,
        read=len(rows),
        matched=len(rows),
    )
    candidates = []
    for row in rows:
        reasoning = (row.reasoning or "").strip("\n")
        if row.finish_reason != "stop":
            harvest.dropped["unfinished (finish_reason not stop)"] += 1
        elif not reasoning.strip():
            harvest.dropped[f"no reasoning ({generation.reasoning_field})"] += 1
        elif THINK_END in reasoning or THINK_START in reasoning:
            harvest.dropped["thinking markers inside the reasoning"] += 1
        else:
            candidates.append((row, reasoning))
    grades = _grade(
        [(row.content or "", questions[row.question_id]) for row, _ in candidates], closer="", workers=workers
    )
    for (row, reasoning), g in zip(candidates, grades, strict=True):
        if not g.correct:
            harvest.dropped[_why_wrong(g)] += 1
            continue
        harvest.keep(row.question_id, reasoning, (row.content or "").strip(), row.completion_tokens or None, row.sample)
    return harvest


# -- route 3: public trace files ------------------------------------------------------------------------


def from_traces(
    release: Release, file: Path, model: str | None, revision: str | None, workers: int, benchmark: str = MATH500
) -> Harvest:
    """Every trace of a public file, matched to release questions and graded again; correct, closed ones kept."""
    traces = parse_traces(_read_limited_json(file), str(file))
    provenance = parse_source(read_text(file.parent / SOURCE_FILE), str(file.parent / SOURCE_FILE))
    path = provenance.path_of(file.name)
    if path is None:
        raise SuiteError(
            f"{file.parent / SOURCE_FILE} names no one repository file that {file.name} is a copy of; "
            "list the file's path in the repository there."
        )
    ids_file = ids_sha256 = None
    if needs_ids(traces):
        companion, ids = _companion(file, traces)
        traces = with_ids(traces, ids)
        ids_file, ids_sha256 = provenance.path_of(companion.name) or companion.name, sha256_file(companion)
    matches = match_traces(traces, {q.id: q for q in release.questions}, benchmark)
    _refuse_unmatched(file, release, matches)
    guide_model = model or provenance.model(path)
    if guide_model is None:
        raise SuiteError(f"the model that wrote {file} is not known to the suite; pass --model (and --revision).")
    harvest = Harvest(
        model=guide_model,
        revision=revision or UNKNOWN_REVISION,
        source=TracesSource(
            provenance.repository,
            provenance.commit,
            path,
            sha256_file(file),
            provenance.url(path),
            ids_file,
            ids_sha256,
        ),
        sampling=UNKNOWN_SAMPLING,
        read=len(matches),
        matched=len(matches),
    )
    candidates: list[tuple[Question, str, str, str, int]] = []
    samples: Counter[str] = Counter()
    for m in matches:
        assert m.question is not None  # _refuse_unmatched let none through
        sample = samples[m.question.id]  # a file with several outputs for a question numbers them in file order
        samples[m.question.id] += 1
        parts = split_output(m.trace.output)
        if parts is None:
            harvest.dropped["no closed thinking block"] += 1
        else:
            candidates.append((m.question, m.trace.output, *parts, sample))
    grades = _grade([(output, q) for q, output, *_ in candidates], closer=THINK_END, workers=workers)
    for (q, _, thinking, answer, sample), g in zip(candidates, grades, strict=True):
        if not g.correct:
            harvest.dropped[_why_wrong(g)] += 1
            continue
        harvest.keep(q.id, thinking, answer, None, sample)
    return harvest


def _companion(file: Path, traces: TraceFile) -> tuple[Path, tuple[str, ...]]:
    """The file beside ``file`` listing the same golds in the same order with ids, and those ids."""
    found: dict[tuple[str, ...], Path] = {}
    for candidate in sorted(file.parent.glob("*.json")):
        if candidate == file or candidate.stat().st_size > MAX_TRACE_BYTES:
            continue
        try:
            value = json.loads(candidate.read_bytes())
        except ValueError:
            continue
        ids = companion_ids(traces, value)
        if ids is not None:
            found.setdefault(ids, candidate)
    if len(found) != 1:
        why = "none lists" if not found else f"{len(found)} files list different ids for"
        raise SuiteError(
            f"{file} gives no question ids and, of the .json files beside it, {why} the same "
            f"{len(traces.traces)} gold answers in the same order with a unique_id; put its ids file beside it."
        )
    ids, companion = next(iter(found.items()))
    return companion, ids


def _refuse_unmatched(file: Path, release: Release, matches: Sequence[Matched]) -> None:
    """One sentence when any trace matches no release question: how many matched, and why the others did not."""
    unmatched = [m for m in matches if m.question is None]
    if not unmatched:
        return
    reasons = Counter(m.reason for m in unmatched)
    example = {m.reason: m.trace for m in reversed(unmatched)}
    why = "; ".join(
        f"{n} because {reason} (e.g. row {example[reason].row}, {example[reason].unique_id!r})"
        for reason, n in reasons.most_common()
    )
    raise SuiteError(
        f"{file}: {len(matches) - len(unmatched)} of {len(matches)} traces match questions of release "
        f"{release.version}, the others do not: {why}; use a release with MATH-500 or the right trace file."
    )


def _read_limited_json(file: Path) -> Any:
    if not file.is_file():
        raise SuiteError(f"trace file {file} does not exist; check the path.")
    size = file.stat().st_size
    if size > MAX_TRACE_BYTES:
        raise SuiteError(f"{file} is {size:,} bytes, over the {MAX_TRACE_BYTES:,}-byte limit for a trace file.")
    return read_json(file)


# -- grading ---------------------------------------------------------------------------------------------


def _grade(items: Sequence[tuple[str, Question]], closer: str, workers: int) -> list[Grade]:
    """Grades of (response, question) pairs against the release's gold; Math-Verify in killable worker processes.

    What the checks that cannot hang decide (exact matches, no answer) never starts a worker.
    """
    first = [quick_grade(text, q.answer, q.is_multiple_answer, closer) for text, q in items]
    pending = [i for i, g in enumerate(first) if not isinstance(g, Grade)]
    grades = {i: g for i, g in enumerate(first) if isinstance(g, Grade)}
    if pending:
        with GraderPool(max(1, min(workers, len(pending)))) as pool:
            verified = pool.grade_all(
                ((items[i][0], items[i][1].answer, items[i][1].is_multiple_answer) for i in pending), closer=closer
            )
        grades |= dict(zip(pending, verified, strict=True))
    return [grades[i] for i in range(len(items))]


def _why_wrong(g: Grade) -> str:
    if g.timed_out:
        return "grading timed out"
    if g.no_answer:
        return "no final answer"
    if g.error:
        return "grading failed"
    return "wrong answer"
