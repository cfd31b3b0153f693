"""One hostile bundle never stops the build; provenance cannot be borrowed; verified runs stay ranked."""

from __future__ import annotations

import csv
import gzip
import os
from pathlib import Path

import duckdb
import pytest

from suite._errors import SuiteError
from suite.evaluation import validate_bundle
from suite.evaluation._bundle import strict_json
from suite.leaderboard import build_database
from suite.leaderboard._build import bundle_folders, write_csv
from suite.release import Release, load_release
from tests.leaderboard.bundles import FakeRun, write_fake_bundle
from tests.leaderboard.hostile import retampered, write_hostile
from tests.test_cli import run_suite


@pytest.fixture(scope="module")
def release(arith_release: Path) -> Release:
    return load_release(arith_release)


def run(release: Release, model: str, **knobs: object) -> FakeRun:
    return FakeRun(
        model,
        0.5,
        questions=6,
        words=8,
        release_version=release.version,
        manifest_sha256=release.manifest_sha256,
        release=release,
        **knobs,  # type: ignore[arg-type]
    )


def test_hostile_bundles_are_each_rejected_with_their_reason_and_the_site_is_whole(
    tmp_path: Path, release: Release
) -> None:
    # The maintainers' run, where the propose job writes it: results/verified/<owner--name>/<commit12>/.
    verified = write_fake_bundle(
        tmp_path / "results" / "verified" / "org--real" / "0123456789ab",
        run(release, "org/real", created="2026-01-01T00:00:00Z"),
    )
    hostile = tmp_path / "results" / "self-reported"
    expected = write_hostile(hostile, release.version, release.manifest_sha256, verified, release=release)

    # The same model and revision, self-reported later with every grade made correct: re-grading refuses it.
    def all_correct(rows: list[dict[str, object]]) -> None:
        for row in rows:
            row["grade"] = {**row["grade"], "correct": True}  # type: ignore[dict-item]

    fabricated = retampered(
        write_fake_bundle(hostile / "fabricated", run(release, "org/real", created="2026-06-01T00:00:00Z", seed=7)),
        all_correct,
    )
    expected[fabricated] = "is graded correct but re-grading its completion gives wrong"
    assert validate_bundle(fabricated)["metrics"]["solo"]["macro"]["value"] == 1.0  # its numbers are consistent

    site = tmp_path / "site"
    (site / "models").mkdir(parents=True)
    (site / "stale.html").write_text("from an older build")
    db = tmp_path / "lb.duckdb"
    cli = run_suite(
        "leaderboard", "build", str(hostile), "--verified", str(tmp_path / "results" / "verified"),
        "--db", str(db), "--site", str(site), "--release", str(release.path), "--jobs", "2",
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert "Traceback" not in cli.stderr and "[/]x[bold]" in cli.stdout  # printed as text, not read as markup
    assert cli.stdout.count("rejected") == sum(1 for reason in expected.values() if reason)

    # The same build again, in this process: every verdict and its reason.
    verdicts = {
        v.bundle: v
        for v in build_database([str(hostile)], db, [release], site, jobs=1, verified=[str(verified.parent.parent)])
    }
    assert set(verdicts) == {verified, *expected}
    assert verdicts[verified].status == "unchanged"
    for bundle, reason in expected.items():
        verdict = verdicts[bundle]
        if reason is None:
            assert verdict.status == "unchanged", verdict  # accepted by the first build
        else:
            assert verdict.status == "rejected" and reason in verdict.reason, verdict
            assert "\n" not in verdict.reason and len(verdict.reason) < 600
    good = {b for b, reason in expected.items() if reason is None} | {verified}

    with duckdb.connect(str(db), read_only=True) as con:
        held = {Path(row[0]) for row in con.execute("SELECT source FROM runs").fetchall()}
        assert held == good  # exactly the good ones went in
        ranked = dict(con.execute("SELECT model_id, provenance FROM ranked").fetchall())
        assert ranked["org/real"] == "verified"  # the fabricated later run did not take its place
        assert con.execute("SELECT created FROM runs WHERE source = ?", [str(fabricated)]).fetchone() is None
        slugs = {row[0][:16] for row in con.execute("SELECT run_id FROM ranked").fetchall()}

    assert not (site / "stale.html").exists()  # swapped in whole
    for name in ("index.html", "compare.html", "compare-data.js", "site.js", "style.css"):
        assert (site / name).stat().st_size > 0
    for name in ("results.csv", "results.parquet", "samples.parquet"):
        assert (site / "data" / name).stat().st_size > 0
    assert {p.stem for p in (site / "models").glob("*.html")} == slugs
    assert not list(site.parent.glob(".site-*"))  # no temporary folder left behind


def test_every_bundle_failure_is_a_rejection_even_unforeseen_ones(tmp_path: Path, release: Release) -> None:
    """A folder whose name is not UTF-8 (no text can hold it) is rejected; the good bundle still goes in."""
    good = write_fake_bundle(tmp_path / "good", run(release, "org/good"))
    odd = write_fake_bundle(tmp_path / os.fsdecode(b"odd\xff"), run(release, "org/odd"))
    for jobs in (1, 2):
        verdicts = build_database(
            [str(good), str(odd)], tmp_path / f"db{jobs}", [release], tmp_path / f"site{jobs}", jobs=jobs
        )
        assert [v.status for v in verdicts] == ["accepted", "rejected"]
        assert "could not be examined" in verdicts[1].reason or "not readable" in verdicts[1].reason, verdicts[1]
        verdicts[1].reason.encode("utf-8")  # printable as it is
        assert (tmp_path / f"site{jobs}" / "index.html").is_file()


def test_strict_json_refuses_what_python_lets_through() -> None:
    refusals = {
        '{"a": NaN}': "NaN is not a JSON number",
        '{"a": -Infinity}': "-Infinity is not a JSON number",
        '{"a": 1e999}': "the number 1e999 is out of range",
        '{"a": 1, "a": 2}': "the key 'a' appears twice in one object",
        '["\\ud800"]': "a string holds a lone surrogate",
        '{"\\udc00": 1}': "a string holds a lone surrogate",
        "[" * 100_000 + "]" * 100_000: "nested too deeply",
        '{"a": ' + "9" * 30 + "}": "is out of range",
    }
    for text, reason in refusals.items():
        with pytest.raises(SuiteError, match=r"x\.json") as caught:
            strict_json(text, "x.json")
        assert reason in str(caught.value), text[:20]
    assert strict_json('{"a": ["\\ud83d\\ude00", 1.5, -3]}', "x") == {"a": ["\U0001f600", 1.5, -3]}


def test_validate_refuses_as_the_build_does(tmp_path: Path, release: Release) -> None:
    """``suite validate`` reads through the same strict parser: a duplicate key fails both."""
    bundle = write_fake_bundle(tmp_path / "dup", run(release, "org/dup"))
    text = (bundle / "result.json").read_text().replace('"notes": []', '"notes": [], "notes": []')
    (bundle / "result.json").write_text(text)
    refused = run_suite("validate", str(bundle))
    assert refused.returncode == 2 and "the key 'notes' appears twice in one object" in refused.stderr


def test_unpacked_size_is_limited_while_streaming(
    tmp_path: Path, release: Release, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = write_fake_bundle(tmp_path / "big", run(release, "org/big"))
    with gzip.open(bundle / "samples.jsonl.gz", "rb") as f:
        size = len(f.read())
    monkeypatch.setattr("suite.evaluation._bundle.MAX_UNPACKED_BYTES", size // 2)
    with pytest.raises(SuiteError, match=f"unpacks to over {size // 2:,} bytes"):
        validate_bundle(bundle)


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        write_csv(
            con,
            "SELECT * FROM (VALUES ('=HYPERLINK(\"x\")', 1), ('+1', 2), ('-2', 3), ('@A1', 4), "
            "(chr(9) || 'a', 5), (chr(13) || 'b', 6), ('plain', -7)) t(text, number)",
            tmp_path / "out.csv",
        )
    with (tmp_path / "out.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["text", "number"],
        ['\'=HYPERLINK("x")', "1"],
        ["'+1", "2"],
        ["'-2", "3"],
        ["'@A1", "4"],
        ["'\ta", "5"],
        ["'\rb", "6"],
        ["plain", "-7"],
    ]


def test_verified_bundles_are_found_two_levels_down(tmp_path: Path, release: Release) -> None:
    bundle = write_fake_bundle(tmp_path / "verified" / "org--m" / "0123456789ab", run(release, "org/m"))
    assert bundle_folders([str(tmp_path / "verified")]) == [bundle]


def test_validate_prints_bundle_text_as_plain_text(tmp_path: Path, release: Release) -> None:
    bundle = write_fake_bundle(tmp_path / "markup", run(release, "evil/[/]x[bold]"))
    shown = run_suite("validate", str(bundle), "--details", "--release", str(release.path))
    assert shown.returncode == 0, shown.stderr
    assert "Solo Pass@1 (evil/[/]x[bold])" in shown.stdout


def test_chart_labels_are_plain_text_never_mathtext() -> None:
    """Guide names reach charts only from the release now, but a label is drawn as text whatever it holds."""
    from suite.leaderboard._charts import line_chart

    hostile = "$\\undefinedmacro{x}$" + "\\frac{" * 40
    svg = line_chart({hostile: [(0.2, 0.5, 0.4, 0.6)]}, "guidability", "steer fraction (%)")
    assert "$\\undefinedmacro{x}$" in svg  # the label's text as written: mathtext would have raised
