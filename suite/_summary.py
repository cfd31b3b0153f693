"""The one-screen summary of a result: solo, recoverability by position, guidability by fraction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from suite.evaluation._plan import PlannedTest


def _pct(score: dict[str, Any]) -> str:
    if score["value"] is None:
        return "-"
    return f"{100 * score['value']:.1f} [{100 * score['ci_low']:.1f}, {100 * score['ci_high']:.1f}]  n={score['n']}"


def summary_tables(result: dict[str, Any]) -> list[Table]:
    """Rich tables of every metric cell, in percent with 95% CIs."""
    metrics = result["metrics"]
    tables = []
    if "solo" in metrics:
        t = Table(title=f"Solo Pass@1 ({result['model']['id']})")
        t.add_column("benchmark")
        t.add_column("% [95% CI]", justify="right")
        for b, s in metrics["solo"]["per_benchmark"].items():
            t.add_row(b, _pct(s))
        t.add_row("macro", _pct(metrics["solo"]["macro"]), style="bold")
        tables.append(t)
    for test, cells in (("recoverability", "per_position"), ("guidability", "per_fraction")):
        for subset, entry in metrics.get(test, {}).items():
            t = Table(title=f"{test.capitalize()} ({subset})")
            t.add_column("position" if test == "recoverability" else "fraction")
            t.add_column("% correct [95% CI]", justify="right")
            for key, s in entry[cells].items():
                t.add_row(key, _pct(s))
            t.add_row("mean", _pct(entry["mean"]), style="bold")
            if "coverage" in entry:
                t.add_row("coverage", f"{entry['coverage']['covered']}/{entry['coverage']['total']}")
            if "answer_in_steer" in entry:
                t.add_row("answer in steer", _pct(entry["answer_in_steer"]))
            tables.append(t)
    return tables


def plan_table(model: str, release: Any, plan: Sequence[PlannedTest], out: str, backend: str | None = None) -> Table:
    """What ``suite eval`` is about to do, shown before the model is fetched or loaded (``backend``: the engine)."""
    engine = f" with the {backend} backend" if backend else ""
    t = Table(
        title=f"Plan: {model}{engine} on release {release.version} ({release.manifest_sha256[:12]}), bundle {out}"
    )
    t.add_column("test")
    t.add_column("status")
    t.add_column("questions", justify="right")
    t.add_column("generations", justify="right")
    for p in plan:
        bound = "" if p.exact else "up to "
        questions = "-" if p.questions is None else f"{bound}{p.questions}"
        generations = "after solo" if p.generations is None else f"{bound}{p.generations}"
        if p.runs:
            t.add_row(p.name, "run", questions, generations)
        else:
            t.add_row(p.name, Text(f"not run: {p.reason}", style="yellow"), "-", "-")
    return t
