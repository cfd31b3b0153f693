"""Steer statistics on real traces, for both protocols (issue: cuts and distractors as the authors' runs).

For each model of ``../shared/data/traces`` (DeepSeek-R1, QwQ-32B, R1-Distill-Qwen-32B on 52
MATH-500 questions): units per trajectory, the share of the thinking each cut keeps, empty cuts,
and the distractors the protocol would build from those trajectories (every trace used once as
an original and as a candidate distractor): eligible count and empty distractor cuts (must be 0).

    python benchmarks/steer_stats.py [--json out.json]

Lengths are in words: no tokenizer of these models is available offline, so the
``paper-text`` token cut uses words as its length measure here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from traces import load_traces

from suite.protocol import length_rule
from suite.steering import Cutting, distractor_steer, unit_spans, words

FRACTIONS = (0.2, 0.4, 0.6, 0.8)


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "min": min(values),
        "median": statistics.median(values),
        "mean": round(statistics.fmean(values), 4),
        "max": max(values),
    }


def model_stats(thinkings: list[str], protocol: str) -> dict[str, object]:
    """Cut statistics of one model's trajectories under one protocol."""
    cutting = Cutting(protocol)
    units = [len(unit_spans(t)) for t in thinkings]
    cuts: dict[str, object] = {}
    for f in FRACTIONS:
        kept = [cutting(t, f) for t in thinkings]
        cuts[f"{f:g}"] = {
            "kept_share_words": _stats([round(words(k) / words(t), 4) for k, t in zip(kept, thinkings, strict=True)]),
            "empty": sum(not k for k in kept),
        }
    rule = length_rule(units, 0.2, (80.0, 90.0) if protocol == "paper" else None, unit_cut=protocol == "paper")
    eligible = [t for t, n in zip(thinkings, units, strict=True) if rule.eligible(n)]
    steers = [distractor_steer(t, 0.2, cutting, rule.max_units) for t in eligible]
    return {
        "trajectories": len(thinkings),
        "units": _stats([float(n) for n in units]),
        "words": _stats([float(words(t)) for t in thinkings]),
        "cuts": cuts,
        "distractors": {
            "rule": {"min_units": rule.min_units, "max_units": rule.max_units},
            "eligible": len(eligible),
            "empty": sum(not s for s in steers),
            "words": _stats([float(words(s)) for s in steers]) if steers else None,
            "kept_share_of_truncated_units": _stats(
                [
                    len(unit_spans(s)) / min(len(unit_spans(t)), rule.max_units or 10**9)
                    for s, t in zip(steers, eligible, strict=True)
                ]
            )
            if steers
            else None,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    traces = load_traces()
    report: dict[str, dict[str, object]] = {}
    for model in sorted({t.model for t in traces}):
        thinkings = [t.thinking for t in traces if t.model == model]
        report[model] = {p: model_stats(thinkings, p) for p in ("paper", "paper-text")}
    for model, by_protocol in report.items():
        for protocol, s in by_protocol.items():
            assert isinstance(s, dict)
            print(f"\n{model} / {protocol}: {s['trajectories']} trajectories, units {s['units']}, words {s['words']}")
            for f, c in s["cuts"].items():
                print(f"  cut {f}: kept share (words) {c['kept_share_words']}, empty {c['empty']}")
            print(f"  distractors: {s['distractors']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
