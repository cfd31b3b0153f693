"""The plan panel: what ``suite eval`` is about to do, printed before the model is fetched or loaded.

Model, revision, backend, release and its version, each of Table 1's tests with its question and
generation counts (exact, or an upper bound the solo pass decides), what cannot run and why, and
the output folder. Every value is shown as plain text: model ids, paths and release text are never
read as rich markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from suite.evaluation._config import EvalConfig
from suite.evaluation._plan import PlannedTest
from suite.release import Release


@dataclass(frozen=True)
class PlanHeader:
    """The run's identity as known before the model loads."""

    model: str
    revision: str
    """As asked (a branch, tag or commit), or how it will be pinned (a Hub id's main branch, a folder's hash)."""
    backend: str
    """The concrete engine, with its settings where they matter (``hf (float32, batch 32)``)."""
    release: str
    """Release version and manifest sha256 prefix."""
    out: str


def plan_header(config: EvalConfig, release: Release, out: str, local: bool) -> PlanHeader:
    """The header of ``config``'s run (``local``: the model is a folder on this machine)."""
    if local:
        revision = "local folder: pinned by the sha256 of its files (computed at load)"
    else:
        revision = f"{config.revision or 'main'} (resolved to a commit sha at load)"
    return PlanHeader(
        config.model if config.model_name is None else f"{config.model_name} ({config.model})",
        revision,
        engine_text(config),
        f"{release.version} (manifest sha256 {release.manifest_sha256[:12]}...)",
        out,
    )


def engine_text(config: EvalConfig) -> str:
    """The backend with the settings that shape its run: ``hf: dtype auto, batch size 32``."""
    if config.backend == "hf":
        placed = f", device map {config.device_map}" if config.device_map else ""
        return f"hf: dtype {config.dtype}, batch size {config.hf_batch_size}{placed}"
    if config.backend == "vllm":
        extra = "".join(f", {k}={v}" for k, v in config.engine_args.items())
        parallel = f"tensor parallel {config.tensor_parallel_size}, pipeline parallel {config.pipeline_parallel_size}"
        return f"vllm: {parallel}{extra}"
    if config.backend == "openai":
        return f"openai: {', '.join(config.base_url) or 'no --base-url'}"
    return config.backend


def plan_panel(header: PlanHeader, plan: Sequence[PlannedTest]) -> Panel:
    """The plan as a rich panel: the run's identity, then one row per test of Table 1."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for name, value in (
        ("model", header.model),
        ("revision", header.revision),
        ("backend", header.backend),
        ("release", header.release),
        ("output", header.out),
    ):
        facts.add_row(name, Text(value))
    tests = Table(box=None, pad_edge=False, header_style="bold")
    tests.add_column("test")
    tests.add_column("questions", justify="right")
    tests.add_column("generations", justify="right")
    tests.add_column("status")
    for p in plan:
        if not p.runs:
            tests.add_row(p.name, "-", "-", Text(f"not run: {p.reason}", style="yellow"))
            continue
        tests.add_row(p.name, *_counts(p), "runs")
    runs = sum(p.runs for p in plan)
    return Panel(
        Group(facts, Text(""), tests),
        title=f"Plan: {runs} of the {len(plan)} tests of Table 1",
        title_align="left",
        expand=False,
    )


def plan_text(header: PlanHeader, plan: Sequence[PlannedTest]) -> list[str]:
    """The same plan as plain lines (for ``run.log``)."""
    lines = [
        f"plan: model {header.model}, revision {header.revision}, backend {header.backend}, "
        f"release {header.release}, output {header.out}"
    ]
    for p in plan:
        if p.runs:
            questions, generations = _counts(p)
            lines.append(f"plan: {p.name} runs: {questions} questions, {generations} generations")
        else:
            lines.append(f"plan: {p.name} not run: {p.reason}")
    return lines


def _counts(p: PlannedTest) -> tuple[str, str]:
    """Questions and generations of a test that runs: exact, ``up to`` a bound, or known only after solo."""
    bound = "" if p.exact else "up to "
    questions = "-" if p.questions is None else f"{bound}{p.questions}"
    generations = "after solo" if p.generations is None else f"{bound}{p.generations}"
    return questions, generations
