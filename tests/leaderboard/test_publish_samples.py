"""``suite leaderboard publish-samples``: every verified run's samples as Parquet and browser chunks on the Hub.

The Hub cannot be reached here: ``huggingface_hub`` runs for real against ``tests.release.hub_standin``, a
loopback server answering the Hub's own routes. What a reader sees of it in a browser: ``test_hub_samples.py``.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from suite.leaderboard import _samples_hub, build_database
from suite.leaderboard._chart_cache import cached_chart, use_chart_cache
from suite.leaderboard._charts import histogram
from suite.leaderboard._samples_hub import SITE_SAMPLES_PER_TEST, chunks_url
from suite.release import Release
from tests.leaderboard.bundles import FakeRun
from tests.leaderboard.test_pages import reader_release, write_bundle_with
from tests.release.hub_standin import HubStandIn
from tests.release.test_publish import cli_env
from tests.test_cli import run_suite

REPO = "suite-org/leaderboard-samples"


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Release]:
    """A leaderboard root: one verified run, one self-reported run, built once (``lb.duckdb``, ``site/``)."""
    root = tmp_path_factory.mktemp("board")
    release = reader_release(root)
    write_bundle_with(root / "verified" / "org--steady" / ("a" * 12), FakeRun("org/steady-7B", 0.7), release, None)
    write_bundle_with(root / "self" / "b0", FakeRun("org/fragile-1.5B", 0.55, seed=3), release, None)
    verdicts = build_database(
        [str(root / "self")], root / "lb.duckdb", [release], root / "site", jobs=1, verified=[str(root / "verified")]
    )
    assert [v.status for v in verdicts] == ["accepted", "accepted"], [v.reason for v in verdicts]
    return root, release


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubStandIn]:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with HubStandIn() as server:
        yield server


@pytest.fixture
def db(board: tuple[Path, Release], tmp_path: Path) -> Path:
    """A copy of the built database, so each test publishes from the same start."""
    copy = tmp_path / "lb.duckdb"
    shutil.copyfile(board[0] / "lb.duckdb", copy)
    return copy


def runs_by_provenance(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT provenance, run_id FROM runs").fetchall())


def published_rows(db: Path) -> list[tuple[str, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'published_samples'").fetchone()
        if not found or not found[0]:
            return []
        return con.execute("SELECT run_id, repo, commit_sha, folder, endpoint FROM published_samples").fetchall()


def publish(db: Path, hub: HubStandIn, tmp_path: Path, *extra: str, **env: str) -> tuple[int, str, str]:
    args = ("leaderboard", "publish-samples", "--db", str(db), "--repo", REPO, "--endpoint", hub.url, *extra)
    result = run_suite(*args, env=cli_env(hub, tmp_path, **env))
    return result.returncode, result.stdout, result.stderr


def test_one_commit_holds_each_verified_runs_parquet_and_chunks_and_the_database_pins_it(
    db: Path, hub: HubStandIn, tmp_path: Path
) -> None:
    runs = runs_by_provenance(db)
    verified, self_reported = runs["verified"], runs["self-reported"]
    code, out, err = publish(db, hub, tmp_path)
    assert code == 0, err
    commits = hub.repos[REPO].commits
    assert len(commits) == 2  # the repository's first commit, then every run in one commit
    head = commits[-1]
    url = f"{hub.url}/datasets/{REPO}/resolve/{head.sha}/runs/{verified}/"
    assert f"{verified[:16]}  " in out and url in out
    assert self_reported[:16] not in out  # only verified runs are published
    folders = {p.split("/")[1] for p in head.files if p.startswith("runs/")}
    assert folders == {verified}
    assert published_rows(db) == [(verified, REPO, head.sha, f"runs/{verified}", hub.url)]

    # samples.parquet: every sample of the run, grade fields flattened, steer parts and continuation kept.
    parquet = tmp_path / "samples.parquet"
    parquet.write_bytes(head.files[f"runs/{verified}/samples.parquet"])
    key = "test, coalesce(subset, ''), coalesce(position, -1), coalesce(fraction, -1), coalesce(guide, ''), question_id"
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{db}' AS lb (READ_ONLY)")
        shown = con.execute(
            f"SELECT {key}, sample, steer_own, steer_transition, steer_text, completion, correct, grade_answer, "
            f"grade_method, grade_truncated FROM read_parquet('{parquet}') ORDER BY ALL"
        ).fetchall()
        held = con.execute(
            f"SELECT {key}, sample, steer_own, steer_transition, steer_text, completion, correct, "
            "json_extract_string(grade, '$.answer'), json_extract_string(grade, '$.method'), "
            f"json_extract(grade, '$.truncated')::BOOLEAN FROM lb.samples WHERE run_id = ? ORDER BY ALL",
            [verified],
        ).fetchall()
    assert len(shown) == len(held) > 8 * 16 and shown == held
    assert any(row[7] and row[8] for row in shown)  # a steered sample with its own prefix and transition

    # chunks/: the browser's groups; together they hold every sample exactly once.
    index = json.loads(head.files[f"runs/{verified}/chunks/index.json"])
    seen: Counter[tuple[str, str, int]] = Counter()
    for i, group in enumerate(index["groups"]):
        for outcome in ("c", "w"):
            for k in range(group[outcome]):
                chunk = json.loads(head.files[f"runs/{verified}/chunks/g{i}-{outcome}{k}.json"])
                seen.update((group["label"], s["q"], s["k"]) for s in chunk)
                assert {"q", "k", "a", "o", "t", "s", "c"} <= set(chunk[0])
    assert sum(g["count"] for g in index["groups"]) == len(held) == sum(seen.values())
    assert set(seen.values()) == {1}
    assert all("<" not in data.decode() for p, data in head.files.items() if p.endswith(".json"))  # \u003c only

    # A second call finds nothing new: no commit, and it says so.
    code, out, err = publish(db, hub, tmp_path)
    assert code == 0, err
    assert "already published; nothing uploaded" in out
    assert len(hub.repos[REPO].commits) == 2


def test_the_site_keeps_a_small_sample_of_each_test_and_links_the_pinned_chunks(
    board: tuple[Path, Release], db: Path, hub: HubStandIn, tmp_path: Path
) -> None:
    root, release = board
    runs = runs_by_provenance(db)
    # Before publishing, the site's own files hold at most SITE_SAMPLES_PER_TEST samples of each test.
    with duckdb.connect(str(db), read_only=True) as con:
        held = dict(
            con.execute(
                "SELECT test, count(*) FROM samples WHERE run_id = ? GROUP BY test", [runs["verified"]]
            ).fetchall()
        )
        assert chunks_url(con, runs["verified"]) == ""
    folder = root / "site" / "models" / runs["verified"][:16]
    page = (root / "site" / "models" / f"{runs['verified'][:16]}.html").read_text()
    options = re.findall(r'<option value="(\d+)" data-c="\d+" data-w="\d+">([^<]*)</option>', page)
    test_of = {int(i): html.unescape(label).split(" / ")[0].split(" (")[0] for i, label in options}
    kept: Counter[str] = Counter()
    for chunk in folder.glob("g*.js"):
        found = re.fullmatch(r'window\.suiteChunk\((\d+), "[cw]", \d+, (.*)\);\n', chunk.read_text(), re.S)
        assert found is not None, chunk.name
        kept[test_of[int(found[1])]] += len(json.loads(found[2]))
    assert set(kept) == set(held) and kept["solo"] == SITE_SAMPLES_PER_TEST < held["solo"]
    assert all(kept[t] == min(SITE_SAMPLES_PER_TEST, held[t]) for t in held), (kept, held)
    assert 'data-remote=""' in page

    code, _, err = publish(db, hub, tmp_path)
    assert code == 0, err
    site = tmp_path / "site"
    build_database([], db, [release], site, jobs=1, verified=[str(root / "verified")])
    head = hub.repos[REPO].commits[-1].sha
    page = (site / "models" / f"{runs['verified'][:16]}.html").read_text()
    assert f'data-remote="{hub.url}/datasets/{REPO}/resolve/{head}/runs/{runs["verified"]}/chunks/"' in page
    other = (site / "models" / f"{runs['self-reported'][:16]}.html").read_text()
    assert 'data-remote=""' in other  # self-reported runs are not published: the site's own sample only


def test_a_refused_token_says_so_in_one_line_and_records_nothing(db: Path, hub: HubStandIn, tmp_path: Path) -> None:
    code, _, err = publish(db, hub, tmp_path, HF_TOKEN="hf_wrong")
    assert code == 2
    assert f"refused to write dataset {REPO} (HTTP 401); set HF_TOKEN (or --token-env VAR)" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert published_rows(db) == []
    assert REPO not in hub.repos or len(hub.repos[REPO].commits) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--repo", "not a repo"), "is not a Hugging Face repository id OWNER/NAME"),
        (("--endpoint", "ftp://hub"), "is not an http(s) URL; pass the Hub's address."),
        (("--token-env", "NO_SUCH_VAR_F"), "the environment variable NO_SUCH_VAR_F is not set"),
    ],
    ids=["bad-repo", "bad-endpoint", "unset-token-variable"],
)
def test_bad_arguments_are_refused_with_their_fix(
    db: Path, hub: HubStandIn, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    code, _, err = publish(db, hub, tmp_path, *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert published_rows(db) == [] and hub.repos == {}


def test_a_missing_database_names_the_build_command(hub: HubStandIn, tmp_path: Path) -> None:
    code, _, err = publish(tmp_path / "none.duckdb", hub, tmp_path)
    assert code == 2
    assert f"{tmp_path / 'none.duckdb'} does not exist; run suite leaderboard build --db" in err
    assert not (tmp_path / "none.duckdb").exists()


def test_a_samples_base_url_in_site_toml_replaces_the_hub_prefix(
    db: Path, hub: HubStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = publish(db, hub, tmp_path)
    assert code == 0, err
    verified = runs_by_provenance(db)["verified"]
    (tmp_path / "leaderboard").mkdir()
    (tmp_path / "leaderboard" / "site.toml").write_text('samples_base_url = "https://mirror.example/samples/"\n')
    monkeypatch.chdir(tmp_path)
    _samples_hub._base_url.cache_clear()
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            assert chunks_url(con, verified) == f"https://mirror.example/samples/runs/{verified}/chunks/"
    finally:
        _samples_hub._base_url.cache_clear()


def test_a_rebuild_reuses_each_chart_drawn_for_the_same_data(board: tuple[Path, Release], tmp_path: Path) -> None:
    root, _ = board
    kept = {p.read_text() for p in (root / ".lb.duckdb.charts").glob("*.svg")}
    drawn = {p.read_text() for p in (root / "site" / "models").glob("*/*.svg")}
    assert kept == drawn and len(kept) >= 4  # the build kept every chart it drew beside the database

    calls: list[tuple[int, ...]] = []

    def counted(counts: list[int], title: str) -> str:
        calls.append(tuple(counts))
        return histogram(counts, title)

    use_chart_cache(tmp_path / "charts")
    try:
        first = cached_chart(counted, [1, 2, 3], "Solo solve rates")
        assert cached_chart(counted, [1, 2, 3], "Solo solve rates") == first  # not drawn again
        other = cached_chart(counted, [3, 2, 1], "Solo solve rates")
    finally:
        use_chart_cache(None)
    assert calls == [(1, 2, 3), (3, 2, 1)] and other != first
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 2 and not list((tmp_path / "charts").glob("*.tmp"))
