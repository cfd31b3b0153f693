"""What a result says, on screen: the headline table first, every metric cell behind ``--details``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from suite._headline import CELLS, HeadlineRow, compact, coverage_text

COLUMN_TITLES = {
    "solo": "Pass@1",
    "recoverability_shared": "recov. shared",
    "recoverability_individual": "recov. individual",
    "guidability_shared": "guid. shared",
    "guidability_individual": "guid. individual",
    "control": "control",
}
"""The headline's column titles, for ``CELLS``."""

HEADLINE_NOTE = (
    "% correct ± the larger distance to an end of the 95% bootstrap interval over questions; "
    "coverage: shared recoverability questions with a correct trajectory of the model / the release's list"
)


def plain(value: object) -> Text:
    """Text from a bundle, shown as it is: never read as rich markup, never a lone surrogate."""
    return Text(str(value).encode("utf-8", "backslashreplace").decode("utf-8"))


def run_title(result: dict[str, Any]) -> str:
    """Which run a table is about: model, revision, release."""
    model, release = result["model"], result["release"]
    return f"{model['id']} ({short_revision(model['revision'])}) on release {release['version']}"


def short_revision(revision: str) -> str:
    """A commit's first 12 characters; a local folder's ``sha256:`` and the first 12 of its hash."""
    kind, colon, digest = revision.partition(":")
    return f"{kind}:{digest[:12]}" if colon else revision[:12]


def headline_cells(row: HeadlineRow) -> list[str]:
    """One headline row as text: benchmark, each test's compact score, coverage."""
    return [row.benchmark, *(compact(row.scores[c]) for c in CELLS), coverage_text(row)]


def headline_table(result: dict[str, Any], rows: Sequence[HeadlineRow]) -> Table:
    """The headline: one row per benchmark and ``all`` (bold), each test's % correct ± its 95% interval."""
    t = Table(title=plain(run_title(result)), caption=plain(HEADLINE_NOTE), box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("benchmark")
    for c in (*CELLS, "coverage"):
        t.add_column(COLUMN_TITLES.get(c, c), justify="right")
    for row in rows:
        t.add_row(*map(plain, headline_cells(row)), style="bold" if row is rows[-1] else None)
    return t


def _pct(score: dict[str, Any]) -> str:
    if score["value"] is None:
        return "-"
    return f"{100 * score['value']:.1f} [{100 * score['ci_low']:.1f}, {100 * score['ci_high']:.1f}]  n={score['n']}"


@dataclass(frozen=True)
class Section:
    """One detail table: a title, two column titles and rows of text."""

    title: str
    columns: tuple[str, str]
    rows: list[tuple[str, str]]
    total: int
    """Index of the row that sums the others up (macro or mean), shown in bold."""


def detail_sections(result: dict[str, Any]) -> list[Section]:
    """Every metric cell of ``result``, in percent with 95% CIs: solo, recoverability by position, guidability."""
    metrics = result["metrics"]
    sections = []
    if "solo" in metrics:
        rows = [(b, _pct(s)) for b, s in metrics["solo"]["per_benchmark"].items()]
        rows.append(("macro", _pct(metrics["solo"]["macro"])))
        sections.append(
            Section(f"Solo Pass@1 ({result['model']['id']})", ("benchmark", "% [95% CI]"), rows, len(rows) - 1)
        )
    for test, cells in (("recoverability", "per_position"), ("guidability", "per_fraction")):
        for subset, entry in metrics.get(test, {}).items():
            key = "position" if test == "recoverability" else "fraction"
            rows = [(k, _pct(s)) for k, s in entry[cells].items()]
            total = len(rows)
            rows.append(("mean", _pct(entry["mean"])))
            if "coverage" in entry:
                rows.append(("coverage", f"{entry['coverage']['covered']}/{entry['coverage']['total']}"))
            if "answer_in_steer" in entry:
                rows.append(("answer in steer", _pct(entry["answer_in_steer"])))
            sections.append(Section(f"{test.capitalize()} ({subset})", (key, "% correct [95% CI]"), rows, total))
    return sections


def summary_tables(result: dict[str, Any]) -> list[Table]:
    """Rich tables of every metric cell (``--details``), in percent with 95% CIs; bundle text shown as plain text."""
    tables = []
    for section in detail_sections(result):
        t = Table(title=plain(section.title))
        t.add_column(section.columns[0])
        t.add_column(section.columns[1], justify="right")
        for i, (key, value) in enumerate(section.rows):
            t.add_row(plain(key), plain(value), style="bold" if i == section.total else None)
        tables.append(t)
    return tables
