"""The static site in a real browser (Debian Chromium through Playwright), from file://, with hostile bundles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from suite.leaderboard import build_database
from suite.release import load_release
from tests.leaderboard.bundles import FakeRun, write_fake_bundle
from tests.leaderboard.chromium import CHROMIUM, FLAGS

PAYLOADS = (
    "<script>alert('model')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(2)",
    "</textarea><svg onload=alert(3)>",
    "{{7*7}} ${7*7} {% raw %}",
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def site(arith_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    release = load_release(arith_release)
    root = tmp_path_factory.mktemp("site")
    runs = [FakeRun("org/steady-7B", 0.75), FakeRun("org/fragile-1.5B", 0.55, seed=3)]
    # Local models may have any printable ASCII name (Hub ids cannot hold these): the payloads reach every view.
    runs += [FakeRun(p, 0.5, seed=i, text=f"evil {p} text", questions=30, kind="local") for i, p in enumerate(PAYLOADS)]
    for i, run in enumerate(runs):
        run = FakeRun(
            **{**run.__dict__, "release_version": release.version, "manifest_sha256": release.manifest_sha256}
        )
        write_fake_bundle(root / "bundles" / f"b{i}", run)
    verdicts = build_database([str(root / "bundles")], root / "lb.duckdb", [release], root / "site")
    assert [v.status for v in verdicts] == ["accepted"] * len(runs)
    return root / "site"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium (see the README's test command)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


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


def test_index_sorts_filters_and_marks_paper_rows(browser: Browser, site: Path) -> None:
    page, problems = open_page(browser, (site / "index.html").as_uri())
    rows = page.locator("#leaderboard tbody tr")
    assert rows.count() == 7 + 15  # seven runs + the paper's 15 models
    assert page.locator("tr.reported").count() == 15
    assert "reported in the paper, not run by this suite" in page.locator("tr.reported").first.inner_text()
    page.get_by_role("button", name="recoverability shared").click()
    values = [
        float(v)
        for v in page.eval_on_selector_all(
            "#leaderboard tbody tr:not([hidden]) td:nth-child(4)",
            "cells => cells.map(c => c.dataset.value).filter(Boolean)",
        )
    ]
    assert values == sorted(values, reverse=True) and len(values) >= 7
    page.fill("#filter-name", "fragile")
    visible = page.locator("#leaderboard tbody tr:not([hidden])")
    assert visible.count() == 1 and "org/fragile-1.5B" in visible.inner_text()
    page.fill("#filter-name", "")
    page.uncheck("#filter-paper")
    assert page.locator("#leaderboard tbody tr:not([hidden])").count() == 7
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
    assert problems == []


def test_model_page_chart_and_sample_browser(browser: Browser, site: Path) -> None:
    page, problems = open_page(browser, (site / "index.html").as_uri())
    page.get_by_role("link", name="org/steady-7B").click()
    chart = page.locator("#chart-recoverability")
    assert chart.get_attribute("data-points") == "5" and chart.get_attribute("alt")
    svg = (Path(page.url[len("file://") :]).parent / (chart.get_attribute("src") or "")).read_text()
    series = re.search(r'<g id="series-0">(.*?)</g>\s*</g>', svg, re.S)
    assert series and series.group(1).count("<use") == 5  # one marker per insertion position
    labels = page.eval_on_selector_all("#group option", "o => o.map(x => x.textContent)")
    pick = next(i for i, label in enumerate(labels) if label.startswith("recoverability / shared / 20%"))
    page.select_option("#group", index=pick)
    page.select_option("#outcome", "wrong")
    page.click("#load")
    first = page.locator("#samples li").first
    first.wait_for()
    assert "wrong" in (first.get_attribute("class") or "")
    assert first.locator(".transition").inner_text().strip() == "Wait. Let me think."
    assert "\\boxed{41}" in first.locator(".completion").inner_text()
    page.screenshot(path=str(ARTIFACTS / "model.png"), full_page=True)
    assert problems == []


def test_injected_payloads_render_as_text(browser: Browser, site: Path) -> None:
    for url in [(site / "index.html").as_uri(), (site / "compare.html").as_uri()]:
        page, problems = open_page(browser, url)
        text = page.inner_text("body")
        for payload in PAYLOADS:
            assert payload in text  # shown as text, templates not evaluated ({{7*7}} stays)
        assert page.locator("img[src=x], svg[onload], script:not([src])").count() == 0
        assert problems == []
    page, problems = open_page(browser, (site / "index.html").as_uri())
    for link in page.locator("#leaderboard a").all():
        assert re.fullmatch(r"models/[0-9a-f]{16}\.html", link.get_attribute("href") or "")
    page.get_by_role("link", name=PAYLOADS[0]).click()
    page.click("#load")
    page.locator("#samples li").first.wait_for()
    assert "evil" in page.inner_text("#samples")
    assert page.locator("#samples script, #samples img, #samples svg").count() == 0
    page.screenshot(path=str(ARTIFACTS / "hostile.png"), full_page=True)
    assert problems == []
