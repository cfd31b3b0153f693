"""What a reader of the site sees, without a browser: ranks, sizes, model pages, questions, the compare data."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from suite.evaluation import EvalConfig
from suite.leaderboard import build_database
from suite.leaderboard._pages import model_facts, questions_file, run_settings, score_table
from suite.leaderboard._site import Row, assign_ranks, leaderboard_order, size_in_billions
from suite.release import Release, build_release, load_release
from suite.tiny._release import write_arithmetic_source
from tests.leaderboard import bundles
from tests.leaderboard.bundles import FakeRun, write_fake_bundle

HOSTILE_ID = "arith/0-hostile"
"""The first question id of ``reader_release``: the sample browser shows its question first."""
HOSTILE_QUESTION = "What is 6 times 7? <img src=x onerror=alert(9)> {{7*7}}"
"""Its text: a release is read as untrusted text too."""
QWEN3_30B_A3B = 30_532_122_624
"""Parameters of Qwen/Qwen3-30B-A3B (its safetensors headers): a name regex reads "3B" from its name."""
EVERY_TEST = tuple(
    (name, None)
    for name in (
        "solo",
        "recoverability_shared",
        "recoverability_individual",
        "guidability_shared",
        "guidability_individual",
        "control",
    )
)
"""``result.json``'s ``tests``: every test of Table 1 ran (a standard run records it so)."""
VARIANT = FakeRun("org/steady-7B", 0.8, seed=7, created="2026-11-27T00:00:00Z", questions=8)
"""A newer run of org/steady-7B on 8 questions (``--limit 8``): not the standard measurement, shown beside it."""
ONLY_VARIANTS = (
    FakeRun("org/partial-3B", 0.5, seed=11, created="2026-11-20T00:00:00Z", questions=8),
    FakeRun("org/partial-3B", 0.4, seed=12, created="2026-11-25T00:00:00Z", questions=6),
)
"""Two runs of a model on part of the release (``--limit``): it has no standard run, so no rank, but a page."""


def reader_release(root: Path) -> Release:
    """The tiny arithmetic release (16 questions, 5 shared, an oracle guide) whose first question is hostile."""
    files = write_arithmetic_source(root / "source", questions=16, shared=5)
    first = json.loads((files["source"] / "arith.jsonl").read_text().splitlines()[0])
    for path in (files["source"] / "arith.jsonl", files["guide"], files["shared"]):
        path.write_text(path.read_text().replace(first["id"], HOSTILE_ID.split("/")[1]))
    rows = (files["source"] / "arith.jsonl").read_text().splitlines()
    rows[0] = json.dumps(json.loads(rows[0]) | {"problem": HOSTILE_QUESTION})
    (files["source"] / "arith.jsonl").write_text("\n".join(rows) + "\n")
    built = build_release(
        str(files["source"]),
        root / "release",
        benchmarks=["arith"],
        subsets={"recoverability_shared": files["shared"], "guidability_shared": files["shared"]},
        guides={"oracle": files["guide"]},
    )
    return load_release(built)


def standard_config(run: FakeRun) -> EvalConfig:
    """The configuration of a standard run (every knob at its default) on ``run.questions`` of the release."""
    assert run.release is not None
    limit = run.questions if run.questions < len(run.release.questions) else None
    return EvalConfig(model=run.model_id, seed=run.seed, limit=limit)


def write_bundle_with(out: Path, run: FakeRun, release: Release, parameters: int | None) -> Path:
    """A re-derivable synthetic bundle on ``release``; ``parameters`` recorded as ``model.parameters`` unless None.

    Its knobs are the standard ones (on the whole release it ranks), whatever ``bundles.config_of`` picks for
    other tests.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bundles, "config_of", standard_config)
        write_fake_bundle(out, FakeRun(**{**run.__dict__, "release": release, "tests": run.tests or EVERY_TEST}))
    if parameters is not None:
        result = json.loads((out / "result.json").read_text())
        result["model"]["parameters"] = parameters
        (out / "result.json").write_text(json.dumps(result))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Release]:
    root = tmp_path_factory.mktemp("pages")
    release = reader_release(root)
    runs = [
        (FakeRun("org/steady-7B", 0.7), 7_615_616_512),
        (FakeRun("Qwen/Qwen3-30B-A3B", 0.6, seed=2), QWEN3_30B_A3B),
        (FakeRun("org/fragile-1.5B", 0.55, seed=3), None),
        (VARIANT, 7_615_616_512),
        *((run, None) for run in ONLY_VARIANTS),
    ]
    for i, (run, parameters) in enumerate(runs):
        write_bundle_with(root / "bundles" / f"b{i}", run, release, parameters)
    verdicts = build_database([str(root / "bundles")], root / "lb.duckdb", [release], root / "site", jobs=1)
    assert [v.status for v in verdicts] == ["accepted"] * len(runs), [v.reason for v in verdicts]
    return root / "site", release


def index_rows(site: Path) -> list[dict[str, str]]:
    """Each body row of index.html: rank, model and size as text, and the shared recoverability's sort value."""
    page = (site / "index.html").read_text()
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = []
    for row in body.split("</tr>")[:-1]:
        cells = re.findall(r"<t[dh][^>]*data-value=\"([^\"]*)\"[^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append(
            {
                "rank": re.sub(r"<[^>]+>", "", cells[0][1]),
                "model": re.sub(r"<[^>]+>", "", cells[1][1]).strip(),
                "size": re.sub(r"<[^>]+>", "", cells[2][1]),
                "recoverability_shared": cells[3][0],
                "reported": str("reported in the paper" in row),
            }
        )
    return rows


def test_index_ranks_by_shared_recoverability_with_the_benchmark_beside_it(built: tuple[Path, Release]) -> None:
    site, _ = built
    rows = index_rows(site)
    ours = [r for r in rows if r["reported"] == "False"]
    assert [r["rank"] for r in ours] == ["1", "2", "3"]
    values = [float(r["recoverability_shared"]) for r in rows if r["recoverability_shared"]]
    assert values == sorted(values, reverse=True) and len(values) == 3 + 15  # the paper's rows among them
    assert all(r["rank"] == "\u2013" for r in rows if r["reported"] == "True")
    page = (site / "index.html").read_text()
    headings = re.findall(r'data-sort="\w+"[^>]*>([^<]+)</button>', page)
    assert headings[:5] == ["rank", "model", "size (B)", "recoverability (shared)", "benchmark"]
    assert '<button type="button" data-sort="num" aria-sort="descending">recoverability (shared)</button>' in page


def test_size_comes_from_the_recorded_parameter_count_never_the_name(built: tuple[Path, Release]) -> None:
    site, _ = built
    sizes = {r["model"]: r["size"] for r in index_rows(site)}
    assert sizes["Qwen/Qwen3-30B-A3B"] == "30.5"  # not 3.0 from "A3B"
    assert sizes["org/steady-7B"] == "7.6"
    assert sizes["org/fragile-1.5B"] == "?"  # no count recorded: unknown, not 1.5 from the name
    assert sizes["deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B reported in the paper"] == "?"
    assert size_in_billions(QWEN3_30B_A3B) == pytest.approx(30.532122624)
    for unbelievable in (None, True, -5, 0, 10**15, 1.5e9, "7000000000", [7]):
        assert size_in_billions(unbelievable) is None


def test_ranks_share_a_place_on_ties_and_never_cross_releases() -> None:
    def row(name: str, value: float | None, release: str = "1.0.0", reported: bool = False) -> Row:
        return Row(
            name,
            None,
            reported,
            release,
            "math-verify",
            "verified",
            None,
            {"recoverability_shared": (value, None, None)},
        )

    rows = [row("a", 0.5), row("b", 0.9), row("c", 0.5), row("d", None), row("e", 0.7), row("p", 0.99, reported=True)]
    rows += [row("x", 0.1, release="2.0.0")]
    assign_ranks(rows)
    ordered = leaderboard_order(rows)
    assert [(r.model, r.rank) for r in ordered] == [
        ("p", None),
        ("b", 1),
        ("e", 2),
        ("a", 3),
        ("c", 3),
        ("x", 1),
        ("d", None),
    ]


def test_model_page_shows_revision_date_settings_scores_and_result_json(built: tuple[Path, Release]) -> None:
    site, release = built
    page_path = next(p for p in (site / "models").glob("*.html") if "Qwen3-30B-A3B" in p.read_text())
    page = page_path.read_text()
    slug = page_path.stem
    assert '<dd id="fact-revision"><code>' + "0" * 40 + "</code>" in page
    assert '<a id="hub-link" href="https://huggingface.co/Qwen/Qwen3-30B-A3B/tree/' + "0" * 40 + '"' in page
    assert re.search(r'<time datetime="2026-11-26T00:00:00[.0]*Z">2026-11-26 00:00 UTC</time>', page)
    assert "30.53 B parameters (30,532,122,624)" in page
    assert f'<a id="result-link" href="{slug}/result.json">' in page
    stored = json.loads((page_path.parent / slug / "result.json").read_text())
    assert stored["model"] == {
        "id": "Qwen/Qwen3-30B-A3B",
        "revision": "0" * 40,
        "kind": "hub",
        "context_length": 131072,
        "parameters": QWEN3_30B_A3B,
    }
    table = page[page.index('<table id="score-table">') : page.index("</table>", page.index('id="score-table"'))]
    measures = re.findall(r'<th scope="row">([^<]+)</th>', table)
    assert measures[:3] == ["recoverability (shared)", "coverage of the shared subset", "benchmark"]
    assert measures[3:] == ["arith", *[m for m in measures[3:] if m != "arith"]] and "control" in measures
    macro = stored["metrics"]["solo"]["macro"]
    line = table[table.index('<th scope="row">benchmark</th>') :].split("</tr>")[0]
    assert (
        f"{100 * macro['value']:.1f}</td>" in line
        and f"{100 * macro['ci_low']:.1f} \u2013 {100 * macro['ci_high']:.1f}" in line
    )
    settings = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td></tr>', page))
    assert settings["temperature"] == "0.6" and settings["max tokens"] == "32768"
    assert settings["context length"] == "engine 131072 (the model&#39;s own: 131072)"
    assert settings["insertion positions"] == "0%, 20%, 40%, 60%, 80%" and settings["protocol"] == "paper"
    assert f'data-questions="../releases/{release.manifest_sha256[:16]}.js"' in page


def test_release_questions_are_written_once_and_escaped(built: tuple[Path, Release]) -> None:
    site, release = built
    source = (site / "releases" / questions_file(release.manifest_sha256)).read_text()
    assert source.startswith("window.suiteQuestions(") and source.endswith(");\n")
    assert "<" not in source and ">" not in source and "&" not in source
    rows = json.loads(source[len("window.suiteQuestions(") : -len(");\n")])
    assert {r["q"]: (r["p"], r["g"]) for r in rows} == {q.id: (q.problem, q.answer) for q in release.questions}
    assert questions_file("../../etc/passwd" + "0" * 48) == ""


def test_compare_data_carries_intervals_and_the_paper_rows(built: tuple[Path, Release]) -> None:
    site, _ = built
    source = (site / "compare-data.js").read_text()
    data = json.loads(source[len("window.suiteCompare = ") : -len(";\n")])
    assert [r["rank"] for r in data["runs"]] == [1, 2, 3]
    assert all(len(p) == 4 and p[2] <= p[1] <= p[3] for r in data["runs"] for p in r["shared"])
    assert len(data["paper"]) == 15 and all(s[1] is None for r in data["paper"] for s in r["scores"])
    assert data["paper"][0]["model"] == "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
    assert data["paper"][0]["scores"][1][0] == pytest.approx(0.606)  # Table 1: R1-Qwen-1.5B, recoverability shared


def test_settings_and_facts_read_hostile_results_as_text() -> None:
    hostile = {
        "model": {"id": "javascript:alert(1)//x", "revision": "main", "kind": "hub", "parameters": "huge"},
        "config": {"positions": ["<b>"], "transition": "x" * 1000, "limit": 3},
        "sampling": [],
        "grading": {"grader": "math-verify", "judge": {"judge_model": "j"}},
    }
    facts = model_facts(hostile, "2026-11-26T00:00:00Z")
    assert facts["hub"] == "" and facts["size"] == "?"
    tiny = model_facts({"model": {"id": "org/tiny", "revision": "main", "kind": "hub", "parameters": 1_234_567}}, "")
    assert (
        tiny["size"] == "0.0012 B parameters (1,234,567)" and tiny["hub"] == "https://huggingface.co/org/tiny/tree/main"
    )
    settings = dict(run_settings(hostile))
    assert settings["insertion positions"] == "<b>" and len(settings["transition phrase"]) == 200
    assert settings["temperature"] == "none" and settings["question limit"] == "3"
    assert settings["grading"].endswith("+ judge j")


def test_score_table_says_why_a_test_did_not_run() -> None:
    metrics = {("solo", "macro"): (0.5, 0.4, 0.6, 60, 480), ("solo", "per_benchmark/aime24"): (0.4, 0.3, 0.5, 30, 240)}
    lines = score_table(metrics, {"guidability_shared": "no guide steers"})
    by_label = {line.label: line for line in lines}
    assert [line.label for line in lines][2:4] == ["benchmark", "aime24"] and by_label["aime24"].level == 1
    assert by_label["guidability (shared)"].value is None and by_label["guidability (shared)"].note == "no guide steers"
    assert by_label["benchmark"].items == 60 and by_label["benchmark"].generations == 480


def pages_of(site: Path, model: str) -> dict[str, str]:
    """The model pages (slug -> HTML) whose heading is ``model``."""
    pages = {p.stem: p.read_text() for p in (site / "models").glob("*.html")}
    return {slug: page for slug, page in pages.items() if f"<h1>{model}</h1>" in page}


def variants_table(page: str) -> list[list[str]]:
    """The variants table of a model page: each row's cells as HTML."""
    table = page[page.index('<table id="variants-table">') :].split("</table>")[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in table.split("<tbody>")[1].split("</tr>")[:-1]]


def test_a_variant_is_shown_beside_its_model_with_what_differs(built: tuple[Path, Release]) -> None:
    site, _ = built
    steady = pages_of(site, "org/steady-7B")
    ranked = [slug for slug, page in steady.items() if "not-ranked-why" not in page]
    assert len(steady) == 2 and len(ranked) == 1  # the ranked run's page and the variant's own page
    ((variant, page),) = ((slug, page) for slug, page in steady.items() if slug not in ranked)
    ((cells),) = variants_table(steady[ranked[0]])
    assert cells[0] == f'<a href="{variant}.html"><code>{variant}</code></a>'
    assert cells[1:5] == ["org/steady-7B", "2026-11-27T00:00:00.000000Z", "self-reported", "--limit 8"]
    # The variant's page says why it is not ranked and links the ranked run; its own table is empty.
    assert '<span id="not-ranked-why">--limit 8</span>' in page
    assert f'<a id="ranked-link" href="{ranked[0]}.html">' in page and 'id="variants-table"' not in page
    assert [r["model"] for r in index_rows(site)].count("org/steady-7B") == 1


def test_a_model_with_no_standard_run_has_a_page_and_a_row_below_the_ranking(built: tuple[Path, Release]) -> None:
    site, _ = built
    index = (site / "index.html").read_text()
    assert "org/partial-3B" not in [r["model"] for r in index_rows(site)]  # never ranked
    table = index[index.index('<table id="unranked-table">') :].split("</table>")[0]
    rows = [row for row in table.split("<tbody>")[1].split("</tr>")[:-1]]
    assert len(rows) == 1
    link, runs, differences = re.findall(
        r'<a href="models/(\w+)\.html">org/partial-3B</a></th><td>(\d+)</td>'
        r'<td class="differences">([^<]*)</td>',
        rows[0],
    )[0]
    assert (runs, differences) == ("2", "--limit 6")  # its newest run, standing for both
    partial = pages_of(site, "org/partial-3B")
    assert set(partial) == {link, *(cells[0][9:25] for cells in variants_table(partial[link]))} and len(partial) == 2
    assert '<span id="not-ranked-why">--limit 6</span>' in partial[link] and 'id="ranked-link"' not in partial[link]
    assert [cells[4] for cells in variants_table(partial[link])] == ["--limit 8"]
    # Every run that is not ranked is in data/variants.csv, with what differs (a cell starting with "-" gets a
    # leading "'", as every CSV cell a spreadsheet would read as a formula).
    with (site / "data" / "variants.csv").open(encoding="utf-8") as f:
        shown = sorted((row["model_name"], row["differences"]) for row in csv.DictReader(f))
    assert shown == [
        ("org/partial-3B", "'--limit 6"),
        ("org/partial-3B", "'--limit 8"),
        ("org/steady-7B", "'--limit 8"),
    ]
