"""``release build --source pinned``: public GitHub files at fixed commits, downloaded and sha256-checked.

GitHub cannot be reached here, so a loopback HTTP server serves files at GitHub's raw URL paths
(``/<repository>/<commit>/<path>``) and ``SUITE_PINNED_SOURCES_URL`` points the build at it. The files it
serves are written from ``shared/data/upstream`` in each origin's own columns and layout; the table's
file sha256s are replaced by theirs where a test needs a file to be accepted (the real files' bytes are
not in this repository), never the rows' sha256, which is the shared copy's own.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from suite._errors import SuiteError
from suite.release import PINNED_SOURCES, PinnedSource, build_release, verify_release
from suite.release import _sources as sources
from suite.release._benchmarks import _olympiadbench
from suite.release._normalise import olympiad_answer
from suite.release._upstream import GITHUB_RAW
from tests.test_cli import run_suite


@pytest.fixture
def raw_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder it serves) on loopback."""
    root = tmp_path / "raw"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def shared_rows(upstream: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (upstream / f"{name}.jsonl").read_text().splitlines()]


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def origin_files(name: str, rows: list[dict[str, Any]]) -> dict[str, bytes]:
    """The shared rows written back in the origin repository's own files and columns."""
    source = PINNED_SOURCES[name]
    path = source.files[0].path
    if name == "aime24":  # zero-padded answers, the AI-MO id, the AoPS url
        return {
            path: jsonl(
                [
                    {
                        "id": r["orig_id"],
                        "problem": r["problem"],
                        "answer": r["answer"].zfill(3),
                        "url": r["url"],
                        "solution": "...",
                    }
                    for r in rows
                ]
            )
        }
    if name == "aime25":  # one .tex per problem and an answers.csv per exam
        files = {}
        for part in ("I", "II"):
            folder = f"data/aime/aime_2025_{part}"
            mine = [r for r in rows if r["id"].startswith(f"2025-{part}-")]
            files[f"{folder}/answers.csv"] = (
                "id,answer\n" + "".join(f"{r['id'].rsplit('-', 1)[1]},{r['answer']}\n" for r in mine)
            ).encode()
            files |= {f"{folder}/problems/{r['id'].rsplit('-', 1)[1]}.tex": f"{r['problem']}\n".encode() for r in mine}
        return files
    if name == "amc23":  # float answers, the problem under "question"
        return {
            path: jsonl(
                [
                    {
                        "id": int(r["id"].split("-")[1]),
                        "question": r["problem"],
                        "answer": float(r["answer"]),
                        "url": r["url"],
                    }
                    for r in rows
                ]
            )
        }
    if name == "math500":
        keys = ("problem", "answer", "subject", "level")
        return {path: jsonl([{"unique_id": r["id"], "solution": "...", **{k: r[k] for k in keys}} for r in rows])}
    if name == "minerva":  # no answer column: the last \boxed{} of the solution is the answer
        return {
            path: jsonl(
                [
                    {
                        "problem": r["problem"],
                        "type": r["type"],
                        "idx": i,
                        "solution": f"First \\boxed{{0}}, then \\boxed{{{r['answer']}}}.",
                    }
                    for i, r in enumerate(rows)
                ]
            )
        }
    if name == "olympiadbench":  # the answer inside $...$ unless it is several math spans
        return {
            path: jsonl(
                [
                    {
                        "id": int(r["id"].split("-")[1]),
                        "question": r["problem"],
                        "final_answer": [r["answer"] if "$" in r["answer"] else f"${r['answer']}$"],
                        **{k: r[k] for k in ("answer_type", "is_multiple_answer", "unit", "error", "subfield")},
                    }
                    for r in rows
                ]
            )
        }
    raise AssertionError(name)


def serve(root: Path, source: PinnedSource, files: dict[str, bytes]) -> PinnedSource:
    """Put ``files`` where GitHub would serve them; return the source pinned to their sha256."""
    for path, data in files.items():
        target = root / source.repository / source.commit / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    pins = tuple(
        dataclasses.replace(f, sha256=hashlib.sha256(files[f.path]).hexdigest(), size=len(files[f.path]))
        for f in source.files
    )
    return dataclasses.replace(source, files=pins)


def test_the_table_is_the_shared_readme_s(upstream: Path) -> None:
    """Each source's rows hash to the shared copy and its README row; every file is at a full commit on GitHub."""
    readme = (upstream / "README.md").read_text()
    for name, source in PINNED_SOURCES.items():
        assert hashlib.sha256((upstream / f"{name}.jsonl").read_bytes()).hexdigest() == source.rows_sha256
        row = next(line for line in readme.splitlines() if line.startswith(f"| {name}.jsonl |"))
        assert source.rows_sha256 in row and source.commit in row and source.repository in row
        assert re.fullmatch(r"[0-9a-f]{40}", source.commit)
        for file in source.files:
            assert re.fullmatch(r"[0-9a-f]{64}", file.sha256) and file.size > 0
            assert (
                source.url(file) == f"https://raw.githubusercontent.com/{source.repository}/{source.commit}/{file.path}"
            )
    assert len(PINNED_SOURCES["aime25"].files) == 32  # 2 x (15 problems + answers.csv)


def test_a_pinned_build_is_the_mirror_build(
    upstream: Path, raw_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = raw_server
    table = {
        name: serve(root, s, origin_files(name, shared_rows(upstream, name))) for name, s in PINNED_SOURCES.items()
    }
    monkeypatch.setattr(sources, "PINNED_SOURCES", table)
    monkeypatch.setenv("SUITE_PINNED_SOURCES_URL", base)
    names = list(PINNED_SOURCES)
    pinned = build_release("pinned", tmp_path / "pinned", benchmarks=names)
    mirror = build_release(str(upstream), tmp_path / "mirror", benchmarks=names)
    assert (pinned / "questions.jsonl").read_bytes() == (mirror / "questions.jsonl").read_bytes()
    release = verify_release(pinned)
    assert len(release.questions) == 1547
    provenance = {b["name"]: b["provenance"] for b in release.manifest["benchmarks"]}
    math500 = table["math500"]
    assert provenance["math500"] == {
        "kind": "pinned",
        "repository": "ZubinGou/math-evaluation-harness",
        "commit": "db77bc6bb2a17c90ed2d63e88ebd8c40a82858c5",
        "files": [
            {
                "path": "data/math_oai/test.jsonl",
                "sha256": math500.files[0].sha256,
                "url": f"{GITHUB_RAW}/ZubinGou/math-evaluation-harness/{math500.commit}/data/math_oai/test.jsonl",
            }
        ],
        "rows_sha256": "937d5d7ce960050b91219277fb00e6fb7e8b564c24f4af2b7b5491130f5d790b",
    }
    assert len(provenance["aime25"]["files"]) == 32


def test_a_file_whose_sha256_differs_is_refused(upstream: Path, raw_server: tuple[str, Path], tmp_path: Path) -> None:
    """The real pins, and the shared copy served where GitHub serves the origin file: refused, both hashes named."""
    base, root = raw_server
    source = PINNED_SOURCES["math500"]
    target = root / source.repository / source.commit / source.files[0].path
    target.parent.mkdir(parents=True)
    target.write_bytes((upstream / "math500.jsonl").read_bytes())
    served = hashlib.sha256(target.read_bytes()).hexdigest()
    env = os.environ | {"SUITE_PINNED_SOURCES_URL": base}
    out = tmp_path / "release"
    result = run_suite("release", "build", "--source", "pinned", "--benchmarks", "math500", "--out", str(out), env=env)
    assert result.returncode == 2
    assert f"{source.url(source.files[0], base)} has sha256 {served} (218785 bytes)" in result.stderr
    assert f"but the pinned sha256 is {source.files[0].sha256} (446564 bytes); refusing it" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and os.listdir(tmp_path) == ["raw"]


def test_a_missing_file_and_a_bad_base_url_are_one_sentence(raw_server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = raw_server
    with pytest.raises(SuiteError, match=r"/evaluation/data/amc23/test\.jsonl answered HTTP 404; the pinned file"):
        sources.read_pinned("amc23", base_url=base)
    with pytest.raises(SuiteError, match=r"SUITE_PINNED_SOURCES_URL='ftp://x' is not an http\(s\) URL"):
        sources.read_pinned("amc23", base_url="ftp://x")
    with pytest.raises(SuiteError, match=r"benchmark 'arith' has no pinned source; known: aime24, aime25"):
        sources.read_pinned("arith", base_url=base)


def test_a_change_in_the_normalisation_is_caught_by_the_rows_sha256(
    upstream: Path, raw_server: tuple[str, Path]
) -> None:
    base, root = raw_server
    rows = shared_rows(upstream, "amc23")
    rows[3]["answer"] = "28"  # as if the origin's file or our normalisation gave another answer
    source = serve(root, PINNED_SOURCES["amc23"], origin_files("amc23", rows))
    with pytest.raises(SuiteError, match=r"the amc23 rows normalised from QwenLM/Qwen2\.5-Math@a45202bd16f1 have"):
        sources.read_pinned("amc23", base_url=base, pins={"amc23": source})


def test_a_response_longer_than_the_pin_is_cut_off(raw_server: tuple[str, Path], upstream: Path) -> None:
    base, root = raw_server
    source = serve(root, PINNED_SOURCES["amc23"], origin_files("amc23", shared_rows(upstream, "amc23")))
    target = root / source.repository / source.commit / source.files[0].path
    target.write_bytes(target.read_bytes() + b"x" * 100)
    with pytest.raises(SuiteError, match=rf"has sha256 [0-9a-f]{{64}} \({source.files[0].size + 1}\+ bytes\)"):
        sources.read_pinned("amc23", base_url=base, pins={"amc23": source})


Case = tuple[str, Callable[[], object], object]
RULES: list[Case] = [
    ("olympiad one span", lambda: olympiad_answer("$\\frac{1}{2}$"), "\\frac{1}{2}"),
    ("olympiad trailing stop", lambda: olympiad_answer("$5$."), "5"),
    ("olympiad multiple answers in one span", lambda: olympiad_answer("$-2,0,2$"), "-2,0,2"),
    ("olympiad several spans kept", lambda: olympiad_answer("$f(n)=n$, $g(n)=1$"), "$f(n)=n$, $g(n)=1$"),
    ("olympiad plain", lambda: olympiad_answer(" 12 "), "12"),
    (  # the --source hf reader: it stripped the outer dollars of several spans (40 of 675 answers mangled)
        "olympiad several spans kept from the Hub's rows",
        lambda: _olympiadbench({"id": 1, "question": "q", "final_answer": ["$f(n)=n$, $g(n)=1$"]}, 0, "c")["answer"],
        "$f(n)=n$, $g(n)=1$",
    ),
]


@pytest.mark.parametrize(("name", "compute", "expected"), RULES, ids=[c[0] for c in RULES])
def test_normalisation_rules(name: str, compute: Callable[[], object], expected: object) -> None:
    assert compute() == expected
