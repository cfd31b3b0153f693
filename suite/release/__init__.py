"""The frozen suite release: questions, shared subsets and guide steers, with a hashed manifest."""

from suite.release._benchmarks import BENCHMARKS, PAPER_POOL, Benchmark, HubSource
from suite.release._build import RELEASE_VERSION, build_release, collect_questions
from suite.release._records import FORMAT_VERSION, GuideTrajectory, Question, Subset
from suite.release._verify import Release, verify_release

load_release = verify_release
"""Loading a release always verifies it first."""

__all__ = [
    "BENCHMARKS",
    "FORMAT_VERSION",
    "PAPER_POOL",
    "RELEASE_VERSION",
    "Benchmark",
    "GuideTrajectory",
    "HubSource",
    "Question",
    "Release",
    "Subset",
    "build_release",
    "collect_questions",
    "load_release",
    "verify_release",
]
