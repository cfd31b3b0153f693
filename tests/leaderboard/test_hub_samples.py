"""The sample browser reads a run's full samples from the dataset repository, cross-origin, in Debian Chromium.

The site is served by one loopback HTTP server; the samples were published (``publish_samples``, real
``huggingface_hub`` calls) to the Hub stand-in, a second server on another port that, like the Hub,
answers file reads with ``Access-Control-Allow-Origin: *``. The samples the browser shows exist only on
that second server: the site's own files keep ``SITE_SAMPLES_PER_TEST`` of each test.
"""

from __future__ import annotations

import functools
import html
import json
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from suite.leaderboard import build_database
from suite.leaderboard._samples_hub import SITE_SAMPLES_PER_TEST, publish_samples
from tests.leaderboard.bundles import FakeRun
from tests.leaderboard.test_pages import reader_release, write_bundle_with
from tests.release.hub_standin import HubStandIn

REPO = "suite-org/leaderboard-samples"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/favicon.ico":  # Chromium asks for it; the site has none (not a failure of the page)
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, HubStandIn, Path, str]]:
    """(site URL, Hub stand-in, site folder, run id): a verified run published, the site rebuilt and served."""
    from huggingface_hub import constants

    root = tmp_path_factory.mktemp("hub-samples")
    release = reader_release(root)
    write_bundle_with(root / "verified" / "org--steady" / ("a" * 12), FakeRun("org/steady-7B", 0.7), release, None)
    db, site = root / "lb.duckdb", root / "site"
    with pytest.MonkeyPatch.context() as patch, HubStandIn() as hub:
        patch.setattr(constants, "HF_HUB_OFFLINE", False)
        verdicts = build_database([], db, [release], site, jobs=1, verified=[str(root / "verified")])
        assert [v.status for v in verdicts] == ["accepted"], [v.reason for v in verdicts]
        (run,) = publish_samples(db, REPO, token=hub.token, endpoint=hub.url)
        build_database([], db, [release], site, jobs=1, verified=[str(root / "verified")])  # now with the link
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}", hub, site, run.run_id
        finally:
            server.shutdown()
            server.server_close()


def local_solo_samples(site: Path, run_id: str) -> set[str]:
    """``question #sample`` of every solo sample in the site's own chunk files of the run."""
    page = (site / "models" / f"{run_id[:16]}.html").read_text()
    options = re.findall(r'<option value="(\d+)" data-c="\d+" data-w="\d+">([^<]*)</option>', page)
    solo = {int(i) for i, label in options if html.unescape(label).startswith("solo (")}
    found: set[str] = set()
    for chunk in (site / "models" / run_id[:16]).glob("g*.js"):
        match = re.fullmatch(r'window\.suiteChunk\((\d+), "[cw]", \d+, (.*)\);\n', chunk.read_text(), re.S)
        assert match is not None, chunk.name
        if int(match[1]) in solo:
            found.update(f"{s['q']} #{s['k']}" for s in json.loads(match[2]))
    return found


def open_model_page(browser: Browser, url: str) -> tuple[Page, list[str], list[str]]:
    """The page, the problems it reported (console errors, page errors) and every URL it requested."""
    page = browser.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.extend([f"console {m.type}: {m.text}"] if m.type == "error" else []))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: problems.extend([f"HTTP {r.status}: {r.url}"] if r.status >= 400 else []))
    return page, problems, requests


def load_solo(page: Page) -> list[str]:
    """Pick the solo group, load its first chunk, and return the shown samples' ``question #sample``."""
    label = page.eval_on_selector_all("#group option", "o => o.map(x => x.textContent)")
    page.select_option("#group", index=next(i for i, text in enumerate(label) if text.startswith("solo (")))
    page.click("#load")
    page.wait_for_selector("#samples li.sample")
    return page.eval_on_selector_all("#samples li.sample .head strong", "s => s.map(x => x.textContent)")


def test_the_browser_shows_samples_that_only_the_second_server_holds(
    browser: Browser, served: tuple[str, HubStandIn, Path, str]
) -> None:
    url, hub, site, run_id = served
    remote = f"{hub.url}/datasets/{REPO}/resolve/{hub.repos[REPO].commits[-1].sha}/runs/{run_id}/chunks/"
    assert url.rsplit(":", 1)[1] != hub.url.rsplit(":", 1)[1]  # two origins: another port
    local = local_solo_samples(site, run_id)
    assert 0 < len(local) <= SITE_SAMPLES_PER_TEST

    page, problems, requests = open_model_page(browser, f"{url}/models/{run_id[:16]}.html")
    page.goto(f"{url}/models/{run_id[:16]}.html")
    page.wait_for_function("document.querySelector('.samples-source').textContent.startsWith('All samples')")
    assert page.inner_text(".samples-source") == f"All samples of this run, from {remote}"
    options = page.eval_on_selector_all("#group option", "o => o.map(x => x.textContent)")
    assert "solo (128)" in options  # 16 questions x 8 samples: the full count, not the site's 20
    shown = load_solo(page)
    assert len(shown) > SITE_SAMPLES_PER_TEST and len(set(shown)) == len(shown)
    only_remote = set(shown) - local
    assert only_remote, "every shown sample is also in the site's own files: nothing came from the second server"
    assert page.locator("#samples li.sample .question").first.inner_text()  # the release's question beside it
    fetched = [r for r in requests if r.startswith(remote)]
    assert f"{remote}index.json" in fetched and any(re.search(r"/g\d+-[cw]0\.json$", r) for r in fetched)
    assert not any(re.search(r"/g\d+-[cw]\d+\.js$", r) for r in requests)  # no local chunk was read
    assert problems == []
    page.close()


def test_when_the_second_server_is_unreachable_the_sites_own_sample_is_shown(
    browser: Browser, served: tuple[str, HubStandIn, Path, str]
) -> None:
    url, hub, site, run_id = served
    page, problems, _ = open_model_page(browser, url)
    page.route(f"{hub.url}/**", lambda route: route.abort())
    page.goto(f"{url}/models/{run_id[:16]}.html")
    page.wait_for_function("document.querySelector('.samples-source').textContent.startsWith('The full samples')")
    assert "showing the site's own sample of each test" in page.inner_text(".samples-source")
    shown = load_solo(page)
    assert set(shown) <= local_solo_samples(site, run_id) and 0 < len(shown) <= SITE_SAMPLES_PER_TEST
    assert all("Failed to load resource" in p or "ERR_FAILED" in p for p in problems), problems
    page.close()
