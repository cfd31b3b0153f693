"""The shared subsets of a reference panel (PROTOCOL.md): pure and seeded.

A run never decides the shared subsets itself; they are frozen in the release from the solo passes of a
recorded panel of models. Inputs here are plain solve counts per panel model; outputs are question ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from suite.protocol._seeds import rng_for

PANEL_SAMPLES = 8
"""Solo samples per question a panel model must have (the protocol's solo pass)."""
PANEL_SAMPLING = {"temperature": 0.6, "top_p": 0.95, "top_k": None}
"""The protocol's solo sampling; ``max_tokens`` depends on the model's context and is recorded, not checked."""
RECOVERABILITY_SHARED_SIZE = 200
"""Questions drawn for the shared recoverability subset (the paper's 200)."""
RULE = (
    "recoverability_shared: a seeded draw of `size` of the questions every panel model solves in all 8 of its "
    "solo samples (every one of them when fewer qualify); guidability_shared: every question every panel model "
    "solves in at most 1 of its 8 solo samples and for which a guide set of the release has a correct trajectory; "
    "both in release order"
)
"""How the subsets follow from the panel, recorded in the manifest beside it."""


@dataclass(frozen=True)
class SharedSubsets:
    """Both shared subsets of a panel, and how many questions qualified for each."""

    recoverability: tuple[str, ...]
    """The drawn shared recoverability ids, in release order."""
    recoverability_eligible: int
    """Questions every panel model solves in every sample (the draw is among these)."""
    guidability: tuple[str, ...]
    """Every question every panel model solves at most 1/8 that a guide has a correct trajectory for."""
    unsolved: int
    """Questions every panel model solves at most 1/8, with or without a guide trajectory."""


def shared_subsets(
    question_ids: Sequence[str],
    panel: Sequence[Mapping[str, int]],
    guided: Collection[str],
    seed: int,
    size: int = RECOVERABILITY_SHARED_SIZE,
    samples: int = PANEL_SAMPLES,
) -> SharedSubsets:
    """The shared subsets of ``question_ids`` (release order) from each panel model's correct-sample counts.

    ``panel`` holds, per model, the number of correct solo samples (of ``samples``) of every question;
    ``guided`` the questions some guide set has a correct trajectory for. The recoverability draw is uniform
    without replacement and fixed by ``seed``: the same inputs always give the same ids.
    """
    if not panel:
        raise ValueError("a panel needs at least one model")
    if size < 0:
        raise ValueError(f"size must not be negative (got {size})")
    missing = [qid for counts in panel for qid in question_ids if qid not in counts]
    if missing:
        raise ValueError(f"a panel model has no solo outcome for {missing[0]!r}")
    solved_by_all = [q for q in question_ids if all(counts[q] == samples for counts in panel)]
    unsolved_by_all = [q for q in question_ids if all(counts[q] * 8 <= samples for counts in panel)]
    drawn = set(rng_for(seed, "recoverability-shared").sample(sorted(solved_by_all), min(size, len(solved_by_all))))
    return SharedSubsets(
        recoverability=tuple(q for q in question_ids if q in drawn),
        recoverability_eligible=len(solved_by_all),
        guidability=tuple(q for q in unsolved_by_all if q in guided),
        unsolved=len(unsolved_by_all),
    )


def solve_counts(outcomes: Iterable[tuple[str, bool]]) -> Counter[str]:
    """Correct samples per question from (question id, correct) pairs of one model's solo pass."""
    counts: Counter[str] = Counter()
    for qid, correct in outcomes:
        counts[qid] += int(correct)
    return counts


def incomplete_solo(config: Mapping[str, Any], sampling: Mapping[str, Any], benchmarks: Collection[str]) -> list[str]:
    """What keeps a run's recorded ``config`` and ``sampling`` from being a complete protocol solo pass.

    Empty when the run had solo, every benchmark of the release (``benchmarks``), no question limit, the
    protocol's 8 samples and its sampling. Each entry names the knob as the run was given it.
    """
    why: list[str] = []
    tests = config.get("tests")
    if not isinstance(tests, list) or "solo" not in tests:
        shown = ",".join(map(str, tests)) if isinstance(tests, list) else repr(tests)
        why.append(f"--tests {shown} (no solo)")
    limit = config.get("limit")
    if limit is not None:
        why.append(f"--limit {limit!r}")
    chosen = config.get("benchmarks")
    if chosen is not None and (not isinstance(chosen, list) or not set(benchmarks) <= set(map(str, chosen))):
        shown = ",".join(map(str, chosen)) if isinstance(chosen, list) else repr(chosen)
        why.append(f"--benchmarks {shown} (the release has {','.join(sorted(benchmarks))})")
    if config.get("samples") != PANEL_SAMPLES:
        why.append(f"--samples {config.get('samples')!r} (the protocol's {PANEL_SAMPLES})")
    for knob, value in PANEL_SAMPLING.items():
        if sampling.get(knob) != value:
            why.append(f"{knob} {_shown(sampling.get(knob))} (the protocol's {_shown(value)})")
    return why


def _shown(value: object) -> str:
    return "off" if value is None else repr(value)


def missing_solo(
    question_ids: Sequence[str], present: Iterable[tuple[str, int]], samples: int = PANEL_SAMPLES
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(missing, unexpected) (question id, sample) pairs of a solo pass that should hold every question x sample.

    ``unexpected`` lists pairs outside the release or the sample range, and every repeat of a pair.
    """
    seen: Counter[tuple[str, int]] = Counter(present)
    expected = [(q, i) for q in question_ids for i in range(samples)]
    known = set(expected)
    missing = [pair for pair in expected if pair not in seen]
    unexpected = [pair for pair in seen if pair not in known]
    unexpected += [pair for pair, n in seen.items() if pair in known for _ in range(n - 1)]
    unexpected.sort(key=lambda pair: (str(pair[0]), str(pair[1])))
    return missing, unexpected
