"""Grader agreement: the suite's grader vs plain Math-Verify on every labelled set available here.

Usage: python benchmarks/grader_agreement.py [--json out.json] [--show]

Sets:
- ``cases``: the hand-checked case table ``tests/grading/cases.json`` (label = its ``correct``).
- ``traces/<model>``: the real DeepSeek-R1, QwQ-32B and R1-Distill-Qwen-32B outputs on 52 MATH-500
  questions in ``../shared/data/traces/mip-overthinking`` (label = ``tests/grading/trace_labels.json``,
  adjudicated by hand; see ``tests/grading/traces.py``), per model and all three together.

Graders (all on the main thread, where Math-Verify's signal-based timeouts work):
- ``suite``: ``suite.grading.grade`` (the case's closer and ``multiple`` flag).
- ``plain``: ``math_verify.verify(parse(gold), parse(response))`` on the full response, exactly.
- ``plain $gold$``: the same with a bare gold wrapped in ``$...$``, as Math-Verify's README writes golds.
- ``plain $gold$ after </think>``: the same on the text after the last ``</think>`` only.

Prints agreement, false positives (graded correct, label wrong) and false negatives per set and
grader, then checks the target: on every set the suite has no false positive where plain Math-Verify
has none, and fewer errors than plain Math-Verify wherever that has any. ``--json`` writes the figures and the ids of
every disagreement (no benchmark text).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the trace loader lives with the tests that use it

from suite.grading import grade  # noqa: E402
from tests.grading.traces import load_labels, load_traces, traces_available  # noqa: E402

CASES = REPO / "tests" / "grading" / "cases.json"


@dataclass(frozen=True)
class Item:
    """One labelled response."""

    id: str
    response: str
    gold: str
    multiple: bool
    closer: str
    label: bool


def load_sets() -> dict[str, list[Item]]:
    """Every labelled set found on this machine, by name."""
    sets: dict[str, list[Item]] = {}
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    sets["cases"] = [
        Item(c["id"], c["response"], c["gold"], c["multiple"], c.get("closer", "</think>"), c["correct"])
        for c in cases
        if isinstance(c["response"], str)
    ]
    if traces_available():
        labels = load_labels()
        for t in load_traces():
            item = Item(f"{t.source}/{t.index}", t.response, t.gold, False, "</think>", labels[(t.source, t.index)])
            sets.setdefault(f"traces/{t.source}", []).append(item)
        sets["traces (all three)"] = [i for name in list(sets) if name.startswith("traces/") for i in sets[name]]
    else:
        print("traces not found: only the case table is measured", file=sys.stderr)
    return sets


def _plain(gold: str, response: str) -> bool:
    from math_verify import parse, verify

    try:
        return bool(verify(parse(gold), parse(response)))
    except Exception:  # a crash of the plain grader counts as "not correct", as it would in a run
        return False


def _wrapped(gold: str) -> str:
    return gold if "$" in gold else f"${gold}$"


GRADERS: dict[str, Callable[[Item], bool]] = {
    "suite": lambda i: grade(i.response, i.gold, i.multiple, closer=i.closer).correct,
    "plain": lambda i: _plain(i.gold, i.response),
    "plain $gold$": lambda i: _plain(_wrapped(i.gold), i.response),
    "plain $gold$ after </think>": lambda i: _plain(_wrapped(i.gold), i.response.split("</think>")[-1]),
}


def measure(sets: dict[str, list[Item]]) -> dict[str, Any]:
    """Per set and grader: n, agreement, false positives, false negatives, and the ids of the errors."""
    report: dict[str, Any] = {}
    for name, items in sets.items():
        report[name] = {}
        for grader, verdict in GRADERS.items():
            fp, fn = [], []
            for item in items:
                said = verdict(item)
                if said and not item.label:
                    fp.append(item.id)
                elif item.label and not said:
                    fn.append(item.id)
            report[name][grader] = {
                "n": len(items),
                "agree": len(items) - len(fp) - len(fn),
                "fp": len(fp),
                "fn": len(fn),
                "fp_ids": fp,
                "fn_ids": fn,
            }
    return report


def target_met(report: dict[str, Any]) -> list[str]:
    """Where the suite misses the target (empty: met on every set)."""
    misses = []
    for name, graders in report.items():
        suite = graders["suite"]
        for grader, row in graders.items():
            if not grader.startswith("plain"):
                continue
            if suite["fp"] and not row["fp"]:
                misses.append(f"{name}: suite has {suite['fp']} false positives, {grader} none")
            if suite["fp"] + suite["fn"] >= row["fp"] + row["fn"] and row["fp"] + row["fn"]:
                misses.append(f"{name}: suite errors {suite['fp'] + suite['fn']} not below {grader}'s")
    return misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--show", action="store_true", help="list the ids of every error")
    args = parser.parse_args()
    report = measure(load_sets())
    print(f"{'set':<32} {'grader':<28} {'n':>4} {'agree':>6} {'%':>6} {'FP':>4} {'FN':>4}")
    for name, graders in report.items():
        for grader, row in graders.items():
            share = 100 * row["agree"] / row["n"]
            print(
                f"{name:<32} {grader:<28} {row['n']:>4} {row['agree']:>6} {share:>6.1f} {row['fp']:>4} {row['fn']:>4}"
            )
            if args.show and (row["fp_ids"] or row["fn_ids"]):
                print(f"{'':<33}FP: {', '.join(row['fp_ids']) or '-'}  FN: {', '.join(row['fn_ids']) or '-'}")
    misses = target_met(report)
    print("target (no new FP; fewer errors than plain Math-Verify where it errs):", "met" if not misses else "MISSED")
    for miss in misses:
        print("  " + miss)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
