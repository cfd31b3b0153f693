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


def _fractions(text: str, flag: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise SuiteError(f"{flag} {text!r} must be comma-separated numbers, e.g. 0,0.2,0.4.") from None


def _cmd_eval(args: argparse.Namespace) -> None:
    try:  # a stop at any moment, start-up and summary included, leaves a run the same command resumes
        _eval(args)
    except KeyboardInterrupt:
        raise Stopped(Path(args.out)) from None


def _template_kwargs(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise SuiteError(
            f"--chat-template-kwargs {text!r} must be a JSON object, e.g. '{{\"enable_thinking\": true}}'."
        )
    return value


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
    from suite.backends._selection import resolve_backend
    from suite.evaluation import EvalConfig, evaluate
    from suite.evaluation._config import PROTOCOLS, protocol_defaults

    if args.protocol not in PROTOCOLS:
        raise SuiteError(f"--protocol {args.protocol} is unknown; use {' or '.join(PROTOCOLS)}.")
    defaults = protocol_defaults(args.protocol, args.distractor_fraction)

    if args.data_parallel_size is not None:
        from suite.backends._vllm import DATA_PARALLEL_REFUSED

        raise SuiteError(DATA_PARALLEL_REFUSED)
    from suite.backends._openai import server_urls

    engine_args = {}
    for pair in args.engine_arg or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SuiteError(f"--engine-arg {pair!r} is not KEY=VALUE.")
        engine_args[key] = value
    config = EvalConfig(
        model=args.model,
        revision=args.revision,
        backend=resolve_backend(args.backend),  # once, before the plan: the plan and result.json name the engine
        base_url=server_urls(args.base_url or ()),
        tests=tuple(t.strip() for t in args.tests.split(",") if t.strip()),
        samples=args.samples,
        temperature=args.temperature,
        top_p=args.top_p,
        max_tokens=args.max_tokens,
        limit=args.limit,
        benchmarks=tuple(args.benchmarks.split(",")) if args.benchmarks else None,
        seed=args.seed,
        protocol=args.protocol,
        distractor_fraction=args.distractor_fraction,
        distractor_percentiles=defaults["distractor_percentiles"],
        distractors_from=tuple(args.distractors_from or ()),
        positions=_fractions(args.positions, "--positions") if args.positions else defaults["positions"],
        guide_fractions=_fractions(args.guide_fractions, "--guide-fractions"),
        recoverability_continuations=args.recoverability_continuations,
        guidability_continuations=args.guidability_continuations,
        individual_subset_size=args.individual_subset_size,
        keep_opening=args.keep_opening,
        transition=args.transition.encode().decode("unicode_escape") if args.transition else defaults["transition"],
        thinking_format=args.thinking_format,
        chat_template_kwargs=_template_kwargs(args.chat_template_kwargs),
        trust_remote_code=args.trust_remote_code,
        engine_args=engine_args,
        tensor_parallel_size=args.tensor_parallel_size,
        pipeline_parallel_size=args.pipeline_parallel_size,
        judge_url=args.judge_url,
        judge_model=args.judge_model,
        grading_timeout_s=args.grading_timeout_s,
        grading_workers=args.grading_workers,
    )
    bar, progress = _progress_bar()

    def show_plan(release: Any, plan: Any) -> None:
        from suite._summary import plan_table

        console.print(plan_table(args.model, release, plan, args.out, config.backend))

    with bar:
        result = evaluate(
            config,
            Path(args.release),
            Path(args.out),
            progress,
            on_plan=show_plan,
            require_complete=args.require_complete,
        )
    _print_result(result, args.out)


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


def _print_result(result: dict[str, Any], where: str) -> None:
    from suite._summary import summary_tables

    for table in summary_tables(result):
        console.print(table)
    for note in result["notes"]:
        console.print(f"note: {note}")
    console.print(f"bundle: {where} (validated)")


def _cmd_demo(args: argparse.Namespace) -> None:
    from suite._demo import run_demo

    out = Path(args.out)
    console.print("suite demo: tiny reasoner on CPU (trained on first use, about 5 minutes on 2 cores)")
    bar, progress = _progress_bar()

    def show_plan(release: Any, plan: Any) -> None:
        from suite._summary import plan_table

        console.print(plan_table("the tiny reasoner", release, plan, str(out / "bundle")))

    with bar:
        benchmarks = tuple(args.benchmarks.split(",")) if args.benchmarks else None
        source = Path(args.source) if args.source else None
        result = run_demo(out, progress, args.questions, source, benchmarks, on_plan=show_plan)
    _print_result(result, str(out / "bundle"))
    console.print(f"leaderboard site: {out / 'site' / 'index.html'} (open it in a browser)")


def _cmd_validate(args: argparse.Namespace) -> None:
    from rich.text import Text

    from suite._summary import summary_tables
    from suite.evaluation import validate_bundle

    result = validate_bundle(Path(args.bundle))
    for table in summary_tables(result):
        # Model ids and benchmark names come from the bundle: shown as plain text, never read as rich markup.
        table.title = Text(str(table.title)) if isinstance(table.title, str) else table.title
        for column in table.columns:
            column._cells = [Text(c) if isinstance(c, str) else c for c in column._cells]
        console.print(table)
    console.print(
        f"{args.bundle}: valid; every metric recomputed from {result['samples']['count']} samples matches",
        markup=False,
        highlight=False,
    )


def _cmd_leaderboard_build(args: argparse.Namespace) -> None:
    from rich.table import Table
    from rich.text import Text

    from suite.leaderboard import build_database
    from suite.release import load_release

    releases = [load_release(Path(r)) for r in args.release or [os.environ.get("SUITE_RELEASE", "release")]]
    site = Path(args.site)
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

    demo = commands.add_parser("demo", help="the whole pipeline on CPU with the tiny reasoner (no GPU, no network)")
    demo.add_argument("--out", default="demo", help="folder for the release and the bundle (default: ./demo)")
    demo.add_argument("--questions", type=_whole(1), default=24, help="questions to evaluate")
    demo.add_argument("--source", help="build the release from this mirror folder instead of generated questions")
    demo.add_argument("--benchmarks", help="with --source: which benchmark files to use")
    demo.set_defaults(func=_cmd_demo)

    ev = commands.add_parser("eval", help="run the twin tests on a model and write a result bundle")
    ev.add_argument("model", help="Hugging Face model id or local model folder")
    ev.add_argument("--revision", help="branch, tag or commit (resolved to a commit sha and recorded)")
    ev.add_argument(
        "--backend",
        default="auto",
        choices=["auto", "hf", "vllm", "openai"],
        help="generation engine (default auto: vllm where vLLM and a GPU are present, else hf)",
    )
    ev.add_argument(
        "--base-url",
        action="append",
        metavar="URL",
        help="OpenAI-compatible server(s) for the openai backend; repeat the flag or give a comma list to spread "
        "the run over several (an item's requests stay on one server; a failed server's go to the others)",
    )
    ev.add_argument(
        "--release",
        default=os.environ.get("SUITE_RELEASE", "release"),
        help="release folder (default: $SUITE_RELEASE, else ./release; the GPU image sets it)",
    )
    ev.add_argument("--tests", default="solo,recoverability,guidability")
    ev.add_argument("--samples", type=_whole(1), default=8, help="solo samples per question")
    ev.add_argument("--temperature", type=_real(0), default=0.6)
    ev.add_argument("--top-p", type=_real(0, 1, low_open=True), default=0.95)
    ev.add_argument("--max-tokens", type=_whole(1), default=32768)
    ev.add_argument("--limit", type=_whole(1), help="first N questions of each benchmark")
    ev.add_argument("--benchmarks", help="comma-separated benchmarks of the release (default: all)")
    ev.add_argument("--seed", type=_whole(0), default=0)
    ev.add_argument("--out", required=True, help="bundle folder to write")
    ev.add_argument(
        "--require-complete",
        action="store_true",
        help="refuse to start when a test of Table 1 cannot run with this release (leaderboard runs use it)",
    )
    ev.add_argument(
        "--protocol",
        default="paper",
        help="paper (the authors' scripts: unit cuts, '\\nLet me think.', distractor length rule; default) "
        "or paper-text (the paper's prose: token cuts at sentence ends, 'Wait. Let me think')",
    )
    ev.add_argument(
        "--distractor-fraction", type=_real(0, 1, low_open=True), default=0.2, help="0.2 (default) or the 0.4 ablation"
    )
    ev.add_argument(
        "--distractors-from",
        nargs="+",
        metavar="BUNDLE",
        help="cross-model ablation: other models' result bundles (same release) give the distractors",
    )
    ev.add_argument("--positions", help="insertion positions (default 0,0.2,0.4,0.6,0.8; 0-0.6 with fraction 0.4)")
    ev.add_argument("--guide-fractions", default="0.2,0.4,0.6,0.8")
    ev.add_argument("--recoverability-continuations", type=_whole(1), default=1)
    ev.add_argument(
        "--guidability-continuations",
        type=_whole(1),
        default=8,
        help="continuations per (item, guide, fraction); the paper's 8 (fewer: a variant, recorded)",
    )
    ev.add_argument(
        "--individual-subset-size",
        type=_whole(1),
        default=200,
        help="recoverability items drawn from M's solved questions",
    )
    ev.add_argument("--keep-opening", action="store_true", help="ablation: keep M's opening paragraph")
    ev.add_argument("--transition", help="transition phrase (backslash escapes allowed; default: the protocol's)")
    ev.add_argument(
        "--thinking-format",
        help="think, mistral, harmony or none (default: chosen from the model's chat template and tokenizer)",
    )
    ev.add_argument(
        "--chat-template-kwargs",
        metavar="JSON",
        help="variables for the chat template, e.g. '{\"enable_thinking\": true}' (recorded)",
    )
    ev.add_argument("--trust-remote-code", action="store_true")
    ev.add_argument("--engine-arg", action="append", metavar="KEY=VALUE")
    ev.add_argument("--tensor-parallel-size", type=_whole(1), default=1)
    # Refused with the reason (vLLM 0.32 has no offline data parallelism for dense models): see _vllm.py.
    ev.add_argument("--data-parallel-size", type=int, help=argparse.SUPPRESS)
    ev.add_argument("--pipeline-parallel-size", type=_whole(1), default=1)
    ev.add_argument("--judge-url")
    ev.add_argument("--judge-model")
    ev.add_argument(
        "--grading-timeout-s",
        type=_real(0, low_open=True),
        default=5.0,
        help="Math-Verify's deadline per answer, seconds; a timed-out answer is retried once (default 5)",
    )
    ev.add_argument("--grading-workers", type=_whole(1), default=2, help="grader processes (default 2)")
    ev.set_defaults(func=_cmd_eval)

    validate = commands.add_parser("validate", help="check a result bundle and recompute its metrics")
    validate.add_argument("bundle")
    validate.set_defaults(func=_cmd_validate)

    board = commands.add_parser("leaderboard", help="merge result bundles into DuckDB and build the static site")
    board_commands = board.add_subparsers(dest="leaderboard_command", required=True, metavar="SUBCOMMAND")
    lb = board_commands.add_parser("build", help="validate bundles, merge them into DuckDB, export, build the site")
    lb.add_argument("bundles", nargs="*", help="bundle folders, folders of bundles, or globs (self-reported runs)")
    lb.add_argument("--verified", action="append", help="bundles run by the maintainers (marked verified)")
    lb.add_argument("--db", default="leaderboard.duckdb", help="DuckDB file (created if missing)")
    lb.add_argument("--site", default="site", help="folder for the static site and its downloads")
    lb.add_argument("--release", action="append", help="release folder(s) bundles may use (default: as suite eval)")
    lb.add_argument("--strict", action="store_true", help="exit non-zero when any bundle is rejected")
    lb.add_argument("--wait", type=_real(0), default=60.0, help="seconds to wait for another build on --db")
    lb.add_argument("--jobs", type=_whole(1), help="worker processes (default: one per available core)")
    lb.set_defaults(func=_cmd_leaderboard_build)

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
        "place", help="check a verified run's artifact again and copy it under results/verified/ (atomic)"
    )
    place.add_argument("bundle", help="the downloaded artifact: result.json and samples.jsonl.gz, nothing else")
    place.add_argument("--model", required=True, help="the model id of the bound verdict")
    place.add_argument("--commit", required=True, help="the commit sha of the bound verdict")
    place.add_argument("--into", default="results/verified", help="results folder (default results/verified)")
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
