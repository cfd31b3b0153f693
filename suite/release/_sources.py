"""Reading benchmark rows: from a local mirror folder, pinned GitHub files or pinned Hugging Face snapshots."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite._files import iter_jsonl, sha256_file
from suite.release._benchmarks import BENCHMARKS, Benchmark, Fields, from_mirror
from suite.release._upstream import GITHUB_RAW, PINNED_SOURCES, PinnedFile, PinnedSource, rows_jsonl

PINNED_SOURCES_URL_ENV = "SUITE_PINNED_SOURCES_URL"
"""Replaces raw.githubusercontent.com for ``--source pinned``: a mirror of it, or the tests' loopback server."""


@dataclass(frozen=True)
class SourceRows:
    """A benchmark's rows, converted to question fields, with where they came from."""

    benchmark: str
    rows: list[tuple[str, Fields]]
    """(row location for messages and ``source``, question fields)."""
    provenance: dict[str, Any]
    """Manifest provenance of this benchmark."""


def read_mirror(directory: Path, name: str) -> SourceRows:
    """Rows of benchmark ``name`` from ``directory/<name>.jsonl`` (a known benchmark or a custom file)."""
    benchmark = BENCHMARKS.get(name)
    path = directory / f"{name}.jsonl"
    if not path.is_file():
        raise SuiteError(
            f"no source file for benchmark {name!r}: {path} does not exist; "
            f"put {path.name} in {directory} or drop {name!r} from --benchmarks."
        )
    rows = []
    for number, row in iter_jsonl(path):
        missing = [k for k in ("id", "problem", "answer") if k not in row]
        if missing:
            raise SuiteError(
                f"{path} line {number} lacks the column(s) {', '.join(missing)}; "
                "every row needs id, problem and answer."
            )
        rows.append((f"{path.name}:{number}", from_mirror(benchmark, row) | {"_source": row.get("source")}))
    provenance = {"kind": "local", "file": path.name, "sha256": sha256_file(path)}
    return SourceRows(name, rows, provenance)


def read_pinned(name: str, base_url: str | None = None, pins: Mapping[str, PinnedSource] | None = None) -> SourceRows:
    """Rows of benchmark ``name`` from its pinned GitHub files, each refused unless its sha256 is the pinned one.

    ``base_url`` (default ``$SUITE_PINNED_SOURCES_URL``, else raw.githubusercontent.com) serves
    ``/<repository>/<commit>/<path>``; the sha256 checks make any server as good as GitHub.
    """
    table = PINNED_SOURCES if pins is None else pins
    if name not in table:
        raise SuiteError(
            f"benchmark {name!r} has no pinned source; known: {', '.join(table)} "
            "(custom benchmarks are built from a local folder with --source DIR)."
        )
    source = table[name]
    base = base_url or os.environ.get(PINNED_SOURCES_URL_ENV) or GITHUB_RAW
    if not base.startswith(("https://", "http://")):
        raise SuiteError(f"{PINNED_SOURCES_URL_ENV}={base!r} is not an http(s) URL; unset it to use GitHub.")
    data = {f.path: _download_pinned(source.url(f, base), f) for f in source.files}
    rows = source.normalise(source, data)
    digest = hashlib.sha256(rows_jsonl(rows)).hexdigest()
    if digest != source.rows_sha256:
        raise SuiteError(
            f"the {name} rows normalised from {source.repository}@{source.commit[:12]} have sha256 {digest}, "
            f"not {source.rows_sha256}; the normalisation in suite/release/_upstream.py changed: fix it."
        )
    benchmark = BENCHMARKS.get(name)
    converted = [
        (f"{row['source']}#{i}", from_mirror(benchmark, row) | {"_source": row["source"]}) for i, row in enumerate(rows)
    ]
    provenance = {
        "kind": "pinned",
        "repository": source.repository,
        "commit": source.commit,
        "files": [{"path": f.path, "sha256": f.sha256, "url": source.url(f)} for f in source.files],
        "rows_sha256": source.rows_sha256,
    }
    return SourceRows(name, converted, provenance)


def _download_pinned(url: str, file: PinnedFile, attempts: int = 4, timeout_s: float = 60.0) -> bytes:
    """The bytes at ``url``, refused unless they are exactly the pinned file (size, then sha256)."""
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                data = bytes(response.read(file.size + 1))
            break
        except urllib.error.HTTPError as e:
            if e.code < 500 and e.code != 429:
                raise SuiteError(
                    f"{url} answered HTTP {e.code}; the pinned file is not there (check {PINNED_SOURCES_URL_ENV})."
                ) from None
            reason = f"HTTP {e.code}"
        except (urllib.error.URLError, OSError) as e:
            reason = type(e).__name__
        if attempt == attempts - 1:
            raise SuiteError(f"cannot download {url} ({reason}) after {attempts} attempts; check the network.")
        time.sleep(2**attempt)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != file.size or digest != file.sha256:
        shown = f"{len(data)}+ bytes" if len(data) > file.size else f"{len(data)} bytes"
        raise SuiteError(
            f"{url} has sha256 {digest} ({shown}), but the pinned sha256 is {file.sha256} ({file.size} bytes); "
            "refusing it: the server does not serve the pinned file."
        )
    return data


def read_hub(name: str, revision: str | None = None) -> SourceRows:
    """Rows of a known benchmark from its Hugging Face dataset at the pinned revision.

    Uses ``huggingface_hub.snapshot_download``, so ``HF_HUB_OFFLINE=1`` and a
    populated cache work without network.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    benchmark = _known(name)
    hub = benchmark.hub
    wanted = revision or hub.revision or "main"
    try:
        snapshot = Path(snapshot_download(hub.repo, repo_type="dataset", revision=wanted))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as e:
        raise SuiteError(
            f"cannot read dataset {hub.repo} at revision {wanted} from the Hugging Face Hub "
            f"({type(e).__name__}); check the network or HF_HOME cache, or build with --source DIR from a mirror."
        ) from None
    resolved = snapshot.name
    rows: list[tuple[str, Fields]] = []
    for config in hub.configs:
        path = _data_file(benchmark, snapshot, config)
        for index, row in enumerate(_read_table(path)):
            where = f"{hub.repo}@{resolved}/{config}/{hub.split}#{index}"
            try:
                fields = benchmark.from_hub(row, index, config)
            except (KeyError, TypeError, IndexError) as e:
                raise SuiteError(
                    f"{path} row {index} does not have the columns the {name} reader expects (missing {e}); "
                    f"the dataset {hub.repo} changed shape: pin a revision that has them."
                ) from None
            rows.append((where, fields | {"_source": f"hf://datasets/{where}"}))
    provenance = {
        "kind": "hf",
        "dataset": hub.repo,
        "configs": list(hub.configs),
        "split": hub.split,
        "revision": resolved,
        "pinned": hub.revision is not None or revision is not None,
    }
    return SourceRows(name, rows, provenance)


def _known(name: str) -> Benchmark:
    if name not in BENCHMARKS:
        raise SuiteError(
            f"unknown benchmark {name!r} for --source hf; known: {', '.join(BENCHMARKS)} "
            "(custom benchmarks are built from a local folder with --source DIR)."
        )
    return BENCHMARKS[name]


def _data_file(benchmark: Benchmark, snapshot: Path, config: str) -> Path:
    hub = benchmark.hub
    files = sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file())
    patterns = [p.format(config=config, split=hub.split) for p in hub.data_files]
    for pattern in patterns:
        # Hub repos differ in case (aime2025-I.jsonl for config AIME2025-I): match case-insensitively.
        matches = [f for f in files if fnmatch.fnmatchcase(f.lower(), pattern.lower())]
        if len(matches) == 1:
            return snapshot / matches[0]
        if len(matches) > 1:
            raise SuiteError(
                f"{hub.repo} snapshot has several data files for config {config} ({', '.join(matches)}); "
                "the reader expects one file per config and split."
            )
    raise SuiteError(
        f"no data file for {hub.repo} config {config} split {hub.split} in {snapshot} "
        f"(looked for {', '.join(patterns)}); pin a revision with that layout."
    )


def _read_table(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return [row for _, row in iter_jsonl(path)]
    import duckdb

    relation = duckdb.read_parquet(str(path))
    columns = relation.columns
    return [dict(zip(columns, values, strict=True)) for values in relation.fetchall()]
