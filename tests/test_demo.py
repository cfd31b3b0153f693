"""``suite demo``: the README's first command, end to end on the tiny reasoner."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import run_suite


def test_demo_runs_the_whole_pipeline(tiny_reasoner: Path, tmp_path: Path) -> None:
    result = run_suite("demo", "--out", str(tmp_path / "demo"), "--questions", "8", timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "bundle:" in result.stdout and "Pass@1" in result.stdout and "Solo Pass@1" not in result.stdout
    demo = tmp_path / "demo"
    assert run_suite("validate", str(demo / "bundle"), "--release", str(demo / "release")).returncode == 0
    report = json.loads((tmp_path / "demo" / "bundle" / "result.json").read_text())
    assert report["items"]["questions"] == 8 and set(report["metrics"]) == {"solo", "recoverability", "guidability"}
    assert run_suite("release", "verify", str(tmp_path / "demo" / "release")).returncode == 0
    assert "leaderboard site:" in result.stdout and (tmp_path / "demo" / "site" / "index.html").is_file()
    # The demo's settings (320 new tokens, 8 questions) are not the standard run: it is a variant, never ranked,
    # and the site shows it below the ranking, with its own page that says why.
    import duckdb

    with duckdb.connect(str(demo / "leaderboard.duckdb"), read_only=True) as con:
        variants = con.execute("SELECT run_id, differences FROM variants").fetchall()
        assert con.execute("SELECT count(*) FROM ranked").fetchone() == (0,)
    assert len(variants) == 1 and "max tokens 320 (standard 32768)" in variants[0][1]
    index = (demo / "site" / "index.html").read_text()
    page = (demo / "site" / "models" / f"{variants[0][0][:16]}.html").read_text()
    assert f'<a href="models/{variants[0][0][:16]}.html">' in index.split('id="unranked-table"')[1]
    assert "max tokens 320 (standard 32768)" in page.split('id="not-ranked-why"')[1].split("</span>")[0]
    # Every steer is real: non-empty, and a distractor is never the item's own question (validate refuses either).
    import gzip

    with gzip.open(tmp_path / "demo" / "bundle" / "samples.jsonl.gz", "rt") as f:
        steered = [s for s in map(json.loads, f) if s["test"] != "solo"]
    recov = [s for s in steered if s["test"] == "recoverability"]
    assert recov and all(s["steer_text"] and s["distractor_question_id"] != s["question_id"] for s in recov)
    assert all(s["steer_text"] for s in steered)
