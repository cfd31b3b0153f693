"""The frozen suite release: questions, shared subsets and guide steers, with a hashed manifest."""

from suite.release._benchmarks import BENCHMARKS, PAPER_POOL, Benchmark, HubSource
from suite.release._build import RELEASE_VERSION, build_release, collect_questions
from suite.release._publish import Published, publish_release
from suite.release._pull import RELEASES_FOLDER, HubRef, parse_ref, pull_release, token_from_env
from suite.release._records import FORMAT_VERSION, GuideTrajectory, Question, Subset
from suite.release._upstream import PINNED_SOURCES, PinnedFile, PinnedSource
from suite.release._verify import Release, verify_release

load_release = verify_release
"""Loading a release always verifies it first."""

__all__ = [
    "BENCHMARKS",
    "FORMAT_VERSION",
    "PAPER_POOL",
    "PINNED_SOURCES",
    "RELEASES_FOLDER",
    "RELEASE_VERSION",
    "Benchmark",
    "GuideTrajectory",
    "HubRef",
    "HubSource",
    "PinnedFile",
    "PinnedSource",
    "Published",
    "Question",
    "Release",
    "Subset",
    "build_release",
    "collect_questions",
    "load_release",
    "parse_ref",
    "publish_release",
    "pull_release",
    "token_from_env",
    "verify_release",
]
