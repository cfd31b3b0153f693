"""Every knob of a run; recorded in full in ``result.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from suite.steering import DEFAULT_TRANSITION

TESTS = ("solo", "recoverability", "guidability")


@dataclass(frozen=True)
class EvalConfig:
    """A run's configuration: same config + same seed + same release = same items and sample seeds."""

    model: str
    """Hugging Face id or local directory."""
    revision: str | None = None
    backend: str = "hf"
    base_url: str | None = None
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
    distractor_fraction: float = 0.2
    positions: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8)
    guide_fractions: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    recoverability_continuations: int = 1
    """Continuations per (item, position); the authors' scripts used 1."""
    guidability_continuations: int = 8
    individual_subset_size: int = 200
    distractor_pool_size: int = 50
    control_size: int = 50
    keep_opening: bool = False
    transition: str = DEFAULT_TRANSITION
    trust_remote_code: bool = False
    engine_args: dict[str, str] = field(default_factory=dict)
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    judge_url: str | None = None
    judge_model: str | None = None
    grading_timeout_s: float = 5.0
    grading_workers: int = 2
    hf_batch_size: int = 32

    def to_json(self) -> dict[str, Any]:
        """Plain JSON of every knob."""
        value = asdict(self)
        value["tests"] = list(self.tests)
        value["benchmarks"] = list(self.benchmarks) if self.benchmarks is not None else None
        value["positions"] = list(self.positions)
        value["guide_fractions"] = list(self.guide_fractions)
        return value


def cell(fraction: float) -> str:
    """Key of a position or fraction in results: ``0``, ``0.2``..."""
    return f"{fraction:g}"
