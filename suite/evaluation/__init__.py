"""``suite eval`` and ``suite validate``: the twin tests end to end, and the result bundle."""

from suite.evaluation._bundle import read_samples, validate_bundle, write_bundle
from suite.evaluation._config import TESTS, EvalConfig
from suite.evaluation._evaluate import evaluate
from suite.evaluation._metrics import compute_metrics
from suite.evaluation._samples import Sample

__all__ = [
    "TESTS",
    "EvalConfig",
    "Sample",
    "compute_metrics",
    "evaluate",
    "read_samples",
    "validate_bundle",
    "write_bundle",
]
