"""``suite list``: what the suite can run (tests, protocols, backends, benchmarks) and what a release holds."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from suite.release import BENCHMARKS, Release

TEST_MEANINGS = {
    "solo": "the benchmark score: Pass@1 over the solo samples of every question",
    "recoverability_individual": "M's own solved questions, a distracting steer spliced in at 0-80%: still correct?",
    "recoverability_shared": "the same on the release's shared subset (comparable across models)",
    "guidability_individual": "questions M solves at most 1/8, a guide's partial correct reasoning first: solved now?",
    "guidability_shared": "the same on the release's shared subset (comparable across models)",
    "control": "guidability on questions M solves 8/8: does a guide's reasoning hurt?",
}
"""One line per test of Table 1 (``suite.evaluation._plan.TESTS``, in order)."""

PROTOCOL_MEANINGS = {
    "paper": "the authors' scripts: unit cuts, '\\nLet me think.', the distractor length rule (default)",
    "paper-text": "the paper's prose: token cuts at sentence ends, 'Wait. Let me think'",
}
"""One line per ``--protocol``."""

BACKEND_MEANINGS = {
    "auto": "vllm where vLLM and a GPU are present, else hf (default)",
    "hf": "transformers generate, batched (CPU or GPU; --dtype, --batch-size, --device-map)",
    "vllm": "vLLM's engine in process (GPU; --tensor-parallel-size, --engine-arg)",
    "openai": "OpenAI-compatible server(s) (--base-url)",
}
"""One line per ``--backend``."""


def catalogue_tables() -> list[Table]:
    """The tests of Table 1, the protocols, the backends and the benchmarks the suite can build a release from."""
    tables = []
    for title, meanings in (
        ("tests (Table 1)", TEST_MEANINGS),
        ("protocols (--protocol)", PROTOCOL_MEANINGS),
        ("backends (--backend)", BACKEND_MEANINGS),
    ):
        t = Table(title=title, title_justify="left")
        t.add_column("name")
        t.add_column("what")
        for name, meaning in meanings.items():
            t.add_row(name, Text(meaning))
        tables.append(t)
    t = Table(title="benchmarks (suite release build --benchmarks)", title_justify="left")
    t.add_column("name")
    t.add_column("questions", justify="right")
    t.add_column("in the paper's pool")
    t.add_column("title")
    for b in BENCHMARKS.values():
        t.add_row(b.name, str(b.count), "yes" if b.in_paper_pool else "no", Text(b.title))
    tables.append(t)
    return tables


def release_table(release: Release) -> Table:
    """A release's contents: benchmarks with question counts, shared subsets, guide sets."""
    t = Table(
        title=Text(f"release {release.version} at {release.path} (manifest sha256 {release.manifest_sha256[:16]}...)"),
        title_justify="left",
    )
    t.add_column("kind")
    t.add_column("name")
    t.add_column("size", justify="right")
    counts: dict[str, int] = {}
    for q in release.questions:
        counts[q.benchmark] = counts.get(q.benchmark, 0) + 1
    for name, count in counts.items():
        t.add_row("benchmark", Text(name), f"{count} questions")
    for name, subset in release.subsets.items():
        t.add_row("subset", Text(name), f"{len(subset.ids)} questions")
    for name, steers in release.guides.items():
        questions = len({s.question_id for s in steers})
        t.add_row("guide set", Text(name), f"{len(steers)} trajectories, {questions} questions")
    return t
