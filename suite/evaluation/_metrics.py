"""All metrics of a run, computed from its samples alone (the runner and ``suite validate`` share this).

Proportions in [0, 1] with 95% bootstrap CIs over items; see README "Reading the metrics".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from suite.evaluation._config import cell
from suite.evaluation._samples import Outcome
from suite.protocol import item_score, macro_score


def compute_metrics(samples: Iterable[Outcome], seed: int, shared_recoverability_size: int) -> dict[str, Any]:
    """The ``metrics`` object of ``result.json``, from every sample's outcome."""
    solo: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    recov: dict[str, dict[str, dict[str, list[bool]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    guid: dict[str, dict[str, dict[str, dict[str, list[bool]]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    )
    in_steer: dict[str, dict[str, dict[str, list[bool]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    seen_steers: set[tuple[Any, ...]] = set()
    for s in samples:
        ok = s.correct
        if s.test == "solo":
            solo[s.benchmark][s.question_id].append(ok)
        elif s.test == "recoverability":
            assert s.subset is not None and s.position is not None
            recov[s.subset][cell(s.position)][s.question_id].append(ok)
        else:
            group = "control" if s.test == "control" else str(s.subset)
            assert s.fraction is not None and s.guide is not None
            guid[group]["fraction"][cell(s.fraction)][s.question_id].append(ok)
            guid[group]["guide"][s.guide][s.question_id].append(ok)
            guid[group]["all"]["mean"][s.question_id].append(ok)
            key = (group, s.question_id, s.guide, s.guide_sample, s.fraction)  # each steer once
            if s.steer_contains_answer is not None and key not in seen_steers:
                seen_steers.add(key)
                for part in ("all", f"fraction/{cell(s.fraction)}", f"guide/{s.guide}"):
                    in_steer[group][part][s.question_id].append(s.steer_contains_answer)
    metrics: dict[str, Any] = {}
    if solo:
        metrics["solo"] = {
            "per_benchmark": {b: item_score(q, seed, f"solo/{b}").to_json() for b, q in sorted(solo.items())},
            "macro": macro_score(solo, seed, "solo/macro").to_json(),
        }
    if recov:
        metrics["recoverability"] = {}
        for subset, positions in sorted(recov.items()):
            merged: dict[str, list[bool]] = defaultdict(list)
            for per_item in positions.values():
                for qid, outcomes in per_item.items():
                    merged[qid].extend(outcomes)
            entry: dict[str, Any] = {
                "per_position": {
                    p: item_score(q, seed, f"recoverability/{subset}/{p}").to_json()
                    for p, q in sorted(positions.items(), key=lambda kv: float(kv[0]))
                },
                "mean": item_score(merged, seed, f"recoverability/{subset}/mean").to_json(),
                "per_solve_rate": _by_solve_rate(merged, solo, seed, f"recoverability/{subset}"),
            }
            if subset == "shared":
                entry["coverage"] = {"covered": len(merged), "total": shared_recoverability_size}
            metrics["recoverability"][subset] = entry
    if guid:
        metrics["guidability"] = {}
        for group, parts in sorted(guid.items()):
            metrics["guidability"][group] = {
                "per_fraction": {
                    f: item_score(q, seed, f"guidability/{group}/{f}").to_json()
                    for f, q in sorted(parts["fraction"].items(), key=lambda kv: float(kv[0]))
                },
                "per_guide": {
                    g: item_score(q, seed, f"guidability/{group}/{g}").to_json()
                    for g, q in sorted(parts["guide"].items())
                },
                "mean": item_score(parts["all"]["mean"], seed, f"guidability/{group}/mean").to_json(),
                "answer_in_steer": item_score(
                    in_steer[group]["all"], seed, f"guidability/{group}/answer_in_steer"
                ).to_json(),
                "answer_in_steer_per_fraction": {
                    f: item_score(
                        in_steer[group][f"fraction/{f}"], seed, f"guidability/{group}/answer_in_steer/{f}"
                    ).to_json()
                    for f in sorted(parts["fraction"], key=float)
                },
                "answer_in_steer_per_guide": {
                    g: item_score(
                        in_steer[group][f"guide/{g}"], seed, f"guidability/{group}/answer_in_steer/{g}"
                    ).to_json()
                    for g in sorted(parts["guide"])
                },
            }
    return metrics


def _by_solve_rate(
    items: dict[str, list[bool]], solo: dict[str, dict[str, list[bool]]], seed: int, name: str
) -> dict[str, Any]:
    """Recoverability of the items grouped by M's solo solve rate (``k/n``), as in the paper's appendix table."""
    rate = {q: f"{sum(o)}/{len(o)}" for per_question in solo.values() for q, o in per_question.items()}
    buckets: dict[str, dict[str, list[bool]]] = defaultdict(dict)
    for q, outcomes in items.items():
        if q in rate:
            buckets[rate[q]][q] = outcomes
    ordered = sorted(buckets.items(), key=lambda kv: tuple(int(x) for x in kv[0].split("/")))
    return {b: item_score(q, seed, f"{name}/solve_rate/{b}").to_json() for b, q in ordered}
