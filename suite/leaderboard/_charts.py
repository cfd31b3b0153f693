"""Static SVG charts drawn at build time with matplotlib (nothing is fetched or drawn at view time)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("svg")
matplotlib.rcParams["svg.hashsalt"] = "off-trajectory-suite"  # the same data gives the same file
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["text.parse_math"] = False  # labels (guide names, model ids) are plain text, never mathtext
matplotlib.rcParams["text.usetex"] = False

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

Curve = Sequence[tuple[float, float | None, float | None, float | None]]
"""(x, value, ci_low, ci_high) points; None where a cell is empty."""

MARKERS = ("o", "s", "^", "D", "v", "P")
STYLES = ("-", "--", ":", "-.")
MARGINS = {"left": 0.12, "right": 0.97, "top": 0.9, "bottom": 0.16}
"""Fixed margins (fractions of the figure) that fit the labels: computing a tight layout costs half the time."""


def _svg(figure: Figure, title: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Title": title, "Date": None, "Creator": None})
    return buffer.getvalue()


def line_chart(curves: Mapping[str, Curve], title: str, xlabel: str, ylabel: str = "% correct") -> str:
    """Lines with markers (distinct shapes and dash styles: readable without colour) and shaded 95% CIs."""
    figure = Figure(figsize=(6.8, 3.2), dpi=100)
    axes = figure.add_subplot()
    for i, (name, points) in enumerate(curves.items()):
        shown = [(x, v, lo, hi) for x, v, lo, hi in points if v is not None]
        if not shown:
            continue
        xs = [100 * x for x, _, _, _ in shown]
        axes.plot(
            xs,
            [100 * v for _, v, _, _ in shown],
            MARKERS[i % 6],
            linestyle=STYLES[i % 4],
            label=name,
            gid=f"series-{i}",
        )
        if all(lo is not None and hi is not None for _, _, lo, hi in shown):
            axes.fill_between(
                xs, [100 * (lo or 0) for *_, lo, _ in shown], [100 * (hi or 0) for *_, hi in shown], alpha=0.15
            )
    if not any(v is not None for points in curves.values() for _, v, _, _ in points):
        axes.text(0.5, 0.5, "no items in this run", transform=axes.transAxes, ha="center", va="center")
    axes.set_ylim(-2, 102)
    axes.set_yticks([0, 25, 50, 75, 100])
    axes.set_xticks(sorted({100 * x for points in curves.values() for x, v, _, _ in points if v is not None}))
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    if curves:
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    figure.subplots_adjust(**(MARGINS | {"right": 0.7}))  # the legend sits at the right, off the data
    return _svg(figure, title)


def histogram(counts: Sequence[int], title: str) -> str:
    """Questions per solve count 0/8 ... 8/8, each bar labelled with its count."""
    figure = Figure(figsize=(5.2, 3.0), dpi=100)
    axes = figure.add_subplot()
    labels = [f"{k}/{len(counts) - 1}" for k in range(len(counts))]
    bars = axes.bar(labels, counts, color="#4a6fa5", edgecolor="black", hatch="//")
    axes.bar_label(bars, fontsize=8)
    axes.set_ylim(0, 1.15 * max(max(counts, default=0), 1))  # room for the labels
    axes.set_xlabel("solo solve rate")
    axes.set_ylabel("questions")
    axes.set_title(title)
    figure.subplots_adjust(**MARGINS)
    return _svg(figure, title)
