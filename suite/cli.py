"""The ``suite`` command line. Each subcommand is a thin wrapper over a library function."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from suite import __version__
from suite._errors import SuiteError

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def _pairs(values: Sequence[str] | None, flag: str) -> dict[str, Path]:
    pairs: dict[str, Path] = {}
    for value in values or ():
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise SuiteError(f"{flag} {value!r} is not NAME=FILE; pass e.g. {flag} recoverability_shared=ids.txt.")
        pairs[name] = Path(path)
    return pairs


def _cmd_release_build(args: argparse.Namespace) -> None:
    from suite.release import PAPER_POOL, build_release, verify_release

    benchmarks = [b.strip() for b in args.benchmarks.split(",") if b.strip()] if args.benchmarks else list(PAPER_POOL)
    start = time.monotonic()
    out = build_release(
        args.source,
        Path(args.out),
        benchmarks=benchmarks,
        version=args.version,
        force=args.force,
        subsets=_pairs(args.subset, "--subset"),
        guides=_pairs(args.guide, "--guide"),
    )
    release = verify_release(out)
    _print_release(release, f"built {out} in {time.monotonic() - start:.2f}s")


def _cmd_release_verify(args: argparse.Namespace) -> None:
    from suite.release import verify_release

    start = time.monotonic()
    release = verify_release(Path(args.release))
    _print_release(release, f"verified {release.path} in {time.monotonic() - start:.2f}s: every file matches")


def _print_release(release: object, headline: str) -> None:
    from suite.release import Release

    assert isinstance(release, Release)
    table = Table(title=f"release {release.version}  (manifest sha256 {release.manifest_sha256[:16]}...)")
    table.add_column("benchmark")
    table.add_column("questions", justify="right")
    table.add_column("source")
    for b in release.manifest["benchmarks"]:
        p = b["provenance"]
        where = f"{p['dataset']}@{p['revision'][:12]}" if p["kind"] == "hf" else f"{p['file']} ({p['sha256'][:12]})"
        table.add_row(b["name"], str(b["count"]), where)
    table.add_row("total", str(len(release.questions)), "", style="bold")
    console.print(table)
    subsets = ", ".join(f"{name} ({len(s.ids)})" for name, s in release.subsets.items()) or "none"
    guides = ", ".join(f"{name} ({len(g)})" for name, g in release.guides.items()) or "none"
    console.print(f"subsets: {subsets}\nguides: {guides}\n{headline}")


def _cmd_tiny_reasoner(args: argparse.Namespace) -> None:
    from suite.tiny import TrainingConfig, ensure_reasoner

    path = ensure_reasoner(TrainingConfig(seed=args.seed), log=True)
    console.print(f"tiny reasoner: {path}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="suite", description="Off-trajectory reasoning suite (arXiv 2510.06410).")
    parser.add_argument("--version", action="version", version=f"suite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = commands.add_parser("release", help="build and verify frozen releases")
    release_commands = release.add_subparsers(dest="release_command", required=True, metavar="SUBCOMMAND")
    build = release_commands.add_parser("build", help="build a release from the Hub or a local mirror")
    build.add_argument("--source", required=True, help="'hf' (Hub, pinned revisions) or a mirror folder")
    build.add_argument("--out", required=True, help="release folder to create")
    build.add_argument("--benchmarks", help="comma-separated names (default: the paper's five)")
    build.add_argument("--version", default=None, dest="version", help="release version (semver)")
    build.add_argument("--force", action="store_true", help="replace an existing --out")
    build.add_argument("--subset", action="append", metavar="NAME=FILE", help="frozen id list (one id a line)")
    build.add_argument("--guide", action="append", metavar="NAME=FILE", help="guide trajectories (JSON Lines)")
    build.set_defaults(func=_cmd_release_build)
    verify = release_commands.add_parser("verify", help="check a release's hashes, schema and references")
    verify.add_argument("release", help="release folder")
    verify.set_defaults(func=_cmd_release_verify)

    tiny = commands.add_parser("tiny-reasoner", help="train (or find in the cache) the tiny CPU reasoner")
    tiny.add_argument("--seed", type=int, default=0)
    tiny.set_defaults(func=_cmd_tiny_reasoner)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors print one sentence and exit 2."""
    args = build_parser().parse_args(argv)
    if getattr(args, "version", "") is None:
        from suite.release import RELEASE_VERSION

        args.version = RELEASE_VERSION
    try:
        args.func(args)
    except SuiteError as e:
        errors.print(f"[bold red]error:[/] {e}", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        errors.print("interrupted; nothing was written.")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
