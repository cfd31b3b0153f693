"""The static site in a real browser (Debian Chromium through Playwright), from file://, with hostile bundles.

What a reader sees: ranks in order, shared recoverability as the default sort, model pages with their
facts, scores and ``result.json``, samples with the release's question and gold answer and the steer's
parts, the compare charts with axis titles and error bars; and no payload ever runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page

from suite.leaderboard import build_database
from suite.leaderboard._comparable import display_name
from suite.release import Release
from tests.leaderboard.bundles import FakeRun
from tests.leaderboard.test_pages import HOSTILE_ID, HOSTILE_QUESTION, QWEN3_30B_A3B, reader_release, write_bundle_with

PAYLOADS = (
    "<script>alert('model')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(2)",
    "</textarea><svg onload=alert(3)>",
    "{{7*7}} ${7*7} {% raw %}",
)
DASH = "\u2013"
"""What an empty cell shows (an en dash)."""
HOSTILE_RUNS = 3
"""Runs named by the first three payloads; their completions carry all five."""
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RUNS: tuple[tuple[FakeRun, int | None], ...] = (
    (FakeRun("org/steady-7B", 0.7), 7_615_616_512),
    (FakeRun("Qwen/Qwen3-30B-A3B", 0.6, seed=2), QWEN3_30B_A3B),
    (FakeRun("org/fragile-1.5B", 0.55, seed=3), None),
)


RANKED = len(RUNS) + HOSTILE_RUNS
"""Runs on the index, each ranked."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Release]:
    root = tmp_path_factory.mktemp("site")
    release = reader_release(root)
    # Local models may have any printable ASCII name (Hub ids cannot hold these): the payloads reach every view
    # as the shown name (the folder's last part) and in the completions.
    runs = list(RUNS)
    runs += [
        (FakeRun(PAYLOADS[i], 0.5, seed=i, text=f"evil {PAYLOADS[i]} {PAYLOADS[i + 2]} text", kind="local"), None)
        for i in range(HOSTILE_RUNS)
    ]
    for i, (run, parameters) in enumerate(runs):
        write_bundle_with(root / "bundles" / f"b{i}", run, release, parameters)
    verdicts = build_database([str(root / "bundles")], root / "lb.duckdb", [release], root / "site")
    assert [v.status for v in verdicts] == ["accepted"] * len(runs), [v.reason for v in verdicts]
    return root / "site", release


@pytest.fixture(scope="module")
def site(built: tuple[Path, Release]) -> Path:
    return built[0]


def open_page(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.extend([f"console {m.type}: {m.text}"] if m.type == "error" else []))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def dialog(d: Dialog) -> None:
        problems.append(f"dialog fired: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(url)
    return page, problems


def column(page: Page, index: int, attribute: bool = False) -> list[str]:
    """The visible rows' cells of a column (1-based), as text or as their sort value."""
    read = "c => c.dataset.value" if attribute else "c => c.textContent.trim()"
    return page.eval_on_selector_all(
        f"#leaderboard tbody tr:not([hidden]) > :nth-child({index})", f"cells => cells.map({read})"
    )


def test_index_ranks_by_shared_recoverability_by_default(browser: Browser, site: Path) -> None:
    page, problems = open_page(browser, (site / "index.html").as_uri())
    headings = page.eval_on_selector_all("#leaderboard thead th", "h => h.map(x => x.textContent.trim())")
    assert headings[:5] == ["rank", "model", "size (B)", "recoverability (shared)", "benchmark"]
    assert page.get_by_role("button", name="recoverability (shared)").get_attribute("aria-sort") == "descending"
    assert page.locator("#leaderboard tbody tr").count() == RANKED + 15  # the runs + the paper's 15 models
    values = [float(v) for v in column(page, 4, attribute=True) if v]
    assert values == sorted(values, reverse=True) and len(values) == RANKED + 15
    ours = [float(v) for v, r in zip(column(page, 4, attribute=True), column(page, 1), strict=True) if r != DASH]
    ranks = [r for r in column(page, 1) if r != DASH]
    assert ours == sorted(ours, reverse=True) and len(ours) == RANKED
    assert ranks == [str(1 + sum(w > v for w in ours)) for v in ours]  # 1, 2, 2, 4: equal scores share a place
    assert ranks[0] == "1" and len(set(ranks)) > 1
    sizes = dict(zip(column(page, 2), column(page, 3), strict=True))
    assert (
        sizes["Qwen/Qwen3-30B-A3B"] == "30.5" and sizes["org/steady-7B"] == "7.6" and sizes["org/fragile-1.5B"] == "?"
    )
    reported = page.locator("tr.reported").first
    assert "reported in the paper" in reported.inner_text() and reported.locator("td.rank").inner_text() == DASH
    page.get_by_role("button", name="recoverability (shared)").click()  # it was descending: now ascending
    values = [float(v) for v in column(page, 4, attribute=True) if v]
    assert values == sorted(values)
    page.get_by_role("button", name="rank", exact=True).click()  # ascending first: 1, 2, ..., then the paper's rows
    assert column(page, 1) == ranks + [DASH] * 15
    page.uncheck("#filter-paper")
    assert page.locator("#leaderboard tbody tr:not([hidden])").count() == RANKED
    page.check("#filter-paper")
    page.fill("#filter-name", "fragile")
    visible = page.locator("#leaderboard tbody tr:not([hidden])")
    assert visible.count() == 1 and "org/fragile-1.5B" in visible.inner_text()
    page.fill("#filter-name", "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
    assert problems == []


def test_model_page_shows_its_facts_scores_and_result_json(browser: Browser, site: Path) -> None:
    page, problems = open_page(browser, (site / "index.html").as_uri())
    rank = page.locator("#leaderboard tbody tr.run", has_text="Qwen/Qwen3-30B-A3B").locator("td.rank").inner_text()
    page.get_by_role("link", name="Qwen/Qwen3-30B-A3B").click()
    assert page.locator("h1").inner_text() == "Qwen/Qwen3-30B-A3B"
    assert page.locator("#fact-rank").inner_text().startswith(f"{rank} by shared recoverability")
    assert page.locator("#fact-revision code").inner_text() == "0" * 40
    assert page.locator("#fact-date").inner_text() == "2026-11-26 00:00 UTC"
    assert page.locator("#fact-size").inner_text() == "30.53 B parameters (30,532,122,624)"
    scores = page.eval_on_selector_all(
        "#score-table tbody tr", "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))"
    )
    assert [s[0] for s in scores][:3] == ["recoverability (shared)", "coverage of the shared subset", "benchmark"]
    for line in scores:  # a score with its interval, or a dash where the run has no items for it
        assert re.fullmatch(r"\d+\.\d", line[1]) or line[1:3] == [DASH, ""], line
        assert (
            re.fullmatch(r"\d+\.\d \u2013 \d+\.\d", line[2])
            or line[0] == "coverage of the shared subset"
            or not line[2]
        )
    settings = dict(
        page.eval_on_selector_all(
            "#settings-table tr", "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"
        )
    )
    assert settings["temperature"] == "0.6" and settings["samples per question (solo)"] == "8"
    chart = page.locator("#chart-recoverability")
    assert chart.get_attribute("data-points") == "5" and chart.get_attribute("alt")
    svg = (Path(page.url[len("file://") :]).parent / (chart.get_attribute("src") or "")).read_text()
    series = re.search(r'<g id="series-0">(.*?)</g>\s*</g>', svg, re.S)
    assert series and series.group(1).count("<use") == 5  # one marker per insertion position
    page.screenshot(path=str(ARTIFACTS / "model.png"), full_page=True)
    shown = {line[0]: line for line in scores}
    page.click("#result-link")  # the link works: the browser shows the run's result.json
    result = json.loads(page.inner_text("body"))
    assert result["model"]["parameters"] == QWEN3_30B_A3B
    for label, score in (
        ("benchmark", result["metrics"]["solo"]["macro"]),
        ("recoverability (shared)", result["metrics"]["recoverability"]["shared"]["mean"]),
    ):
        interval = f"{100 * score['ci_low']:.1f} \u2013 {100 * score['ci_high']:.1f}"
        assert shown[label][1:5] == [
            f"{100 * score['value']:.1f}",
            interval,
            str(score["n"]),
            str(score["generations"]),
        ]
    assert problems == []


def test_sample_browser_shows_question_gold_answer_and_the_steer_parts(
    browser: Browser, built: tuple[Path, Release]
) -> None:
    site, release = built
    asked = {q.id: q for q in release.questions}
    page, problems = open_page(browser, (site / "index.html").as_uri())
    page.get_by_role("link", name="org/steady-7B").click()
    labels = page.eval_on_selector_all("#group option", "o => o.map(x => x.textContent)")
    page.select_option(
        "#group", index=next(i for i, x in enumerate(labels) if x.startswith("recoverability / shared / 20%"))
    )
    page.click("#load")
    page.locator("#samples li").first.wait_for()
    shown = page.locator("#samples li.sample").all()
    assert shown
    for sample in shown:
        qid = sample.locator(".head strong").inner_text().split(" #")[0]
        assert sample.locator("pre.question").inner_text() == asked[qid].problem  # joined from the release
        assert sample.locator(".gold").inner_text() == asked[qid].answer
        graded = sample.locator(".graded-answer").inner_text()
        assert ("correct" in (sample.get_attribute("class") or "")) == (graded == asked[qid].answer)
        parts = sample.locator(".part-label").all_inner_texts()
        assert parts == ["Question", "Own prefix (the model's own reasoning)", "Transition", "Steer", "Continuation"]
        assert sample.locator("pre.own").inner_text() and sample.locator("pre.steer").inner_text()
        assert sample.locator("pre.transition").inner_text().strip() == "Let me think."
        assert "\\boxed{" in sample.locator("pre.completion").inner_text()
    page.screenshot(path=str(ARTIFACTS / "samples.png"), full_page=True)
    page.select_option("#group", index=next(i for i, x in enumerate(labels) if x.startswith("solo")))
    for outcome in ("correct", "wrong"):  # the hostile question sorts first: it leads one of the two lists
        page.select_option("#outcome", outcome)
        page.click("#load")
        first = page.locator("#samples li").first
        first.wait_for()
        if first.locator(".head strong").inner_text() == f"{HOSTILE_ID} #0":
            break
    assert first.locator("pre.question").inner_text() == HOSTILE_QUESTION  # the release's text, as text
    assert first.locator(".part-label").all_inner_texts() == ["Question", "Completion (no steer)"]
    assert page.locator("#samples img, #samples script, #samples svg").count() == 0
    assert problems == []


def test_compare_view_has_axis_titles_intervals_and_the_paper_rows(browser: Browser, site: Path) -> None:
    page, problems = open_page(browser, (site / "compare.html").as_uri())
    for chart in ("#compare-chart", "#compare-scores"):
        titles = page.eval_on_selector_all(f"{chart} .axis-title", "t => t.map(x => x.textContent)")
        assert titles[1] == "% correct (95% interval)" and titles[0]
    assert page.locator("#compare-chart .x-title").text_content() == (
        "insertion position of the distractor (% of the model's own reasoning)"
    )
    assert page.locator("#compare-chart .series").count() == 2
    data = json.loads((site / "compare-data.js").read_text()[len("window.suiteCompare = ") : -len(";\n")])
    first, second = data["runs"][:2]  # the two best ranked runs are chosen first
    with_interval = sum(p[2] is not None for run in (first, second) for p in run["shared"])
    assert page.locator("#compare-chart .error-bar").count() == with_interval == 10  # five positions, two models
    headline = sum(s[1] is not None for run in (first, second) for s in run["scores"])
    assert page.locator("#compare-scores .error-bar").count() == headline >= 8  # up to five headline scores each
    tips = page.eval_on_selector_all("#compare-chart .series title", "t => t.map(x => x.textContent)")
    assert all(re.search(r": \d+\.\d% \[\d+\.\d, \d+\.\d\]$", tip) for tip in tips)
    options = page.eval_on_selector_all("#compare-b option", "o => o.map(x => x.textContent)")
    assert not any("reported in the paper" in o for o in options)
    page.check("#compare-paper")
    options = page.eval_on_selector_all("#compare-b option", "o => o.map(x => x.textContent)")
    assert sum("(reported in the paper)" in o for o in options) == 15
    page.select_option("#compare-b", label="deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B (reported in the paper)")
    paper = page.locator('#compare-scores .series[data-series="1"]')
    assert paper.locator("circle, rect").count() == 5 and paper.locator(".error-bar").count() == 0
    assert page.locator('#compare-chart .series[data-series="1"]').count() == 0  # no per-position figures
    assert "R1-Distill-Qwen-1.5B (reported in the paper, no intervals)" in page.inner_text("#scores-caption")
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    assert problems == []


def test_injected_payloads_render_as_text(browser: Browser, site: Path) -> None:
    shown = [display_name({"id": p, "kind": "local", "revision": "0" * 40}) for p in PAYLOADS[:HOSTILE_RUNS]]
    for url in [(site / "index.html").as_uri(), (site / "compare.html").as_uri()]:
        page, problems = open_page(browser, url)
        text = page.inner_text("body")
        for name in shown:
            assert name in text  # shown as text, templates not evaluated ({{7*7}} stays)
        assert page.locator("img[src=x], svg[onload], script:not([src])").count() == 0
        assert problems == []
    page, problems = open_page(browser, (site / "index.html").as_uri())
    for link in page.locator("#leaderboard a").all():
        assert re.fullmatch(r"models/[0-9a-f]{16}\.html", link.get_attribute("href") or "")
    page.get_by_role("link", name=shown[0]).click()
    assert page.locator("#hub-link").count() == 0  # a local model has no Hub page
    page.click("#load")
    page.locator("#samples li").first.wait_for()
    assert PAYLOADS[0] in page.inner_text("#samples") and PAYLOADS[2] in page.inner_text("#samples")
    assert page.locator("#samples script, #samples img, #samples svg").count() == 0
    page.screenshot(path=str(ARTIFACTS / "hostile.png"), full_page=True)
    assert problems == []
