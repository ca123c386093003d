"""The preview as an editor works in it all day: findings panel, synced views, reader switch, settings, editor."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.axe_helpers import assert_accessible
from tests.conftest import ARTIFACTS
from tests.preview_helpers import CHROMIUM_ARGS, WAIT_MS, serve, wait_for
from tests.site_helpers import recording_editor

SLUG = "2024-05-01-spring"
REPEATED = "The council agreed the new budget for the harbour wall on Tuesday."
SCROLL_Y = "body => body.ownerDocument.defaultView.scrollY"


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Launch Debian's chromium headless through Playwright."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(browser: Any, width: int = 1440, height: int = 900, scheme: str = "light") -> Any:
    """Return a page in a fresh context (its own localStorage)."""
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


@pytest.fixture
def long_issue(publication, monkeypatch) -> Path:
    """Return the basic fixture with a long fourth story and a fifth one whose sentence repeats (an error)."""
    monkeypatch.delenv("EDITOR", raising=False)
    pub = publication()
    issue = pub / "issues" / SLUG
    lead = issue / "01-lead.md"  # its javascript: link is a check error of its own; this test wants one error
    lead.write_text(lead.read_text().replace('<a href="javascript:alert(1)">bad link</a>\n', ""))
    paragraphs = "\n\n".join(f"Paragraph {n} of the long story, about the harbour and the ferry timetable, "
                             "told at length so that the email is much taller than the window." for n in range(30))
    (issue / "04-long.md").write_text(f"# The long story\n\n{paragraphs}\n")
    (issue / "05-case.md").write_text(f"# Case story\n\n{REPEATED}\n\nMore later.\n\n{REPEATED}\n")
    return pub


def frame_body(page: Any, frame: str) -> Any:
    """Return the body of one of the views."""
    return page.frame_locator(frame).locator("body")


@pytest.mark.browser
def test_clicking_a_finding_scrolls_both_views_to_its_story_and_the_views_scroll_together(long_issue, browser):
    from playwright.sync_api import expect

    with serve(long_issue, "--port", "0") as served:
        page = new_page(browser)
        statuses: list[tuple[int, str]] = []
        page.on("response", lambda r: statuses.append((r.status, r.url)))
        page.goto(served.url)
        case = page.locator("#findings li", has_text=f"issues/{SLUG}/05-case.md:7")
        expect(case).to_have_class(re.compile(r"\berror\b"))
        expect(page.frame_locator("#desktop-frame").get_by_text("Case story", exact=True)).to_be_visible()
        expect(case.locator("code.loc")).to_have_text(f"issues/{SLUG}/05-case.md:7")
        expect(page.locator("#editor-note")).to_contain_text("set `editor` in [preview]")
        panel, frames = page.locator("#panel").bounding_box(), page.locator("#phone-frame").bounding_box()
        assert panel["x"] >= frames["x"] + frames["width"], "the findings sit beside the views at 1440 px"
        assert page.locator("#desktop-frame").bounding_box()["height"] > 700, "the views take the window's height"

        case.locator("button.finding").click()
        expect(case).to_have_class(re.compile(r"\bselected\b"))
        for frame in ("#desktop-frame", "#phone-frame"):
            found = page.frame_locator(frame).locator("[data-nl-found]")
            expect(found).to_have_count(1)
            expect(found).to_contain_text("Case story")
            shown = "el => [el.getBoundingClientRect().top, el.ownerDocument.defaultView.innerHeight]"
            assert wait_for(lambda f=found, s=shown: 0 <= f.evaluate(s)[0] <= f.evaluate(s)[1] / 2), \
                f"{frame} shows the story in the top half of the view"
            assert frame_body(page, frame).evaluate(SCROLL_Y) > 500

        desktop, phone = frame_body(page, "#desktop-frame"), frame_body(page, "#phone-frame")
        desktop.evaluate("b => b.ownerDocument.defaultView.scrollTo(0, 0)")
        assert wait_for(lambda: phone.evaluate(SCROLL_Y) == 0), "the phone view follows the desktop view"
        top_of_long = ("b => { const h = [...b.querySelectorAll('h2')].find(e => e.textContent === 'The long story');"
                       " return h.getBoundingClientRect().top + b.ownerDocument.defaultView.scrollY; }")
        desktop.evaluate(f"b => b.ownerDocument.defaultView.scrollTo(0, ({top_of_long})(b))")
        assert wait_for(lambda: abs(phone.evaluate(top_of_long) - phone.evaluate(SCROLL_Y)) < 120), \
            "story by story: the phone shows the story the desktop shows"
        page.uncheck("#sync-scroll")
        before = phone.evaluate(SCROLL_Y)
        desktop.evaluate("b => b.ownerDocument.defaultView.scrollTo(0, 0)")
        time.sleep(0.5)
        assert phone.evaluate(SCROLL_Y) == before, "unticked, each view scrolls on its own"
        page.context.close()
    assert not [s for s in statuses if s[0] >= 400], f"no failed requests (a favicon 404 either): {statuses}"


@pytest.mark.browser
def test_reader_switch_changes_the_greeting_and_settings_survive_a_reload(publication, browser):
    from playwright.sync_api import expect

    pub = publication()
    with serve(pub, "--port", "0") as served:
        page = new_page(browser)
        page.goto(served.url)
        greeting = page.frame_locator("#desktop-frame").get_by_text(re.compile(r"^Good morning, "))
        expect(greeting).to_have_text("Good morning, Ada.")
        page.select_option("#reader", "anonymous")
        expect(greeting).to_have_text("Good morning, reader.")
        expect(page.frame_locator("#phone-frame").get_by_text(re.compile(r"^Good morning, "))).to_have_text(
            "Good morning, reader.")
        page.select_option("#scheme", "dark")
        page.uncheck("#show-phone")
        page.uncheck("#sync-scroll")
        page.click("#check-count")
        expect(page.locator("#panel")).to_be_hidden()
        page.click("#tab-text")
        expect(page.locator("#text")).to_contain_text("Good morning, reader.")

        page.reload()
        expect(page.locator("#text")).to_contain_text("Good morning, reader.")
        expect(page.locator("#text")).to_be_visible()
        assert page.locator("#reader").input_value() == "anonymous"
        assert page.locator("#scheme").input_value() == "dark"
        assert not page.locator("#show-phone").is_checked() and not page.locator("#sync-scroll").is_checked()
        expect(page.locator("#panel")).to_be_hidden()
        page.click("#tab-email")
        expect(page.locator("#phone")).to_be_hidden()
        card = page.frame_locator("#desktop-frame").locator(".nl-card td").first
        expect(card).to_have_css("background-color", "rgb(30, 30, 30)")
        expect(greeting).to_have_text("Good morning, reader.")
        page.context.close()


@pytest.mark.browser
def test_status_verdict_and_a_finding_opened_in_the_editor(publication, browser, tmp_path):
    from playwright.sync_api import expect

    pub = publication()
    record = recording_editor(pub, tmp_path)
    toml = pub / "issues" / SLUG / "issue.toml"
    toml.write_text(toml.read_text() + 'status = "draft"\n')
    with serve(pub, "--port", "0") as served:
        page = new_page(browser, 1024, 768)
        page.goto(served.url)
        expect(page.locator("#issue-status")).to_have_text("draft")
        expect(page.locator("#verdict")).to_have_text("1 error stops export")
        expect(page.locator("#verdict")).to_have_class(re.compile(r"\bbad\b"))
        expect(page.locator("#panel")).to_be_hidden()  # narrower than 1280 px: the panel waits to be asked for
        page.click("#check-count")
        link = page.locator("#findings li.error a.loc")
        expect(link).to_have_text(f"issues/{SLUG}/01-lead.md:13")
        link.click()
        expect(page.locator("#editor-note")).to_have_text(f"opened issues/{SLUG}/01-lead.md:13")
        assert wait_for(record.exists)
        assert record.read_text() == f"{(pub / 'issues' / SLUG / '01-lead.md').resolve()}:13"
        page.context.close()


@pytest.mark.browser
def test_the_page_follows_the_system_dark_mode_fits_a_phone_and_is_looked_at(long_issue, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(long_issue, "--port", "0") as served:
        for width, height in ((1440, 900), (375, 812)):
            for scheme in ("light", "dark"):
                page = new_page(browser, width, height, scheme)
                page.goto(served.url)
                page.frame_locator("#phone-frame").get_by_text("Case story", exact=True).wait_for()
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert (background == "rgb(21, 24, 28)") == (scheme == "dark"), background
                assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scroll"
                if width == 375:
                    assert page.locator("#desktop").is_hidden(), "a phone shows the phone view first"
                    box = page.locator("#phone-frame").bounding_box()
                    assert box["x"] >= 0 and box["x"] + box["width"] <= width
                page.wait_for_timeout(300)
                page.screenshot(path=str(ARTIFACTS / f"preview-{width}-{scheme}.png"), full_page=width < 700)
                if width == 1440:
                    assert_accessible(page, f"the preview page, {scheme}", {"exclude": [["iframe"]]})
                page.context.close()
