"""Every knob of a run; recorded in full in ``result.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from suite.steering import PAPER_TEXT_TRANSITION, SCRIPTS_TRANSITION

TESTS = ("solo", "recoverability", "guidability")
PROTOCOLS = ("paper", "paper-text")
"""``paper``: the authors' scripts (the default); ``paper-text``: the paper's prose (PROTOCOL.md)."""
POSITIONS = (0.0, 0.2, 0.4, 0.6, 0.8)
ABLATION_POSITIONS = (0.0, 0.2, 0.4, 0.6)
"""The 40% distractor ablation runs positions 0-60% only."""


EXECUTION_KNOBS = frozenset({"base_url", "grading_workers", "device_map", "config_file"})
"""Knobs that say where and how fast work runs (or where the knobs were read from), never what is measured: a resumed
run may change them."""


def protocol_defaults(protocol: str, distractor_fraction: float = 0.2) -> dict[str, Any]:
    """The knobs a protocol variant sets when the user does not: transition, distractor length rule, positions."""
    positions = ABLATION_POSITIONS if distractor_fraction == 0.4 else POSITIONS
    if protocol == "paper-text":
        return {"transition": PAPER_TEXT_TRANSITION, "distractor_percentiles": None, "positions": positions}
    return {"transition": SCRIPTS_TRANSITION, "distractor_percentiles": (80.0, 90.0), "positions": positions}


@dataclass(frozen=True)
class EvalConfig:
    """A run's configuration: same config + same seed + same release = same items and sample seeds."""

    model: str
    """Hugging Face id or local directory."""
    model_name: str | None = None
    """``--model-name``: the owner/name a local folder is shown under on the leaderboard (not a path)."""
    revision: str | None = None
    backend: str = "auto"
    """hf, vllm or openai; ``auto`` (vllm where vLLM and a GPU are present, else hf) is resolved at start-up.

    Recorded resolved: a run and its resume that pick the same engine have the same configuration.
    """
    base_url: tuple[str, ...] = ()
    """The openai backend's servers (``--base-url``, repeated or a comma list); an item's requests stay on one.

    Where the work runs, not what is measured: a resume may name other servers (see ``EXECUTION_KNOBS``).
    """
    tests: tuple[str, ...] = TESTS
    samples: int = 8
    """Solo samples per question."""
    temperature: float = 0.6
    top_p: float = 0.95
    max_tokens: int = 32768
    limit: int | None = None
    """Questions per benchmark (None: all)."""
    benchmarks: tuple[str, ...] | None = None
    """Benchmarks of the release to use (None: all)."""
    seed: int = 0
    protocol: str = "paper"
    """``paper`` (units as the authors' scripts) or ``paper-text`` (token fractions, sentence ends)."""
    distractor_fraction: float = 0.2
    distractor_percentiles: tuple[float, float] | None = (80.0, 90.0)
    """Distractors need the 80th percentile of the originals' unit counts, cut after the 90th (None: no rule)."""
    distractors_from: tuple[str, ...] = ()
    """Cross-model ablation: result bundles of other models (same release) whose trajectories are the distractors."""
    positions: tuple[float, ...] = POSITIONS
    guide_fractions: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    recoverability_continuations: int = 1
    """Continuations per (item, position); the authors' scripts used 1."""
    guidability_continuations: int = 8
    individual_subset_size: int = 200
    distractor_pool_size: int = 50
    control_size: int = 50
    keep_opening: bool = False
    transition: str = SCRIPTS_TRANSITION
    thinking_format: str | None = None
    """Thinking markers (think, mistral, harmony, none); None: chosen from M's template and tokenizer."""
    chat_template_kwargs: dict[str, Any] = field(default_factory=dict)
    """Extra variables for M's chat template, e.g. ``{"enable_thinking": true}``."""
    trust_remote_code: bool = False
    engine_args: dict[str, str] = field(default_factory=dict)
    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    judge_url: str | None = None
    judge_model: str | None = None
    grading_timeout_s: float = 5.0
    grading_workers: int = 2
    hf_batch_size: int = 32
    """hf backend: rows per ``generate`` batch (``--batch-size``); samples depend on it, so it is part of the run."""
    dtype: str = "auto"
    """hf backend: weights' dtype (``--dtype``); auto: bfloat16 on a GPU, float32 on CPU."""
    device_map: str | None = None
    """hf backend: transformers' ``device_map`` (``--device-map auto`` spreads M over every GPU; None: one device)."""
    config_file: dict[str, Any] | None = None
    """The ``--config`` file as read: its path, sha256 and keys (None: no file); its values are the knobs above."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON of every knob."""
        value = asdict(self)
        value["tests"] = list(self.tests)
        value["benchmarks"] = list(self.benchmarks) if self.benchmarks is not None else None
        value["positions"] = list(self.positions)
        value["guide_fractions"] = list(self.guide_fractions)
        value["distractor_percentiles"] = list(self.distractor_percentiles) if self.distractor_percentiles else None
        value["distractors_from"] = list(self.distractors_from)
        value["base_url"] = list(self.base_url)
        return value


def cell(fraction: float) -> str:
    """Key of a position or fraction in results: ``0``, ``0.2``..."""
    return f"{fraction:g}"
