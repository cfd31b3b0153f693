"""The ``suite`` command line. Each subcommand is a thin wrapper over a library function."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from suite import __version__
from suite._errors import SuiteError

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def _shown(value: str) -> str:
    """``value`` as typed when it is plain, else quoted with escapes (it is untrusted and must stay on one line)."""
    return value if value and value.isprintable() and value.strip() == value else repr(value)


def _whole(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least ``minimum``."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{_shown(value)} is not a whole number of at least {minimum}")
        return number

    return parse


def _real(
    low: float, high: float = math.inf, low_open: bool = False, high_open: bool = False
) -> Callable[[str], float]:
    """An argparse ``type``: a finite number within the interval from ``low`` to ``high`` (open ends excluded)."""
    if high != math.inf:
        allowed = f"a number within {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    else:
        allowed = f"a number above {low:g}" if low_open else f"a number of at least {low:g}"

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        inside = (low < number if low_open else low <= number) and (number < high if high_open else number <= high)
        if not (math.isfinite(number) and inside):
            raise argparse.ArgumentTypeError(f"{_shown(value)} is not {allowed}")
        return number

    return parse


class _Parser(argparse.ArgumentParser):
    """Argparse whose errors are one line: ``error: suite eval: --limit -2 is not ...; see suite eval --help.``."""

    def error(self, message: str) -> NoReturn:
        message = re.sub(r"^argument ([^:]+): ", r"\1 ", message)
        _print_error(f"{self.prog}: {message}; see {self.prog} --help.")
        raise SystemExit(2)


def _print_error(message: str) -> None:
    """One line on stderr: never read as rich markup, control characters escaped."""
    one_line = message.translate({c: f"\\x{c:02x}" for c in (*range(32), 127)})
    errors.print(Text("error: ", style="bold red") + Text(one_line), soft_wrap=True, highlight=False)


def _pairs(values: Sequence[str] | None, flag: str) -> dict[str, Path]:
    pairs: dict[str, Path] = {}
    for value in values or ():
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise SuiteError(f"{flag} {value!r} is not NAME=FILE; pass e.g. {flag} recoverability_shared=ids.txt.")
        pairs[name] = Path(path)
    return pairs


def _cmd_release_build(args: argparse.Namespace) -> None:
    from suite.release import PAPER_POOL, RELEASE_VERSION, build_release, verify_release

    benchmarks = [b.strip() for b in args.benchmarks.split(",") if b.strip()] if args.benchmarks else list(PAPER_POOL)
    start = time.monotonic()
    out = build_release(
        args.source,
        Path(args.out),
        benchmarks=benchmarks,
        version=args.version or RELEASE_VERSION,
        force=args.force,
        subsets=_pairs(args.subset, "--subset"),
        guides=_pairs(args.guide, "--guide"),
    )
    release = verify_release(out)
    _print_release(release, f"built {out} in {time.monotonic() - start:.2f}s")


def _cmd_release_add_guide(args: argparse.Namespace) -> None:
    from suite._errors import SuiteError
    from suite.evaluation._add_guide import add_guide
    from suite.release import verify_release

    release, run = args.release_option or args.release, args.run_option or args.run
    if release is None:
        raise SuiteError("name the release to add the guide set to: RELEASE or --release RELEASE.")
    out, harvest = add_guide(
        Path(release),
        args.name,
        Path(args.out),
        run=Path(run) if run else None,
        traces=Path(args.from_traces) if args.from_traces else None,
        generated=Path(args.from_generated) if args.from_generated else None,
        model=args.model,
        revision=args.revision,
        per_question=args.per_question,
        version=args.version,
        benchmark=args.benchmark,
    )
    console.print(harvest.summary(), markup=False, highlight=False)
    source = harvest.source.to_json()
    cited = ", ".join(f"{k} {v}" for k, v in source.items() if k != "kind" and v is not None)
    console.print(f"guide {harvest.model} ({harvest.revision}) from {source['kind']}: {cited}", markup=False)
    _print_release(verify_release(out), f"wrote {out} with guide {args.name!r}")


def _cmd_release_subsets(args: argparse.Namespace) -> None:
    from suite.evaluation._shared_subsets import release_subsets
    from suite.release import verify_release

    out, panel, subsets = release_subsets(
        Path(args.release),
        [Path(b) for b in args.panel or ()],
        Path(args.out),
        size=args.size,
        seed=args.seed,
        version=args.version,
    )
    for m in panel.models:
        console.print(
            f"panel: {m.id} ({m.revision[:19]}): {m.solo_samples} solo samples, solves {m.solved_every_sample} "
            f"questions 8/8 and {m.solved_at_most_one} at most 1/8",
            markup=False,
            soft_wrap=True,
        )
    drawn, eligible = len(subsets.recoverability), subsets.recoverability_eligible
    fewer = " (fewer than --size)" if drawn < args.size else ""
    how = f"drew {drawn} of" if drawn < eligible else f"took all {drawn}{fewer} of"
    console.print(
        f"recoverability_shared: {how} the {eligible} questions every panel model solves 8/8 (seed {args.seed})\n"
        f"guidability_shared: {len(subsets.guidability)} of the {subsets.unsolved} questions every panel model "
        f"solves at most 1/8 have a correct trajectory of a guide set ({', '.join(panel.guides) or 'none'})",
        markup=False,
        soft_wrap=True,
    )
    _print_release(verify_release(out), f"wrote {out} with the panel's shared subsets")


def _cmd_release_verify(args: argparse.Namespace) -> None:
    from suite.release import verify_release

    start = time.monotonic()
    release = verify_release(Path(args.release))
    _print_release(release, f"verified {release.path} in {time.monotonic() - start:.2f}s: every file matches")


def _cmd_release_publish(args: argparse.Namespace) -> None:
    from huggingface_hub.utils import disable_progress_bars

    from suite.release import publish_release, token_from_env

    disable_progress_bars()  # a release is a few files: bars would only bury the ref and sha256
    token = token_from_env(args.token_env)
    published = publish_release(Path(args.release), args.repo, token=token, endpoint=args.endpoint)
    done = "already held this release; nothing uploaded" if published.already else "uploaded in one commit"
    lines = [
        f"{published.endpoint}/datasets/{published.ref.repo}: {done}, then pulled back and verified",
        f"commit: {published.ref.commit}",
        f"ref: {published.ref}",
        f"sha256: {published.manifest_sha256}  (of {published.ref.folder}/manifest.json)",
        f"pull: suite release pull {published.ref} --sha256 {published.manifest_sha256} --out release",
    ]
    console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def _cmd_release_pull(args: argparse.Namespace) -> None:
    from huggingface_hub.utils import disable_progress_bars

    from suite.release import pull_release

    disable_progress_bars()
    start = time.monotonic()
    release = pull_release(args.ref, args.sha256, Path(args.out), endpoint=args.endpoint)
    elapsed = time.monotonic() - start
    _print_release(release, f"pulled {args.ref} into {args.out} in {elapsed:.2f}s: the sha256 and every file match")


def _print_release(release: object, headline: str) -> None:
    from suite.release import Release

    assert isinstance(release, Release)
    table = Table(title=f"release {release.version}  (manifest sha256 {release.manifest_sha256[:16]}...)")
    table.add_column("benchmark")
    table.add_column("questions", justify="right")
    table.add_column("source")
    for b in release.manifest["benchmarks"]:
        p = b["provenance"]
        if p["kind"] == "hf":
            where = f"{p['dataset']}@{p['revision'][:12]}"
        elif p["kind"] == "pinned":
            count = len(p["files"])
            where = f"github.com/{p['repository']}@{p['commit'][:12]} ({count} file{'s' * (count > 1)})"
        else:
            where = f"{p['file']} ({p['sha256'][:12]})"
        table.add_row(b["name"], str(b["count"]), where)
    table.add_row("total", str(len(release.questions)), "", style="bold")
    console.print(table)
    subsets = ", ".join(f"{name} ({len(s.ids)})" for name, s in release.subsets.items()) or "none"
    guides = ", ".join(f"{name} ({len(g)})" for name, g in release.guides.items()) or "none"
    console.print(f"subsets: {subsets}\nguides: {guides}\n{headline}")


def _cmd_eval(args: argparse.Namespace) -> None:
    try:  # a stop at any moment, start-up and summary included, leaves a run the same command resumes
        _eval(args)
    except KeyboardInterrupt:
        raise Stopped(Path(args.out)) from None


def _check_release_folder(path: Path) -> None:
    """A missing ``--release`` (often the default ./release) says which path was looked at and how to get one."""
    if path.is_dir():
        return
    what = "is a file" if path.exists() else "does not exist"
    raise SuiteError(
        f"--release {path} {what} (default: $SUITE_RELEASE, else ./release); get a release with "
        "`suite release pull REF --sha256 SHA256 --out release` or "
        "`suite release build --source pinned --out release`, or pass --release FOLDER."
    )


def _eval(args: argparse.Namespace) -> None:
    _check_release_folder(Path(args.release))  # first: the default ./release is often missing
    from suite._eval_options import eval_config
    from suite._plan_panel import plan_header
    from suite.evaluation import evaluate

    if args.data_parallel_size is not None:
        from suite.backends._vllm import DATA_PARALLEL_REFUSED

        raise SuiteError(DATA_PARALLEL_REFUSED)
    local = Path(args.model).is_dir()
    if args.revision is not None and local:
        raise SuiteError(
            f"--revision {args.revision} names a version of a Hub model, but {args.model} is a local folder "
            "(pinned by the sha256 of its files); drop --revision."
        )
    config = eval_config(args.model, vars(args), getattr(args, "config_file", None))
    out = Path(args.out)
    result = _live_run(
        args.verbosity,
        out,
        lambda release: plan_header(config, release, args.out, local),
        lambda on_plan, progress, factory: evaluate(
            config,
            Path(args.release),
            out,
            progress,
            backend_factory=factory,
            on_plan=on_plan,
            require_complete=args.require_complete,
        ),
    )
    _print_result(result, args.out, args.details)


def _live_run(
    verbosity: str,
    out: Path,
    header: Callable[[Any], Any],
    run: Callable[[Callable[[Any, Any], None], Callable[[int, int, int, int], None], Any], dict[str, Any]],
) -> dict[str, Any]:
    """``run`` with the plan panel before the model loads, the live display after it, and logging to ``run.log``.

    ``run`` gets the plan callback, the runner's progress callback and the backend factory to pass on;
    ``header`` makes the plan panel's header from the release.
    """
    import logging
    import shlex

    from suite._logging import route_transformers, run_logging
    from suite._plan_panel import plan_panel, plan_text
    from suite._progress import LiveProgress
    from suite.evaluation._evaluate import make_backend

    log = logging.getLogger("suite.cli")
    live = LiveProgress(console)

    def on_plan(release: Any, plan: Any) -> None:
        top = header(release)
        console.print(plan_panel(top, plan))
        for line in plan_text(top, plan):
            log.info("%s", line)
        live.start(plan)

    def factory(config: Any, source: Any) -> tuple[Any, Any]:
        route_transformers()  # just before transformers loads the model: its warnings go to run.log
        log.info("model: %s (%s, %s) from %s", config.model, source.kind, source.revision, source.path)
        backend, tokenizer = make_backend(config, source)
        return live.watch(backend), tokenizer

    with run_logging(errors, verbosity, out):
        log.info("suite %s: %s", __version__, shlex.join(["suite", *sys.argv[1:]]))
        try:
            return run(on_plan, live.report, factory)
        finally:
            live.stop()


class Stopped(Exception):
    """``suite eval`` was stopped by SIGINT or SIGTERM; what it finished is in the store."""

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.out = out


def _progress_bar() -> tuple[Progress, Callable[[int, int, int, int], None]]:
    """A rich progress bar and the callback the runner reports to."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    tasks: dict[str, TaskID] = {}
    started = time.monotonic()

    def progress(done: int, known: int, tokens: int, queue: int) -> None:
        """``known`` grows as the solo outcomes decide which items the tests have."""
        if "samples" not in tasks:
            tasks["samples"] = bar.add_task("samples graded", total=known, rate="")
        rate = f"{tokens / max(1e-9, time.monotonic() - started):.0f} tok/s, {queue} in engine"
        bar.update(tasks["samples"], completed=done, total=known, rate=rate)

    return bar, progress


def _print_tables(result: dict[str, Any], where: str, details: bool) -> None:
    """The headline table of the bundle in ``where`` (from its samples), then every metric cell when ``details``."""
    from suite._show import headline_of
    from suite._summary import headline_table, summary_tables

    _print_whole(headline_table(result, headline_of(result, Path(where))))
    for table in summary_tables(result) if details else ():
        console.print(table)


def _print_whole(table: Table) -> None:
    """A table at its natural width when the output is not a terminal (a log, a pipe): numbers never wrap there."""
    from rich.measure import Measurement

    width = console.width
    if not console.is_terminal:
        console.width = max(width, Measurement.get(console, console.options.update(width=1000), table).maximum)
    try:
        console.print(table)
    finally:
        console.width = width


def _print_result(result: dict[str, Any], where: str, details: bool = False) -> None:
    _print_tables(result, where, details)
    for note in result["notes"]:
        console.print(f"note: {note}")
    console.print(f"bundle: {where} (validated)")


def _cmd_demo(args: argparse.Namespace) -> None:
    from suite._demo import run_demo
    from suite._plan_panel import PlanHeader

    out = Path(args.out)
    console.print("suite demo: tiny reasoner on CPU (trained on first use, about 5 minutes on 2 cores)")
    benchmarks = tuple(args.benchmarks.split(",")) if args.benchmarks else None
    source = Path(args.source) if args.source else None

    def header(release: Any) -> PlanHeader:
        version = f"{release.version} (manifest sha256 {release.manifest_sha256[:12]}...)"
        return PlanHeader(
            "the tiny reasoner", "local folder: pinned by the sha256 of its files", "hf", version, str(out / "bundle")
        )

    result = _live_run(
        args.verbosity,
        out / "bundle",
        header,
        lambda on_plan, progress, factory: run_demo(
            out, progress, args.questions, source, benchmarks, on_plan=on_plan, backend_factory=factory
        ),
    )
    _print_result(result, str(out / "bundle"), args.details)
    console.print(f"leaderboard site: {out / 'site' / 'index.html'} (open it in a browser)")


def _cmd_validate(args: argparse.Namespace) -> None:
    from suite.evaluation._bundle import check_samples, checked_result
    from suite.evaluation._rederive import rederive
    from suite.release import load_release

    result, samples_path = checked_result(Path(args.bundle))
    check_samples(result, samples_path)  # what needs no release first: a broken bundle is refused as such
    _check_release_folder(Path(args.release))
    rederived = rederive(result, samples_path, load_release(Path(args.release)), args.grading_workers)
    _print_tables(result, args.bundle, args.details)  # bundle text is shown as plain text, never rich markup
    console.print(
        f"{args.bundle}: valid; every metric recomputed from {result['samples']['count']} samples matches, "
        f"{rederived.regraded} completions re-graded alike, all {rederived.requests} requests the protocol implies "
        "present with their steers"
        + (f" ({rederived.judged} grades the judge made correct kept)" if rederived.judged else ""),
        markup=False,
        highlight=False,
    )


_DETAILS_HELP = "also print every metric cell: solo per benchmark, recoverability by position, guidability by fraction"


def _cmd_show(args: argparse.Namespace) -> None:
    from suite._show import show_bundle, show_markdown

    result, rows = show_bundle(Path(args.bundle))
    if args.markdown:
        print(show_markdown(result, rows, args.details), end="")
        return
    from suite._summary import headline_table, plain, summary_tables

    _print_whole(headline_table(result, rows))
    for table in summary_tables(result) if args.details else ():
        console.print(table)
    for note in result["notes"]:
        console.print(plain(f"note: {note}"), soft_wrap=True)


def _cmd_compare(args: argparse.Namespace) -> None:
    from suite._compare import compare, compare_markdown, compare_table, flags, legend, load_runs
    from suite._summary import plain

    runs = load_runs([Path(b) for b in args.bundles])
    differences = compare(runs)
    if args.markdown:
        print(compare_markdown(runs, differences), end="")
        return
    for line in legend(runs):
        console.print(plain(line), soft_wrap=True)
    _print_whole(compare_table(runs, differences))
    for flag in (f for r in runs[1:] for f in flags(runs[0], r)):
        console.print(plain(f"flag: {flag}"), soft_wrap=True)


def _cmd_export(args: argparse.Namespace) -> None:
    from suite._export import export_parquet

    count = export_parquet(Path(args.bundle), Path(args.parquet))
    console.print(
        f"{args.parquet}: {count} samples, one row each (from the validated bundle {args.bundle})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _cmd_leaderboard_build(args: argparse.Namespace) -> None:
    from rich.table import Table
    from rich.text import Text

    from suite.leaderboard import build_database
    from suite.release import load_release

    releases = [load_release(Path(r)) for r in args.release or [os.environ.get("SUITE_RELEASE", "release")]]
    site = Path(args.site)
    if not args.bundles and not args.verified:  # the default: the repository's leaderboard/results/ folders
        from suite.leaderboard._layout import SELF_REPORTED, VERIFIED

        args.bundles, args.verified = [str(SELF_REPORTED)], [str(VERIFIED)]
    verdicts = build_database(args.bundles, Path(args.db), releases, site, args.wait, args.jobs, args.verified or ())

    def plain(value: object) -> Text:  # bundle text is untrusted: never rich markup, never a lone surrogate
        return Text(str(value).encode("utf-8", "backslashreplace").decode("utf-8"))

    table = Table(title=plain(f"leaderboard: {args.db}"))
    for column in ("bundle", "model", "status", "reason"):
        table.add_column(column, overflow="fold")
    for v in verdicts:
        table.add_row(plain(v.bundle), plain(v.model), plain(v.status), plain(v.reason))
    console.print(table)
    rejected = [v for v in verdicts if v.status == "rejected"]
    if not verdicts:
        where = " ".join([*args.bundles, *(args.verified or [])]) or "(none given)"
        raise SuiteError(f"no result bundle found in {where}; pass bundle folders or globs.")
    console.print(f"site: {site / 'index.html'}")
    if rejected and args.strict:
        raise SuiteError(f"{len(rejected)} of {len(verdicts)} bundles were rejected (--strict).")


def _cmd_leaderboard_publish_samples(args: argparse.Namespace) -> None:
    from huggingface_hub.utils import disable_progress_bars

    from suite.leaderboard._samples_hub import publish_samples
    from suite.release import token_from_env

    disable_progress_bars()
    runs = publish_samples(Path(args.db), args.repo, token_from_env(args.token_env), args.endpoint, args.wait)
    if not runs:
        console.print(f"{args.db}: every verified run's samples are already published; nothing uploaded.")
        return
    lines = [f"{args.repo}: the samples of {len(runs)} verified run(s) uploaded in one commit"]
    lines += [f"{run.run_id[:16]}  {run.samples} samples  {run.url}" for run in runs]
    console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def _cmd_submit_check(args: argparse.Namespace) -> int:
    """Exit 0 when the submission may run, 1 when it is refused (each reason printed)."""
    from suite.submission import Limits, check_submission, fetch, read_issue

    limits = Limits(max_parameters=int(args.max_params_b * 1e9), min_context=args.min_context)
    if args.issue:
        try:
            body = Path(args.issue).read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise SuiteError(
                f"--issue {args.issue} cannot be read ({e.strerror}); pass the issue body's file."
            ) from None
        submission = read_issue(body)
        verdict = check_submission(submission.model_id, submission.revision, fetch, limits)
        verdict.problems[:0] = submission.problems
    elif args.model:
        verdict = check_submission(args.model, args.revision, fetch, limits)
    else:
        raise SuiteError("suite submit check needs a MODEL id or --issue FILE.")
    if args.json:
        Path(args.json).write_text(json.dumps(verdict.to_json(), indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(verdict.markdown(), encoding="utf-8")
    console.print(verdict.markdown(), markup=False, highlight=False)
    return 0 if verdict.accepted else 1


def _cmd_submit_bind(args: argparse.Namespace) -> int:
    """Exit 0 when the ``run-eval`` label is bound to the bot's latest verdict, 1 when the run must not start."""
    from suite._files import read_json
    from suite.submission import (
        Limits,
        binding_markdown,
        binding_problems,
        check_submission,
        fetch,
        read_issue,
        read_issue_state,
    )

    state = read_issue_state(read_json(Path(args.issue_state)))
    submission = read_issue(state.body)
    limits = Limits(max_parameters=int(args.max_params_b * 1e9), min_context=args.min_context)
    now = check_submission(submission.model_id, submission.revision, fetch, limits)
    now.problems[:0] = submission.problems
    problems = binding_problems(state, now)
    if args.json and not problems:
        Path(args.json).write_text(json.dumps(now.to_json(), indent=2) + "\n", encoding="utf-8")
    text = binding_markdown(problems, now)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    console.print(text, markup=False, highlight=False)
    return 1 if problems else 0


def _cmd_submit_place(args: argparse.Namespace) -> None:
    from suite.submission import place_bundle

    print(place_bundle(Path(args.bundle), args.model, args.commit, Path(args.into)))


def _cmd_container_eval(args: argparse.Namespace) -> int:
    """``suite eval`` in the GPU image; the exit status is the container's."""
    from suite.container import ContainerRun, container_spec, docker_client, run_container

    extra = list(args.eval_args)
    out, cache = Path(args.out), Path(args.hf_cache).expanduser()
    run = ContainerRun(
        args.model,
        out,
        cache,
        args.image,
        args.gpus,
        args.shm_size,
        args.ipc_host,
        f"{os.getuid()}:{os.getgid()}",
        tuple(extra),
    )
    spec = container_spec(run, os.environ)
    client = docker_client()
    for folder in (out, cache):
        folder.mkdir(parents=True, exist_ok=True)
    console.print(f"running {run.image}: suite {' '.join(spec['command'])}", markup=False, highlight=False)
    code = run_container(client, spec, lambda text: print(text, end="", flush=True))
    console.print(f"container exited with status {code}; bundle folder: {out}", markup=False, highlight=False)
    return code


def _cmd_guides_generate(args: argparse.Namespace) -> int:
    """Guide samples from a chat endpoint; a stop keeps every saved sample for the same command to resume."""
    from suite.guides import ChatEndpoint, generate_guides

    endpoint = ChatEndpoint(args.base_url, args.model, args.api_key_env, args.max_attempts)
    out = Path(args.out)
    bar, progress = _progress_bar()
    try:
        with bar:
            s = generate_guides(
                endpoint,
                Path(args.release),
                out,
                args.samples,
                args.max_tokens,
                args.questions_from,
                args.limit,
                args.concurrency,
                progress=progress,
            )
    except KeyboardInterrupt:
        errors.print(
            f"stopped: every finished sample is saved in {out}; run the same command again to resume.", markup=False
        )
        return 130
    share = f" ({s.correct / s.samples:.1%})" if s.samples else ""
    cost = f"${s.cost:.4f}" if s.cost is not None else "not reported by the endpoint"
    lines = [
        f"questions: {s.questions}, samples: {s.samples}/{s.planned} ({s.resumed} resumed), "
        f"correct: {s.correct}{share}, questions solved: {s.solved_questions}/{s.questions}",
        f"tokens (new samples): prompt {s.prompt_tokens}, completion {s.completion_tokens}; retries: {s.retries}",
        f"wall time: {s.wall_s:.1f}s, throughput: {s.throughput:.1f} completion tokens/s, cost: {cost}",
        f"guide samples: {out} (reasoning from message.{s.reasoning_field})",
    ]
    console.print("\n".join(lines), markup=False, highlight=False)
    return 0


def _cmd_tiny_reasoner(args: argparse.Namespace) -> None:
    from suite.tiny import TrainingConfig, ensure_reasoner

    path = ensure_reasoner(TrainingConfig(seed=args.seed), log=True)
    console.print(f"tiny reasoner: {path}")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help with each option's default, where it has one (not for switches off and options unset by default)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class _FileOptions(argparse.ArgumentParser):
    """Reads a ``--config`` file's options as command-line words; an error is a ``SuiteError``, not an exit."""

    def error(self, message: str) -> NoReturn:
        raise SuiteError(re.sub(r"^argument ([^:]+): ", r"\1 ", message))


class _EvalParser(_Parser):
    """``suite eval``'s parser: a ``--config`` file's values first, the command line's over them."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        words = list(sys.argv[1:] if args is None else args)
        namespace = argparse.Namespace() if namespace is None else namespace
        # A first pass finds --config however it is spelled (--config=F, --conf F); the file's values go in
        # first, then the command line's over them.
        path = getattr(super().parse_known_args(words, argparse.Namespace())[0], "config", None)
        if path is not None:
            try:
                _read_eval_config(Path(path), namespace)
            except SuiteError as e:
                _print_error(str(e))
                raise SystemExit(2) from None
        parsed, extras = super().parse_known_args(words, namespace)
        assert parsed is not None
        namespace = parsed
        # Not required by argparse: a --config file may give them.
        missing = [
            shown for dest, shown in (("model", "model"), ("out", "--out")) if getattr(namespace, dest, None) is None
        ]
        if missing:
            self.error(f"the following arguments are required: {', '.join(missing)}")
        return namespace, extras


def _read_eval_config(path: Path, namespace: argparse.Namespace) -> None:
    """Put the options of the ``--config`` file at ``path`` into ``namespace``, checked as the command line's are."""
    from suite._config_file import read_config_file
    from suite._eval_options import config_tokens

    record = read_config_file(path)
    model, words = config_tokens(record["values"], f"--config {path}")
    reader = _add_eval_options(_FileOptions(prog="suite eval", add_help=False, argument_default=argparse.SUPPRESS))
    try:
        values = reader.parse_args(words)
    except SuiteError as e:
        raise SuiteError(f"--config {path}: {e}; fix the file.") from None
    for dest, value in vars(values).items():
        setattr(namespace, dest, value)
    if model is not None:
        namespace.model = model
    namespace.config_file = record


def _add_eval_options(ev: argparse.ArgumentParser, with_defaults: bool = False) -> argparse.ArgumentParser:
    """Every ``suite eval`` option from the one table (``suite._eval_options``), in its groups."""
    from suite._eval_options import GROUPS, OPTIONS

    groups = {name: ev.add_argument_group(title) for name, title in GROUPS.items()}
    # No default: a model read from --config stays unless the command line names one.
    groups["model"].add_argument(
        "model", nargs="?", default=argparse.SUPPRESS, help="Hugging Face model id or local model folder"
    )
    types = {"whole": _whole(0), "count": _whole(1), "real": _real(0), "fraction": _real(0, 1, low_open=True)}
    types["positive"] = _real(0, low_open=True)
    for o in OPTIONS:
        kwargs: dict[str, Any] = {"help": o.help, "metavar": o.metavar}
        if o.kind == "switch":
            kwargs = {"help": o.help, "action": "store_true"}
        elif o.kind == "repeat":
            kwargs["action"] = "append"
        elif o.kind == "several":
            kwargs["nargs"] = "+"
        elif o.kind == "choice":
            kwargs["choices"] = o.choices
        else:
            kwargs["type"] = types.get(o.kind)
        if with_defaults:
            kwargs["default"] = os.environ.get("SUITE_RELEASE", o.default) if o.name == "release" else o.cli_default()
        groups[o.group].add_argument(o.flag, **kwargs)
    # Refused with the reason (vLLM 0.32 has no offline data parallelism for dense models): see _vllm.py.
    ev.add_argument("--data-parallel-size", type=int, help=argparse.SUPPRESS)
    return ev


def _add_eval_parser(commands: Any) -> None:
    """``suite eval``: the parser is built from the options table, with ``--config`` and groups."""
    ev = _EvalParser(
        prog="suite eval",
        description="Run the twin tests of Li & Goyal (arXiv 2510.06410) on a model and write a result bundle. "
        "Options may also come from --config FILE; the command line wins over the file.",
        formatter_class=_HelpFormatter,
    )
    ev.add_argument(
        "--config",
        metavar="FILE",
        help="TOML (.toml) or YAML (.yaml, .yml) file whose keys are these options' names without dashes "
        '(model = "...", max-tokens = 320, tests = ["solo"]); repeated flags add to its lists; recorded in '
        "result.json",
    )
    _add_eval_options(ev, with_defaults=True)
    ev.add_argument("--details", action="store_true", help=_DETAILS_HELP)
    ev.set_defaults(func=_cmd_eval, config_file=None)
    # argparse has no way to hand add_parser a parser class: register it, then put this parser in its place.
    commands.add_parser("eval", help="run the twin tests on a model and write a result bundle")
    commands.choices["eval"] = ev


def _add_demo_parser(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="the whole pipeline on CPU with the tiny reasoner (no GPU, no network)",
        formatter_class=_HelpFormatter,
    )
    demo.add_argument("--out", default="demo", help="folder for the release, the bundle and the site")
    demo.add_argument("--questions", type=_whole(1), default=24, help="questions to evaluate")
    demo.add_argument("--source", help="build the release from this mirror folder instead of generated questions")
    demo.add_argument("--benchmarks", help="with --source: which benchmark files to use")
    demo.add_argument("--details", action="store_true", help=_DETAILS_HELP)
    demo.add_argument(
        "--verbosity",
        choices=("error", "warning", "info", "debug"),
        default="warning",
        help="console messages (run.log in the bundle always has info and more)",
    )
    demo.set_defaults(func=_cmd_demo)


def _cmd_list(args: argparse.Namespace) -> None:
    from suite._catalogue import catalogue_tables, release_table
    from suite.release import load_release

    for table in catalogue_tables():
        console.print(table)
    path = Path(args.release or os.environ.get("SUITE_RELEASE", "release"))
    if args.release is not None:
        _check_release_folder(path)
    elif not path.is_dir():
        console.print(
            f"release: {path} not found (default: $SUITE_RELEASE, else ./release); pass --release FOLDER "
            "to list a release's benchmarks, subsets and guide sets.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    console.print(release_table(load_release(path)))


def _add_list_parser(commands: Any) -> None:
    listing = commands.add_parser(
        "list",
        help="what the suite runs (tests, protocols, backends, benchmarks) and what a release holds",
        formatter_class=_HelpFormatter,
    )
    listing.add_argument("--release", help="release folder to list (default: $SUITE_RELEASE, else ./release, if any)")
    listing.set_defaults(func=_cmd_list)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    from suite.container._spec import IMAGE

    parser = _Parser(prog="suite", description="Off-trajectory reasoning suite (arXiv 2510.06410).")
    parser.add_argument("--version", action="version", version=f"suite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = commands.add_parser("release", help="build, verify, publish and pull frozen releases")
    release_commands = release.add_subparsers(dest="release_command", required=True, metavar="SUBCOMMAND")
    build = release_commands.add_parser("build", help="build a release from the Hub or a local mirror")
    build.add_argument(
        "--source",
        required=True,
        help="'pinned' (GitHub files at fixed commits, sha256-checked), 'hf' (Hub datasets) or a mirror folder",
    )
    build.add_argument("--out", required=True, help="release folder to create")
    build.add_argument("--benchmarks", help="comma-separated names (default: the paper's five)")
    build.add_argument("--version", default=None, dest="version", help="release version (semver)")
    build.add_argument("--force", action="store_true", help="replace an existing --out")
    build.add_argument("--subset", action="append", metavar="NAME=FILE", help="frozen id list (one id a line)")
    build.add_argument("--guide", action="append", metavar="NAME=FILE", help="guide trajectories (JSON Lines)")
    build.set_defaults(func=_cmd_release_build)
    add = release_commands.add_parser(
        "add-guide", help="turn a guide's solo run, endpoint generation or public traces into a guide steer set"
    )
    add.add_argument("release", nargs="?", help="the release the guide's trajectories answer (or --release)")
    add.add_argument("run", nargs="?", help="the guide model's result bundle (suite eval --tests solo), or --run")
    add.add_argument("--release", dest="release_option", metavar="RELEASE", help="the release (instead of RELEASE)")
    add.add_argument("--run", dest="run_option", metavar="BUNDLE", help="the guide's result bundle (instead of RUN)")
    add.add_argument("--from-traces", metavar="FILE", help="a public trace file (SOURCE.txt beside it cites it)")
    add.add_argument("--from-generated", metavar="DIR", help="a `suite guides generate` folder")
    add.add_argument(
        "--benchmark",
        default="math500",
        help="the release benchmark whose ids a trace file's unique_id names (default math500)",
    )
    add.add_argument("--model", help="guide model id (traces, generated; default: known from the source)")
    add.add_argument("--revision", help="guide model revision (default: the generation's date, or 'unknown')")
    add.add_argument("--per-question", type=_whole(1), metavar="K", help="keep at most K per question (default: all)")
    add.add_argument("--name", required=True, help="guide name, e.g. deepseek-r1")
    add.add_argument("--out", required=True, help="folder of the new release")
    add.add_argument("--version", default=None, dest="version", help="new release version (default: next minor)")
    add.set_defaults(func=_cmd_release_add_guide)
    subs = release_commands.add_parser(
        "subsets", help="compute both shared subsets from a reference panel's solo bundles (a new release version)"
    )
    subs.add_argument("--release", required=True, help="the release every panel model was run on")
    subs.add_argument("--panel", nargs="*", metavar="BUNDLE", help="each reference model's solo bundle, once")
    subs.add_argument("--out", required=True, help="folder of the new release")
    subs.add_argument(
        "--size", type=_whole(1), default=200, help="questions drawn for recoverability_shared (default 200)"
    )
    subs.add_argument("--seed", type=_whole(0), default=0, help="seed of that draw (recorded)")
    subs.add_argument("--version", default=None, dest="version", help="new release version (default: next minor)")
    subs.set_defaults(func=_cmd_release_subsets)
    verify = release_commands.add_parser("verify", help="check a release's hashes, schema and references")
    verify.add_argument("release", help="release folder")
    verify.set_defaults(func=_cmd_release_verify)
    publish = release_commands.add_parser(
        "publish", help="upload a release to a Hugging Face dataset repository and print the ref and sha256 to pin"
    )
    publish.add_argument("release", help="release folder (verified before upload)")
    publish.add_argument("--repo", required=True, help="dataset repository OWNER/NAME (created if missing)")
    publish.add_argument("--token-env", metavar="VAR", help="variable that holds a write token (default HF_TOKEN)")
    publish.add_argument("--endpoint", help="Hub URL (default: $HF_ENDPOINT, else https://huggingface.co)")
    publish.set_defaults(func=_cmd_release_publish)
    pull = release_commands.add_parser("pull", help="download a published release, check its sha256 and every file")
    pull.add_argument("ref", help="hf://datasets/OWNER/NAME@COMMIT/releases/VERSION, file:///PATH or a folder")
    pull.add_argument("--sha256", required=True, help="sha256 of the release's manifest.json (printed by publish)")
    pull.add_argument("--out", required=True, help="release folder to create")
    pull.add_argument("--endpoint", help="Hub URL (default: $HF_ENDPOINT, else https://huggingface.co)")
    pull.set_defaults(func=_cmd_release_pull)

    _add_demo_parser(commands)
    _add_eval_parser(commands)
    _add_list_parser(commands)

    validate = commands.add_parser("validate", help="check a result bundle and re-derive it from its release")
    validate.add_argument("bundle")
    validate.add_argument(
        "--release",
        default=os.environ.get("SUITE_RELEASE", "release"),
        help="the bundle's release folder (default: $SUITE_RELEASE, else ./release)",
    )
    validate.add_argument("--grading-workers", type=_whole(1), default=2, help="grader processes (default 2)")
    validate.add_argument("--details", action="store_true", help=_DETAILS_HELP)
    validate.set_defaults(func=_cmd_validate)

    show = commands.add_parser("show", help="a bundle's headline table (validated first), on screen or as Markdown")
    show.add_argument("bundle")
    show.add_argument("--markdown", action="store_true", help="print a GitHub Markdown table instead")
    show.add_argument("--details", action="store_true", help=_DETAILS_HELP)
    show.set_defaults(func=_cmd_show)

    comp = commands.add_parser(
        "compare", help="each test's difference from the first bundle, with 95%% intervals (paired where items match)"
    )
    comp.add_argument("bundles", nargs="+", metavar="BUNDLE", help="two or more bundles; the first is the baseline")
    comp.add_argument("--markdown", action="store_true", help="print a GitHub Markdown table instead")
    comp.set_defaults(func=_cmd_compare)

    export = commands.add_parser("export", help="a bundle's samples as Parquet (pandas, DuckDB, datasets)")
    export.add_argument("bundle")
    export.add_argument("--parquet", required=True, metavar="FILE", help="Parquet file to write (replaced atomically)")
    export.set_defaults(func=_cmd_export)

    board = commands.add_parser("leaderboard", help="merge result bundles into DuckDB and build the static site")
    board_commands = board.add_subparsers(dest="leaderboard_command", required=True, metavar="SUBCOMMAND")
    lb = board_commands.add_parser("build", help="validate bundles, merge them into DuckDB, export, build the site")
    lb.add_argument(
        "bundles",
        nargs="*",
        help="bundle folders, folders of bundles, or globs (self-reported runs); with neither these nor --verified: "
        "leaderboard/results/self-reported and leaderboard/results/verified",
    )
    lb.add_argument("--verified", action="append", help="bundles run by the maintainers (marked verified)")
    lb.add_argument("--db", default="leaderboard.duckdb", help="DuckDB file (created if missing)")
    lb.add_argument("--site", default="site", help="folder for the static site and its downloads")
    lb.add_argument("--release", action="append", help="release folder(s) bundles may use (default: as suite eval)")
    lb.add_argument("--strict", action="store_true", help="exit non-zero when any bundle is rejected")
    lb.add_argument("--wait", type=_real(0), default=60.0, help="seconds to wait for another build on --db")
    lb.add_argument("--jobs", type=_whole(1), help="worker processes (default: one per available core)")
    lb.set_defaults(func=_cmd_leaderboard_build)
    ps = board_commands.add_parser(
        "publish-samples",
        help="upload every verified run's samples (Parquet + browser chunks) to a dataset repository, one commit",
    )
    ps.add_argument("--db", default="leaderboard.duckdb", help="the leaderboard's DuckDB file")
    ps.add_argument("--repo", required=True, help="dataset repository OWNER/NAME (created if missing)")
    ps.add_argument("--endpoint", help="Hub URL (default: $HF_ENDPOINT, else https://huggingface.co)")
    ps.add_argument("--token-env", metavar="VAR", help="variable that holds a write token (default HF_TOKEN)")
    ps.add_argument("--wait", type=_real(0), default=60.0, help="seconds to wait for a build using --db")
    ps.set_defaults(func=_cmd_leaderboard_publish_samples)

    container = commands.add_parser("container", help="run suite eval in the suite's GPU image (Docker SDK)")
    container_commands = container.add_subparsers(dest="container_command", required=True, metavar="SUBCOMMAND")
    ce = container_commands.add_parser(
        "eval", help="suite eval MODEL in the GPU image, with the GPUs, cache and outputs"
    )
    ce.add_argument("model", help="Hugging Face model id")
    ce.add_argument("--out", required=True, help="host folder for the bundle (mounted at /outputs)")
    ce.add_argument("--image", default=IMAGE, help=f"image (default {IMAGE})")
    ce.add_argument("--hf-cache", default="~/.cache/huggingface", help="host Hugging Face cache (mounted)")
    ce.add_argument("--gpus", default="all", help="'all' or device indices like 0,1")
    ce.add_argument("--shm-size", default="16g", help="shared memory for tensor parallelism (default 16g)")
    ce.add_argument("--ipc-host", action="store_true", help="share the host's IPC namespace (instead of --shm-size)")
    ce.set_defaults(func=_cmd_container_eval, eval_args=[])  # options after "--" go to suite eval (see main)

    submit = commands.add_parser("submit", help="check a model submitted for the leaderboard")
    submit_commands = submit.add_subparsers(dest="submit_command", required=True, metavar="SUBCOMMAND")
    check = submit_commands.add_parser("check", help="may the GPU job run this Hugging Face model id? (no GPU)")
    check.add_argument("model", nargs="?", help="Hugging Face model id, owner/name")
    check.add_argument(
        "--revision", help="branch name or full commit sha on the model's main branch (default: main); resolved"
    )
    check.add_argument("--issue", help="read the model id and revision from a submission issue body (a file)")
    check.add_argument(
        "--max-params-b", type=_real(0, low_open=True), default=80.0, help="largest model, billions of parameters"
    )
    check.add_argument("--min-context", type=_whole(1), default=32768, help="shortest context length, tokens")
    check.add_argument("--json", help="also write the verdict as JSON to this file")
    check.add_argument("--markdown", help="also write the verdict as a Markdown comment to this file")
    check.set_defaults(func=_cmd_submit_check)
    bind = submit_commands.add_parser(
        "bind", help="may the run-eval label start the GPU run? (the issue unedited since the bot's verdict)"
    )
    bind.add_argument("issue_state", help="GitHub's answer to suite.submission.ISSUE_QUERY (a JSON file)")
    bind.add_argument(
        "--max-params-b", type=_real(0, low_open=True), default=80.0, help="largest model, billions of parameters"
    )
    bind.add_argument("--min-context", type=_whole(1), default=32768, help="shortest context length, tokens")
    bind.add_argument("--json", help="write the verdict the run uses (model_id, commit) to this file when bound")
    bind.add_argument("--markdown", help="also write the answer as a Markdown comment to this file")
    bind.set_defaults(func=_cmd_submit_bind)
    place = submit_commands.add_parser(
        "place", help="check a verified run's artifact again and copy it under leaderboard/results/verified/ (atomic)"
    )
    place.add_argument("bundle", help="the downloaded artifact: result.json and samples.jsonl.gz, nothing else")
    place.add_argument("--model", required=True, help="the model id of the bound verdict")
    place.add_argument("--commit", required=True, help="the commit sha of the bound verdict")
    place.add_argument(
        "--into", default="leaderboard/results/verified", help="results folder (default leaderboard/results/verified)"
    )
    place.set_defaults(func=_cmd_submit_place)

    guides = commands.add_parser("guides", help="guide trajectories from an OpenAI-compatible chat endpoint")
    guides_commands = guides.add_subparsers(dest="guides_command", required=True, metavar="SUBCOMMAND")
    gen = guides_commands.add_parser(
        "generate", help="sample, grade and save a guide model's reasoning on a release's questions (resumable)"
    )
    gen.add_argument("model", help="API model name, e.g. deepseek-reasoner or deepseek/deepseek-r1")
    gen.add_argument("--release", default=os.environ.get("SUITE_RELEASE", "release"), help="release folder")
    gen.add_argument("--base-url", required=True, help="the endpoint, e.g. https://openrouter.ai/api/v1")
    gen.add_argument("--api-key-env", help="environment variable holding the API key (default: send none)")
    gen.add_argument("--out", required=True, help="folder for generation.json and samples.jsonl")
    gen.add_argument("--questions-from", metavar="SUBSET", help="only the questions of this release subset")
    gen.add_argument("--limit", type=_whole(1), help="first N questions of each benchmark")
    gen.add_argument("--samples", type=_whole(1), default=8, help="samples per question (default 8)")
    gen.add_argument("--max-tokens", type=_whole(1), default=32768, help="max_tokens of every request (default 32768)")
    gen.add_argument("--concurrency", type=_whole(1), default=16, help="requests in flight at once (default 16)")
    gen.add_argument("--max-attempts", type=_whole(1), default=6, help="attempts per request on 429/5xx (default 6)")
    gen.set_defaults(func=_cmd_guides_generate)

    tiny = commands.add_parser("tiny-reasoner", help="train (or find in the cache) the tiny CPU reasoner")
    tiny.add_argument("--seed", type=_whole(0), default=0)
    tiny.set_defaults(func=_cmd_tiny_reasoner)
    return parser


_EXTRAS = {
    "torch": "hf",
    "vllm": "vllm",
    "duckdb": "leaderboard",
    "matplotlib": "leaderboard",
    "docker": "container",
    # Core dependencies: missing only from a broken install.
    "transformers": "",
    "tokenizers": "",
    "jinja2": "",
}
"""Optional dependencies and the extra that installs each: a missing one is an install problem, told in one line."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors print one sentence and exit 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    passed: list[str] = []
    if argv[:2] == ["container", "eval"] and "--" in argv:  # argparse cannot pass "--" through a subcommand
        argv, passed = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    args = build_parser().parse_args(argv)
    if passed:
        args.eval_args = passed
    _stop_on_sigterm()
    try:
        code = args.func(args)
    except SuiteError as e:
        _print_error(str(e))
        return 2
    except ModuleNotFoundError as e:
        package_name = (e.name or "").partition(".")[0]
        extra = _EXTRAS.get(package_name)
        if extra is None:  # not an optional dependency: a bug, shown in full
            raise
        package = f"off-trajectory-suite[{extra}]" if extra else "off-trajectory-suite"
        _print_error(f"this command needs {package_name}, which is not installed: pip install '{package}'.")
        return 2
    except OSError as e:
        if e.filename is None or not e.strerror:  # no path to blame: not the user's to fix
            raise
        _print_error(f"cannot use {e.filename} ({e.strerror}); check the path and its permissions.")
        return 2
    except Stopped as stop:
        errors.print(
            f"stopped: every finished sample is saved in {stop.out / 'store.jsonl'}; "
            "run the same command again to resume.",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
        return 130
    except KeyboardInterrupt:
        errors.print("interrupted.")
        return 130
    return int(code or 0)


def _stop_on_sigterm() -> None:
    """SIGTERM (a scheduler's pre-emption, ``docker stop``) stops like Ctrl-C: cleanly, resumable."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Ctrl-C stops cleanly even when started from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())
