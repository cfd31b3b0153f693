"""Validated merge into DuckDB: rejections, idempotent re-ingest, the newest run ranked, exports, locking."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from suite._errors import SuiteError
from suite.evaluation import validate_bundle
from suite.leaderboard import build_database, metric_rows, open_database
from suite.release import Release, build_release, load_release
from suite.tiny import write_arithmetic_source
from tests.leaderboard.bundles import FakeRun, write_fake_bundle
from tests.test_cli import run_suite


@pytest.fixture(scope="module")
def release(arith_release: Path) -> Release:
    return load_release(arith_release)


def fake(root: Path, name: str, release: Release, **knobs: object) -> Path:
    run = FakeRun(name, release=release, **knobs)  # type: ignore[arg-type]
    return write_fake_bundle(root / name.replace("/", "--") / (str(knobs.get("created", "run")).replace(":", "")), run)


def build_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_suite("leaderboard", "build", *args)


def test_merge_rank_and_export(tmp_path: Path, release: Release) -> None:
    bundles = tmp_path / "bundles"
    fake(bundles, "org/a-7B", release, skill=0.7)
    fake(bundles, "org/b-1.5B", release, skill=0.4, created="2026-01-01T00:00:00Z")
    newer = fake(bundles, "org/b-1.5B", release, skill=0.5, seed=1, created="2026-02-01T00:00:00Z")
    db, site = tmp_path / "lb.duckdb", tmp_path / "site"
    verdicts = build_database([str(bundles / "*" / "*")], db, [release], site)
    assert [v.status for v in verdicts] == ["accepted"] * 3
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (3,)
        ranked = con.execute("SELECT model_id, source FROM ranked ORDER BY model_id").fetchall()
        assert ranked == [("org/a-7B", ranked[0][1]), ("org/b-1.5B", str(newer))]  # the newest run of b is ranked
        result = json.loads((newer / "result.json").read_text())
        stored = con.execute("SELECT count(*) FROM metrics WHERE run_id = ?", [result["samples"]["sha256"]]).fetchone()
        assert stored == (len(metric_rows(result["metrics"])),)
        samples = con.execute(
            "SELECT count(*), count(*) FILTER (correct) FROM samples WHERE run_id = ?", [result["samples"]["sha256"]]
        ).fetchone()
        assert samples is not None and samples[0] == result["samples"]["count"] and 0 < samples[1] < samples[0]
        solo = con.execute(
            "SELECT value FROM metrics WHERE run_id = ? AND test = 'solo' AND cell = 'macro'",
            [result["samples"]["sha256"]],
        ).fetchone()
        assert solo == (result["metrics"]["solo"]["macro"]["value"],)
    with (site / "data" / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["model_id"] for r in sorted(rows, key=lambda r: r["model_id"])] == ["org/a-7B", "org/b-1.5B"]
    assert (site / "data" / "results.parquet").stat().st_size > 0 and (
        site / "data" / "samples.parquet"
    ).stat().st_size > 0
    again = build_database([str(bundles / "*" / "*")], db, [release], site)
    assert [v.status for v in again] == ["unchanged"] * 3  # keyed by the samples' sha256: a no-op
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (3,)


def test_bad_bundles_are_rejected_with_one_reason_and_the_rest_go_in(tmp_path: Path, release: Release) -> None:
    good = fake(tmp_path, "org/good", release, skill=0.6)
    lying = fake(tmp_path, "org/lying", release, skill=0.6)
    result = json.loads((lying / "result.json").read_text())
    result["metrics"]["solo"]["macro"]["value"] = 0.99
    (lying / "result.json").write_text(json.dumps(result))
    other = write_fake_bundle(tmp_path / "other-release", FakeRun("org/elsewhere", 0.5, manifest_sha256="1" * 64))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "result.json").write_text("{")
    verdicts = {
        v.bundle: v
        for v in build_database(
            [str(p) for p in (good, lying, other, broken)], tmp_path / "db", [release], tmp_path / "x"
        )
    }
    assert verdicts[good].status == "accepted"
    assert "metrics.solo.macro.value is 0.99 but the samples give" in verdicts[lying].reason
    assert "is not a release this leaderboard knows" in verdicts[other].reason
    assert verdicts[broken].status == "rejected" and verdicts[broken].reason
    cli = build_cli(
        str(good),
        str(lying),
        "--db",
        str(tmp_path / "db"),
        "--site",
        str(tmp_path / "site"),
        "--release",
        str(release.path),
    )
    assert cli.returncode == 0 and "rejected" in cli.stdout
    strict = build_cli(
        str(lying),
        "--db",
        str(tmp_path / "db"),
        "--site",
        str(tmp_path / "s"),
        "--release",
        str(release.path),
        "--strict",
    )
    assert strict.returncode == 2 and "1 of 1 bundles were rejected" in strict.stderr


HOLD = """
import sys, time
from pathlib import Path
from suite.leaderboard import open_database
with open_database(Path(sys.argv[1])) as con:
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_build_waits_or_fails_clearly_and_the_database_survives(tmp_path: Path, release: Release) -> None:
    bundle = fake(tmp_path, "org/a", release, skill=0.6)
    db = tmp_path / "lb.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), "20"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    refused = build_cli(
        str(bundle), "--db", str(db), "--site", str(tmp_path / "s"), "--release", str(release.path), "--wait", "0.5"
    )
    assert refused.returncode == 2 and "another leaderboard build has been using" in refused.stderr
    waited = build_cli(
        str(bundle), "--db", str(db), "--site", str(tmp_path / "s"), "--release", str(release.path), "--wait", "60"
    )
    assert waited.returncode == 0 and "accepted" in waited.stdout
    holder.wait(timeout=30)
    # Two builds started together: both finish, the bundle is in once, the database opens.
    second = fake(tmp_path, "org/b", release, skill=0.4)
    command = [
        sys.executable,
        "-m",
        "suite.cli",
        "leaderboard",
        "build",
        str(bundle),
        str(second),
        "--db",
        str(db),
        "--site",
        str(tmp_path / "s2"),
        "--release",
        str(release.path),
    ]
    both = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    assert [p.wait(timeout=120) for p in both] == [0, 0]
    with open_database(db) as con:
        assert con.execute("SELECT count(*), count(DISTINCT run_id) FROM runs").fetchone() == (2, 2)


def _rewritten(bundle: Path, change: Callable[[list[dict[str, Any]]], None]) -> Path:
    """The bundle with its samples changed by ``change`` and its sha256 updated (only the recomputation can tell)."""
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f]
    change(rows)
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode(), mtime=0)
    (bundle / "samples.jsonl.gz").write_bytes(data)
    result = json.loads((bundle / "result.json").read_text())
    result["samples"]["sha256"] = hashlib.sha256(data).hexdigest()
    (bundle / "result.json").write_text(json.dumps(result))
    return bundle


def test_samples_that_do_not_back_their_numbers_are_rejected(tmp_path: Path, release: Release) -> None:
    def flip_first_solo(rows: list[dict[str, Any]]) -> None:
        first = next(r for r in rows if r["test"] == "solo")
        first["grade"]["correct"] = not first["grade"]["correct"]

    def grade_as_text(rows: list[dict[str, Any]]) -> None:
        rows[0]["grade"]["correct"] = "yes"

    def drop_last(rows: list[dict[str, Any]]) -> None:
        rows.pop()

    def not_json(rows: list[dict[str, Any]]) -> None:
        rows[3] = "{not json"  # type: ignore[call-overload]

    cases = {
        flip_first_solo: "the bundle's numbers do not follow from its samples",
        grade_as_text: "line 1: the sample has no true/false grade; the bundle cannot be used.",
        drop_last: "samples, result.json says",
        not_json: "line 4: the line is not a JSON object (one sample)",
    }
    bundles = {
        _rewritten(fake(tmp_path, f"org/{change.__name__}", release, skill=0.5), change): reason
        for change, reason in cases.items()
    }
    for jobs in (1, 2):  # in this process and in worker processes
        verdicts = build_database(
            [str(b) for b in bundles], tmp_path / f"db{jobs}", [release], tmp_path / f"site{jobs}", jobs=jobs
        )
        for verdict in verdicts:
            assert verdict.status == "rejected" and bundles[verdict.bundle] in verdict.reason, verdict
        assert run_suite("validate", str(next(iter(bundles)))).returncode == 2  # suite validate agrees


def test_the_same_samples_twice_in_one_build_go_in_once(tmp_path: Path, release: Release) -> None:
    bundle = fake(tmp_path, "org/twice", release, skill=0.5)
    copy = shutil.copytree(bundle, tmp_path / "copy")
    verdicts = build_database([str(bundle), str(copy)], tmp_path / "db", [release], tmp_path / "site")
    assert [v.status for v in verdicts] == ["accepted", "unchanged"]
    assert verdicts[1].reason == "same samples as another bundle of this build"
    with duckdb.connect(str(tmp_path / "db"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_sample_chunks_carry_every_string_exactly(tmp_path: Path, release: Release) -> None:
    """Chunk files are JSON made by DuckDB: every character survives, and none can end a script or start a tag."""
    text = 'a</script><b>&amp; "q" \\ \u2028\u2029 \t\x01 \u00e9 \U0001d518 {{7*7}} ${x}'
    bundle = fake(tmp_path, "org/strings", release, skill=0.5, text=text)  # the whole release: ranked, paged
    build_database([str(bundle)], tmp_path / "db", [release], tmp_path / "site")
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        expected = sorted((r["question_id"], r["sample"], r["completion"]) for r in map(json.loads, f))
    found = []
    for chunk in (tmp_path / "site" / "models").glob("*/g*.js"):
        source = chunk.read_text(encoding="utf-8")
        assert "<" not in source and ">" not in source and "&" not in source
        head, data = source.split(", ", 3)[:3], source.split(", ", 3)[3]
        assert head[0].startswith("window.suiteChunk(") and data.endswith(");\n")
        found += [(s["q"], s["k"], s["c"]) for s in json.loads(data[: -len(");\n")])]
    assert found and set(found) <= set(expected)  # the site keeps a sample of each test (_samples_hub)


def test_oversized_bundle_files_are_refused_before_parsing(
    tmp_path: Path, release: Release, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = fake(tmp_path, "org/big", release, skill=0.5)
    monkeypatch.setattr("suite.evaluation._bundle.MAX_SAMPLES_BYTES", 1000)
    verdict = build_database([str(bundle)], tmp_path / "db", [release], tmp_path / "site", jobs=1)[0]
    assert verdict.status == "rejected" and "over the 1,000-byte limit for a bundle file" in verdict.reason
    monkeypatch.setattr("suite.evaluation._bundle.MAX_RESULT_BYTES", 100)
    with pytest.raises(SuiteError, match="over the 100-byte limit"):
        validate_bundle(bundle)


def test_maintainer_runs_are_marked_verified(tmp_path: Path, release: Release) -> None:
    mine = fake(tmp_path / "self", "org/self-run", release, skill=0.5)
    theirs = fake(tmp_path / "verified", "org/maintainer-run", release, skill=0.6)
    build_database([str(mine)], tmp_path / "db", [release], tmp_path / "site", verified=[str(theirs)])
    with duckdb.connect(str(tmp_path / "db"), read_only=True) as con:
        rows = dict(con.execute("SELECT model_id, provenance FROM ranked").fetchall())
    assert rows == {"org/self-run": "self-reported", "org/maintainer-run": "verified"}
    assert "verified" in (tmp_path / "site" / "index.html").read_text()


def test_a_test_the_run_could_not_run_shows_not_run_and_why(tmp_path: Path) -> None:
    # A release with questions and shared subsets but no guide set: a complete run of it has no guidability.
    files = write_arithmetic_source(tmp_path / "source", questions=16, shared=5)
    shared = {"recoverability_shared": files["shared"], "guidability_shared": files["shared"]}
    release = load_release(build_release(str(files["source"]), tmp_path / "release", ["arith"], subsets=shared))
    assert not release.guides
    reason = f"release {release.version} has no guide steers (add a guide set with suite release add-guide)"
    tests = (
        ("solo", None),
        ("recoverability_individual", None),
        ("recoverability_shared", None),
        ("guidability_individual", reason),
        ("guidability_shared", reason),
        ("control", reason),
    )
    fake(tmp_path / "bundles", "org/c-3B", release, skill=0.6, tests=tests)
    site = tmp_path / "site"
    verdicts = build_database([str(tmp_path / "bundles" / "*" / "*")], tmp_path / "lb.duckdb", [release], site)
    assert [(v.status, v.reason) for v in verdicts] == [("accepted", "")]
    page = (site / "index.html").read_text()
    row = page[page.index("org/c-3B") :].split("</tr>")[0]
    cells = [c for c in row.split("<td")[1:] if "not run" in c]
    assert len(cells) == 3  # guidability individual and shared, control; the rest ran
    assert all(f'<span class="not-run" title="{reason}">not run</span>' in c for c in cells)
