"""``suite show``: a bundle's headline (and details) from its samples, on screen or as a GitHub Markdown table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from suite._headline import CELLS, HeadlineRow, headline
from suite._summary import COLUMN_TITLES, HEADLINE_NOTE, Section, detail_sections, headline_cells, run_title
from suite.evaluation._bundle import iter_samples, validate_bundle

_MARKDOWN_ESCAPES: dict[int, str] = {
    **{ord(c): f"\\{c}" for c in "\\`*_[]|#"},
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    **{c: f"\\x{c:02x}" for c in (*range(32), 127)},
}
"""Text from a bundle cannot open a link, an HTML tag or emphasis, or end a table cell or a line."""


def markdown_text(value: object) -> str:
    """``value`` as literal Markdown text on one line."""
    return str(value).translate(_MARKDOWN_ESCAPES)


def headline_of(result: dict[str, Any], bundle: Path) -> list[HeadlineRow]:
    """The headline rows of a bundle whose ``result.json`` is ``result``, computed from its samples."""
    samples = iter_samples(bundle / result["samples"]["file"])
    return headline(samples, result["config"]["seed"], result["items"]["shared_recoverability"])


def show_bundle(bundle: Path) -> tuple[dict[str, Any], list[HeadlineRow]]:
    """Validate a bundle from scratch (schema, hash, every metric), then its headline rows."""
    result = validate_bundle(bundle)
    return result, headline_of(result, bundle)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[str]], bold: int | None = None) -> list[str]:
    """A GitHub table: the first column left-aligned, the others right; row ``bold`` in bold. Cells are escaped."""
    lines = [
        "| " + " | ".join(markdown_text(c) for c in columns) + " |",
        "| :--- |" + " ---: |" * (len(columns) - 1),
    ]
    for i, row in enumerate(rows):
        cells = [markdown_text(c) for c in row]
        if i == bold:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _section(section: Section) -> list[str]:
    return [
        "",
        f"#### {markdown_text(section.title)}",
        "",
        *markdown_table(section.columns, section.rows, section.total),
    ]


def show_markdown(result: dict[str, Any], rows: Sequence[HeadlineRow], details: bool = False) -> str:
    """The headline as a GitHub Markdown table (the same numbers as on screen), then notes; details if asked."""
    columns = ["benchmark", *(COLUMN_TITLES[c] for c in CELLS), "coverage"]
    lines = [
        f"### {markdown_text(run_title(result))}",
        "",
        *markdown_table(columns, [headline_cells(r) for r in rows], bold=len(rows) - 1),
        "",
        markdown_text(f"{HEADLINE_NOTE}."),
    ]
    if result["notes"]:
        lines += ["", *(f"- note: {markdown_text(n)}" for n in result["notes"])]
    if details:
        for section in detail_sections(result):
            lines += _section(section)
    return "\n".join(lines) + "\n"
