"""``suite compare``: each test's difference from the first bundle, with a 95% bootstrap interval.

A difference is *paired* when both runs have exactly the same items (questions) in the cell: the bootstrap
then resamples the items once and takes both runs' scores on the same draw, so the interval reflects only
how the two models differ on the same questions. Otherwise (different items, e.g. each model's own
individual subset) the two runs are resampled independently (*unpaired*). Either way the resampling is of
items, as for every score (``suite.protocol``): solo is the macro mean over benchmarks, resampled within
each benchmark; the steered tests are the micro mean over all generations.

Runs of different releases, or graded with and without a judge (or by different judges), are refused:
their numbers are not on one scale. Other protocol knobs that differ are shown as a flag beside the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from suite._errors import SuiteError
from suite._headline import CELLS, PerItem, per_item
from suite._summary import COLUMN_TITLES, plain, short_revision
from suite.evaluation._bundle import iter_samples, validate_bundle
from suite.evaluation._config import EXECUTION_KNOBS
from suite.protocol import Score, item_score, macro_score
from suite.protocol._metrics import BOOTSTRAP_RESAMPLES, _generator, _percentile

PER_RUN_KNOBS = EXECUTION_KNOBS | {
    "model",
    "model_name",
    "revision",
    "backend",
    "trust_remote_code",
    "engine_args",
    "tensor_parallel_size",
    "pipeline_parallel_size",
    "hf_batch_size",
    "thinking_format",
    "chat_template_kwargs",
    "judge_url",
    "judge_model",
}
"""Config keys that name the model or where it ran, never what is measured: they may differ without a flag.

(The judge is checked on its own: a different judge is refused, not flagged.)
"""

Groups = Mapping[str, Mapping[str, Sequence[bool]]]
"""benchmark -> question id -> outcomes of that question's generations."""


@dataclass(frozen=True)
class Run:
    """One compared bundle: its label (A, B, ...), where it is, its ``result.json`` and outcomes per item."""

    label: str
    path: str
    result: dict[str, Any]
    items: PerItem


@dataclass(frozen=True)
class Difference:
    """One test of one run against the first run: both scores and ``other - base`` with its 95% interval."""

    cell: str
    base: Score
    other: Score
    value: float | None
    """Percentage-point difference as a proportion (other - base); None when either run lacks the test."""
    ci_low: float | None
    ci_high: float | None
    paired: bool | None
    """True: the same items in both runs, resampled together; False: resampled independently; None: no value."""


def _score(groups: Groups, macro: bool, seed: int, name: str) -> Score:
    if macro:
        return macro_score(groups, seed, name)
    merged: dict[str, list[bool]] = {}
    for items in groups.values():
        for question_id, outcomes in items.items():
            merged.setdefault(question_id, []).extend(outcomes)
    return item_score(merged, seed, name)


def _totals(groups: Groups, macro: bool) -> dict[str, dict[str, tuple[int, int]]]:
    """(correct, generations) per item, per benchmark (macro) or all in one group (micro); empty items dropped."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for benchmark, items in groups.items():
        group = out.setdefault(benchmark if macro else "all", {})
        for question_id, outcomes in items.items():
            c, n = group.get(question_id, (0, 0))
            group[question_id] = (c + sum(outcomes), n + len(outcomes))
    return {
        g: {q: t for q, t in items.items() if t[1]} for g, items in out.items() if any(t[1] for t in items.values())
    }


def _statistic(totals: dict[str, dict[str, tuple[int, int]]]) -> float:
    """Mean over groups of each group's correct / generations."""
    means = [sum(c for c, _ in g.values()) / sum(n for _, n in g.values()) for _, g in sorted(totals.items())]
    return sum(means) / len(means)


def _draws(
    totals: dict[str, dict[str, tuple[int, int]]], rng: np.random.Generator, picks: dict[str, np.ndarray] | None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The statistic on ``BOOTSTRAP_RESAMPLES`` resamples of the items (``picks``: reuse these item draws)."""
    summed = np.zeros(BOOTSTRAP_RESAMPLES)
    used = {}
    for group, items in sorted(totals.items()):
        ordered = [items[q] for q in sorted(items)]
        correct = np.array([c for c, _ in ordered], dtype=np.int64)
        total = np.array([n for _, n in ordered], dtype=np.int64)
        picked = (
            picks[group]
            if picks is not None
            else rng.integers(0, len(ordered), size=(BOOTSTRAP_RESAMPLES, len(ordered)))
        )
        used[group] = picked
        summed = summed + correct[picked].sum(axis=1) / total[picked].sum(axis=1)
    return summed / len(totals), used


def difference(base: Groups, other: Groups, cell: str, seed: int) -> Difference:
    """``other - base`` for one test, paired when both have the same items (see the module's docstring)."""
    macro = cell == "solo"
    base_score = _score(base, macro, seed, f"compare/{cell}/base")
    other_score = _score(other, macro, seed, f"compare/{cell}/other")
    a, b = _totals(base, macro), _totals(other, macro)
    if not a or not b:
        return Difference(cell, base_score, other_score, None, None, None, None)
    paired = {g: sorted(i) for g, i in a.items()} == {g: sorted(i) for g, i in b.items()}
    rng = _generator(seed, f"compare/{cell}")
    base_draws, picks = _draws(a, rng, None)
    other_draws, _ = _draws(b, rng, picks if paired else None)
    deltas = sorted((other_draws - base_draws).tolist())
    return Difference(
        cell,
        base_score,
        other_score,
        round(_statistic(b) - _statistic(a), 6),
        round(_percentile(deltas, 0.025), 6),
        round(_percentile(deltas, 0.975), 6),
        paired,
    )


def _refusal(base: Run, other: Run) -> str | None:
    """Why two runs' numbers are not on one scale (one sentence), or None."""
    r, s = base.result, other.result
    if r["release"]["manifest_sha256"] != s["release"]["manifest_sha256"]:
        return (
            f"{other.label} ({other.path}) ran on release {s['release']['version']} "
            f"({s['release']['manifest_sha256'][:12]}) but {base.label} ({base.path}) on release "
            f"{r['release']['version']} ({r['release']['manifest_sha256'][:12]}); compare runs of one release."
        )
    judges = [(j or {}).get("judge_model") for j in (r["grading"]["judge"], s["grading"]["judge"])]
    if judges[0] != judges[1]:
        named = [f"judge {j}" if j else "no judge" for j in judges]
        return (
            f"{other.label} ({other.path}) was graded with {named[1]} but {base.label} ({base.path}) with {named[0]}; "
            "compare runs graded the same way."
        )
    return None


def flags(base: Run, other: Run) -> list[str]:
    """What differs between two comparable runs besides the model: protocol knobs and the grader's version."""
    a, b = base.result["config"], other.result["config"]
    knobs = sorted(k for k in set(a) | set(b) if k not in PER_RUN_KNOBS and a.get(k) != b.get(k))
    found = []
    if knobs:
        found.append(f"{other.label} differs from {base.label} in {', '.join(knobs)} (a protocol variant)")
    versions = [x.result["grading"]["math_verify_version"] for x in (base, other)]
    if versions[0] != versions[1]:
        found.append(f"{other.label} was graded by math-verify {versions[1]}, {base.label} by {versions[0]}")
    return found


def load_runs(paths: Sequence[Path]) -> list[Run]:
    """Validate each bundle from scratch and read its outcomes; refuse runs not comparable with the first."""
    if len(paths) < 2:
        raise SuiteError("suite compare needs at least two bundles: suite compare A B [C ...].")
    runs = []
    for i, path in enumerate(paths):
        label = chr(ord("A") + i) if i < 26 else f"R{i + 1}"
        result = validate_bundle(path)
        runs.append(Run(label, str(path), result, per_item(iter_samples(path / result["samples"]["file"]))))
        refused = _refusal(runs[0], runs[-1])
        if refused:
            raise SuiteError(refused)
    return runs


def compare(runs: Sequence[Run]) -> list[list[Difference]]:
    """For each run after the first, one ``Difference`` per test of ``CELLS`` (seeded by the first run's seed)."""
    seed = runs[0].result["config"]["seed"]
    return [[difference(runs[0].items.get(c, {}), r.items.get(c, {}), c, seed) for c in CELLS] for r in runs[1:]]


def _points(value: float) -> str:
    return f"{100 * value:+.1f}"


def difference_text(d: Difference) -> str:
    """``+3.2 [-1.0, +7.5]`` in percentage points, or ``-`` when either run lacks the test."""
    if d.value is None or d.ci_low is None or d.ci_high is None:
        return "-"
    return f"{_points(d.value)} [{_points(d.ci_low)}, {_points(d.ci_high)}]"


def pairing_text(d: Difference) -> str:
    """How the interval was drawn: ``paired`` (the same items), ``unpaired`` or ``-``."""
    return "-" if d.paired is None else "paired" if d.paired else "unpaired"


def score_text(s: Score) -> str:
    """``74.9`` (percent) or ``-``."""
    return "-" if s.value is None else f"{100 * s.value:.1f}"


def comparison_rows(
    runs: Sequence[Run], differences: Sequence[Sequence[Difference]]
) -> tuple[list[str], list[list[str]]]:
    """Column titles and rows of text: test, the first run's score, then each other run's score, difference, pairing."""
    columns = ["test", runs[0].label]
    for r in runs[1:]:
        columns += [r.label, f"{r.label} - {runs[0].label} [95% CI]", f"{r.label} pairing"]
    rows = []
    for i, cell in enumerate(CELLS):
        row = [COLUMN_TITLES[cell], score_text(differences[0][i].base)]
        for per_run in differences:
            d = per_run[i]
            row += [score_text(d.other), difference_text(d), pairing_text(d)]
        rows.append(row)
    return columns, rows


def legend(runs: Sequence[Run]) -> list[str]:
    """One line per run: its label, model, revision, release, bundle path."""
    return [
        f"{r.label}: {r.result['model']['id']} ({short_revision(r.result['model']['revision'])}) on release "
        f"{r.result['release']['version']}, {r.path}"
        for r in runs
    ]


COMPARE_NOTE = (
    "% correct; differences in percentage points with 95% bootstrap intervals over questions "
    "(paired: the same questions in both runs, resampled together; unpaired: resampled independently)"
)


def compare_markdown(runs: Sequence[Run], differences: Sequence[Sequence[Difference]]) -> str:
    """The comparison as a GitHub Markdown table, the runs it names, and any flag."""
    from suite._show import markdown_table, markdown_text

    columns, rows = comparison_rows(runs, differences)
    lines = [
        "### Compared with " + markdown_text(runs[0].label),
        "",
        *(f"- {markdown_text(line)}" for line in legend(runs)),
        "",
        *markdown_table(columns, rows),
        "",
        markdown_text(f"{COMPARE_NOTE}."),
    ]
    found = [f for r in runs[1:] for f in flags(runs[0], r)]
    if found:
        lines += ["", *(f"- flag: {markdown_text(f)}" for f in found)]
    return "\n".join(lines) + "\n"


def compare_table(runs: Sequence[Run], differences: Sequence[Sequence[Difference]]) -> Table:
    """The comparison as a rich table (bundle text shown as plain text); ``legend`` names the runs."""
    columns, rows = comparison_rows(runs, differences)
    t = Table(caption=plain(COMPARE_NOTE))
    for i, c in enumerate(columns):
        t.add_column(plain(c), justify="left" if i == 0 else "right")
    for row in rows:
        t.add_row(*map(plain, row))
    return t
