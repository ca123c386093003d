"""The archive in headless Chromium from file://: landmarks, no sideways scroll, axe-core, pagination."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.axe_helpers import assert_accessible
from tests.conftest import ARTIFACTS
from tests.preview_helpers import CHROMIUM_ARGS
from tests.site_helpers import add_issues

PUBLISHED = ["2024-03-08-market", "2024-02-09-ferry", "2024-01-12-new-year"]


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Launch Debian's chromium headless through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser: Any, url: str, width: int, scheme: str) -> Any:
    """Open a page of the site offline (nothing but the site's own files loads) at a width and colour scheme."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.route("http*://**", lambda route: route.abort())
    page.goto(url)
    return page


@pytest.mark.browser
def test_front_page_and_issue_pages_are_accessible_light_and_dark_at_phone_width(publication, run, browser):
    pub = publication("archive")
    run("archive", cwd=pub)
    out = pub / "dist" / "site"
    ARTIFACTS.mkdir(exist_ok=True)
    for path in [out / "index.html", *(out / slug / "index.html" for slug in PUBLISHED)]:
        for scheme in ("light", "dark"):
            for width in (375, 1440):
                page = open_page(browser, path.as_uri(), width, scheme)
                try:
                    label = f"{path.relative_to(out)} at {width} px, {scheme}"
                    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"sideways scroll: {label}"
                    assert page.locator("main").count() == 1 and page.locator("h1").count() == 1, label
                    assert page.locator("meta[property='og:title']").count() == 1, label
                    if width == 375:
                        assert_accessible(page, label)
                    if path.parent == out:
                        page.screenshot(path=str(ARTIFACTS / f"archive-index-{width}-{scheme}.png"), full_page=True)
                finally:
                    page.close()
    page = open_page(browser, (out / "index.html").as_uri(), 1440, "dark")
    try:
        kicker = page.locator(".nl-kicker").evaluate("el => getComputedStyle(el).color")
        assert kicker == "rgb(232, 230, 227)", "the accent red is too dark on the dark page: it turns light"
        page.get_by_role("link", name="Ferries & fares: what changes in March").click()
        page.wait_for_load_state("load")
        assert page.url == (out / PUBLISHED[1] / "index.html").as_uri()
        page.get_by_role("link", name=re.compile("Newer issue")).click()
        page.wait_for_load_state("load")
        assert page.url == (out / PUBLISHED[0] / "index.html").as_uri()
    finally:
        page.close()


@pytest.mark.browser
def test_pagination_links_work_from_file_urls(publication, run, browser):
    pub = publication("archive")
    add_issues(pub, PUBLISHED[2], 52)
    result = run("archive", "--jobs", "2", cwd=pub)
    assert "rebuilt 55 of 55 issue(s)" in result.stdout
    out = pub / "dist" / "site"
    assert (out / "page" / "2" / "index.html").is_file() and not (out / "page" / "3").exists()
    page = open_page(browser, (out / "index.html").as_uri(), 1024, "light")
    try:
        assert page.locator("main h2 a, main h3 a").count() == 50
        assert page.locator(".nl-pages [aria-current='page']").inner_text() == "1"
        page.get_by_role("link", name="Older issues").click()
        page.wait_for_load_state("load")
        assert page.url == (out / "page" / "2" / "index.html").as_uri()
        assert page.title() == "The Harbour Light: issues, page 2"
        assert page.locator("main h3 a").all_inner_texts() == [f"Extra issue {n}" for n in (5, 4, 3, 2, 1)]
        assert page.locator("link[rel='icon']").get_attribute("href") == "../../favicon.svg"
        icon = page.evaluate("() => document.querySelector(\"link[rel='icon']\").href")
        assert icon == (out / "favicon.svg").as_uri()
        assert_accessible(page, "page 2 of the front pages")
        page.get_by_role("link", name="Extra issue 3").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/2023-01-03-extra-3/index.html")
        assert page.locator("h1").inner_text() == "Extra issue 3"
        page.go_back()
        page.get_by_role("link", name="Page 1").click()
        page.wait_for_load_state("load")
        assert page.url == (out / "index.html").as_uri()
    finally:
        page.close()
