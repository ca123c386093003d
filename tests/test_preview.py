"""`newsletter preview`: a real server on a free port, driven by Debian's chromium through Playwright."""

from __future__ import annotations

import json
import re
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from newsletter.config import load_settings
from newsletter.preview import Preview, PreviewServer
from newsletter.preview.checks import NOT_AVAILABLE, run_checks
from newsletter.preview.views import email_view
from tests.preview_helpers import CHROMIUM_ARGS, serve, write

SLUG = "2024-05-01-spring"
LEAD = Path("issues") / SLUG / "01-lead.md"
TRAVERSALS = [
    "/../newsletter.toml",
    "/%2e%2e/newsletter.toml",
    "/%2E%2E/%2E%2E/etc/passwd",
    "/..%2fnewsletter.toml",
    f"/issue/{SLUG}/../../newsletter.toml",
    f"/issue/{SLUG}/%2e%2e/%2e%2e/newsletter.toml",
    f"/issue/{SLUG}/images/..%2f01-lead.md",
    f"/issue/{SLUG}/images/%2e%2e%2f%2e%2e%2fnewsletter.toml",
    f"/issue/{SLUG}/01-lead.md",
    f"/issue/{SLUG}/issue.toml",
    "/issue/..%2f..%2fnewsletter.toml/state.json",
    "/assets/..%2f..%2fnewsletter.toml",
    "/assets/index.html",
    "/assets/%2e%2e/state.py",
    "/newsletter.toml",
    "/issues/2024-05-01-spring/01-lead.md",
    "/dist/",
    "//etc/passwd",
    "/issue/%00/state.json",
]


def title(page: Any, text: str, frame: str = "#desktop-frame") -> Any:
    """Return the locator of a story title inside one of the page's frames."""
    return page.frame_locator(frame).get_by_text(text, exact=True)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[object]:
    """Launch Debian's chromium headless through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """Return a fresh browser page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_page_shows_the_issue_in_both_frames_and_updates_without_reload(publication, page):
    from playwright.sync_api import expect

    pub = publication()
    with serve(pub, "--port", "0") as served:
        page.goto(served.url)
        for frame in ("#desktop-frame", "#phone-frame"):
            expect(title(page, "Blossom arrives late", frame)).to_be_visible(timeout=15000)
        expect(page.locator("#subject")).to_have_text("Spring, mostly")
        expect(page.locator("#preheader")).to_contain_text("Three stories about the season")
        expect(page.locator("#sender")).to_have_text("Fixture Weekly")
        expect(page.locator("#size")).to_contain_text(re.compile(r"email\.html \d+\.\d KB of Gmail's 102\.0 KB"))
        expect(page.locator("#issues option")).to_have_count(1)
        desktop = page.frame_locator("#desktop-frame").locator("body")
        phone = page.frame_locator("#phone-frame").locator("body")
        viewport = "body => body.ownerDocument.defaultView.innerWidth"
        assert desktop.evaluate(viewport) == 680, "the desktop frame is as wide as its caption says"
        assert phone.evaluate(viewport) == 375, "the email sees a 375 px phone viewport, not less"
        left = page.locator("#desktop-frame").bounding_box()
        assert page.locator("#phone-frame").bounding_box()["x"] > left["x"] + left["width"], "side by side"
        expect(page.locator("#check-count")).to_have_text(re.compile(r"check: (all clear|\d+ findings?)"))
        expect(page.locator("#date")).to_have_text(re.compile(r"^(1 May|May 1)$"))
        desktop.evaluate("body => body.ownerDocument.defaultView.scrollTo(0, 250)")
        page.evaluate("window.__sameDocument = true")

        lead = pub / LEAD
        write(lead, lead.read_text().replace("title: Blossom arrives late", "title: Blossom at last"))

        for frame in ("#desktop-frame", "#phone-frame"):
            expect(page.frame_locator(frame).get_by_text("Blossom at last", exact=True)).to_be_visible(timeout=10000)
        expect(page.frame_locator("#desktop-frame").get_by_text("Blossom arrives late", exact=True)).to_have_count(0)
        assert page.evaluate("window.__sameDocument") is True, "the page reloaded instead of updating"
        scrolled = desktop.evaluate("body => body.ownerDocument.defaultView.scrollY")
        assert abs(scrolled - 250) <= 2, f"scroll position lost: {scrolled}"

        page.click("#tab-text")
        expect(page.locator("#text")).to_contain_text("Blossom at last\n===============")
        expect(page.locator("#frames")).to_be_hidden()
        page.click("#tab-email")
        page.set_viewport_size({"width": 800, "height": 900})
        top = page.locator("#desktop-frame").bounding_box()
        assert page.locator("#phone-frame").bounding_box()["y"] >= top["y"] + top["height"], \
            "a narrow window puts the phone under the desktop frame instead of off screen"
        page.uncheck("#show-phone")
        expect(page.locator("#phone")).to_be_hidden()
        expect(page.locator("#desktop")).to_be_visible()
    assert "rebuilt 2024-05-01-spring in" in "".join(served.stderr)


@pytest.mark.browser
def test_broken_front_matter_shows_overlay_until_fixed(publication, page):
    from playwright.sync_api import expect

    pub = publication()
    lead = pub / LEAD
    good = lead.read_text()
    with serve(pub, "--port", "0") as served:
        page.goto(served.url)
        expect(title(page, "Blossom arrives late")).to_be_visible(timeout=15000)
        expect(page.locator("#overlay")).to_be_hidden()

        write(lead, good.replace("title: Blossom arrives late", "title: Blossom: arrives late"))
        overlay = page.locator("#overlay")
        expect(overlay).to_be_visible(timeout=10000)
        expect(overlay).to_contain_text(f"issues/{SLUG}/01-lead.md:2")
        expect(overlay).to_contain_text("invalid YAML front matter")
        expect(page.frame_locator("#desktop-frame").get_by_text("Blossom arrives late", exact=True)).to_be_visible()

        write(lead, good.replace("title: Blossom arrives late", "title: Blossom, fixed"))
        expect(overlay).to_be_hidden(timeout=10000)
        expect(page.frame_locator("#desktop-frame").get_by_text("Blossom, fixed", exact=True)).to_be_visible()
        assert served.process.poll() is None, "an error must not stop the server"
    assert f"issues/{SLUG}/01-lead.md:2: invalid YAML front matter" in "".join(served.stderr)


@pytest.mark.browser
def test_dark_views_use_the_theme_and_forced_inversion(publication, page):
    from playwright.sync_api import expect

    pub = publication()
    card = ".nl-card td"
    with serve(pub, "--port", "0") as served:
        page.goto(served.url)
        frame = page.frame_locator("#desktop-frame")
        expect(frame.get_by_text("Blossom arrives late", exact=True)).to_be_visible(timeout=15000)
        light = frame.locator(card).first.evaluate("td => getComputedStyle(td).backgroundColor")
        page.select_option("#scheme", "dark")
        expect(frame.locator(card).first).to_have_css("background-color", "rgb(30, 30, 30)", timeout=10000)
        page.select_option("#scheme", "invert")
        expect(frame.locator("html")).to_have_css("filter", re.compile(r"invert\(1\)"), timeout=10000)
        assert frame.locator(card).first.evaluate("td => getComputedStyle(td).backgroundColor") == light
        page.select_option("#scheme", "light")
        expect(frame.locator("html")).to_have_css("filter", "none", timeout=10000)


def test_paths_outside_the_preview_get_404(publication):
    pub = publication()
    with serve(pub, "--port", "0") as served:
        for path in TRAVERSALS:
            status, body = served.get(path)
            assert status == 404, f"{path} -> {status}: {body[:80]!r}"
            assert b"[publication]" not in body and b"Blossom" not in body
        status, body = served.get(f"/issue/{SLUG}/state.json")
        assert status == 200 and b'"subject": "Spring, mostly"' in body
        status, body = served.get(f"/issue/{SLUG}/email.html")
        assert status == 200 and b"Blossom arrives late" in body
        image = re.search(rb'src="images/([0-9a-f]{12}-tree\.png)"', body)
        assert image, "the email uses the issue's image"
        status, data = served.get(f"/issue/{SLUG}/images/{image.group(1).decode()}")
        assert status == 200 and data.startswith(b"\x89PNG")
        assert served.get("/assets/preview.js")[0] == 200
        assert served.get("/", host="evil.example:80")[0] == 421, "DNS-rebinding host names are refused"


def test_ctrl_c_stops_cleanly_and_frees_the_port(publication):
    pub = publication()
    with serve(pub, "--port", "0") as served:
        assert served.get("/")[0] == 200
        code = served.stop()
    assert code == 0, "".join(served.stderr)
    assert "preview stopped" in "".join(served.stderr)
    assert "Traceback" not in "".join(served.stderr)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", served.port))


def test_taken_port_is_reported_and_a_free_one_used(publication):
    pub = publication()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        with serve(pub, "--port", str(taken)) as served:
            assert served.port != taken
            assert served.get("/")[0] == 200
    assert f"port {taken} is in use; serving on port {served.port} instead" in "".join(served.stderr)
    assert f"previewing {SLUG} at http://127.0.0.1:{served.port}/" in "".join(served.stdout)


def test_binding_beyond_loopback_warns(publication):
    pub = publication()
    with serve(pub, "--port", "0", "--host", "0.0.0.0") as served:
        assert served.get("/")[0] == 200
    assert "warning: --host 0.0.0.0 lets other machines on the network read unpublished issues" \
        in "".join(served.stderr)


def test_unknown_issue_is_a_usage_error(publication, run):
    pub = publication()
    result = run("preview", "no-such-issue", "--no-open", cwd=pub)
    assert result.exit_code == 2
    assert "no issue named 'no-such-issue'" in result.stderr


def _preview(pub: Path) -> Preview:
    """Return an in-process Preview of the fixture's issue, built once."""
    preview = Preview(load_settings(pub), pub / "issues" / SLUG)
    assert preview.state(SLUG)["problems"] == []
    return preview


def test_template_error_is_reported_with_template_line_and_cleared(publication):
    pub = publication()
    preview = _preview(pub)
    (pub / "templates").mkdir()
    footer = pub / "templates" / "footer.mjml"
    write(footer, "<mj-section>\n<mj-column>\n{% if %}\n</mj-column>\n</mj-section>\n")
    preview.on_change([footer])
    state = preview.state(SLUG)
    assert [p["location"] for p in state["problems"]] == ["templates/footer.mjml:3"]
    assert "template syntax error" in state["problems"][0]["message"]
    assert state["built"], "the last good build stays on screen"
    footer.unlink()
    (pub / "templates").rmdir()
    preview.on_change([footer])
    assert preview.state(SLUG)["problems"] == []


def test_broken_newsletter_toml_is_shown_and_cleared(publication):
    pub = publication()
    preview = _preview(pub)
    config = pub / "newsletter.toml"
    good = config.read_text()
    write(config, good.replace('name = "Fixture Weekly"', 'name = "Fixture Weekly'))
    version = preview.version
    preview.on_change([config])
    assert preview.version > version
    problems = preview.state(SLUG)["problems"]
    assert problems and problems[0]["location"].startswith("newsletter.toml:2")
    write(config, good.replace('name = "Fixture Weekly"', 'name = "Renamed Weekly"'))
    preview.on_change([config])
    state = preview.state(SLUG)
    assert state["problems"] == [] and state["sender"]["name"] == "Renamed Weekly"
    assert "Renamed Weekly" in preview.snapshot(SLUG).html


def test_other_issues_are_not_rebuilt_for_a_story_change(publication):
    pub = publication()
    preview = _preview(pub)
    assert preview.on_change([pub / "issues" / "elsewhere" / "x.md"]) == []
    assert preview.on_change([pub / LEAD]) == [SLUG]


def test_checks_absent_are_noted_not_fatal(publication, monkeypatch):
    pub = publication()
    preview = _preview(pub)
    monkeypatch.setitem(sys.modules, "newsletter.checks", None)
    result = run_checks(preview.snapshot(SLUG).rendered, pub)
    assert result == {"available": False, "note": NOT_AVAILABLE, "findings": []}


def test_color_scheme_views_rewrite_only_the_media_features():
    document = ('<html><head><style>@media (prefers-color-scheme: dark) { .a { color: #fff } }'
                '@media screen and (prefers-color-scheme:light) { .b { color: #000 } }</style></head><body></body>')
    dark = email_view(document, "dark")
    assert "@media (min-width: 0px) { .a" in dark and "@media screen and (max-width: -1px) { .b" in dark
    assert ":root{color-scheme:dark!important}" in dark
    light = email_view(document, "light")
    assert "@media (max-width: -1px) { .a" in light and "(min-width: 0px) { .b" in light
    inverted = email_view(document, "invert")
    assert "html{filter:invert(1) hue-rotate(180deg)" in inverted and "(max-width: -1px) { .a" in inverted
    assert inverted.index("<head>") < inverted.index('<base target="_blank">') < inverted.index("<body>")


def _wait_for(condition: Any, timeout: float = 10.0) -> bool:
    """Poll condition until it is true or the timeout ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_watcher_follows_issue_toml_and_templates_and_assets_created_later(publication):
    pub = publication()
    preview = _preview(pub)
    server = PreviewServer(preview, "127.0.0.1", 0)
    server.start()
    try:
        time.sleep(0.3)
        issue_toml = pub / "issues" / SLUG / "issue.toml"
        write(issue_toml, issue_toml.read_text().replace("Spring, mostly", "Spring, at last"))
        assert _wait_for(lambda: preview.state(SLUG)["subject"] == "Spring, at last")
        (pub / "templates").mkdir()
        time.sleep(0.5)
        default = (Path(__file__).parent.parent / "templates" / "footer.mjml").read_text()
        write(pub / "templates" / "footer.mjml", default.replace("</mj-column>", "<mj-text>OWN FOOTER</mj-text>"
                                                                 "</mj-column>", 1))
        assert _wait_for(lambda: "OWN FOOTER" in preview.snapshot(SLUG).html), preview.state(SLUG)["problems"]
        write(pub / "templates" / "footer.mjml", default.replace("</mj-column>", "<mj-text>OWN FOOTER 2</mj-text>"
                                                                 "</mj-column>", 1))
        assert _wait_for(lambda: "OWN FOOTER 2" in preview.snapshot(SLUG).html), "edits inside the new folder"

        (pub / "assets").mkdir()
        time.sleep(0.5)
        shared = pub / "assets" / "shared.png"
        Image.new("RGB", (40, 20), "red").save(shared)
        market = pub / "issues" / SLUG / "02-markets.md"
        write(market, market.read_text() + "\n![A shared picture](assets/shared.png)\n")
        assert _wait_for(lambda: re.search(r"-shared\.png", preview.snapshot(SLUG).html))
        first = sorted(preview.snapshot(SLUG).rendered.images)
        Image.new("RGB", (40, 20), "blue").save(shared)
        assert _wait_for(lambda: sorted(preview.snapshot(SLUG).rendered.images) != first), "shared assets/ watched"
    finally:
        server.stop()


def test_issue_menu_lists_every_issue_and_serves_each(publication):
    pub = publication()
    shutil.copytree(pub / "issues" / SLUG, pub / "issues" / "2024-06-01-summer")
    issue_toml = pub / "issues" / "2024-06-01-summer" / "issue.toml"
    write(issue_toml, issue_toml.read_text().replace("Spring, mostly", "Summer, briefly")
          .replace("2024-05-01", "2024-06-01"))
    with serve(pub, "--port", "0", SLUG) as served:
        assert served.url.endswith(":" + str(served.port) + "/")
        status, body = served.get("/issue/2024-06-01-summer/state.json")
        state = json.loads(body)
        assert status == 200 and state["subject"] == "Summer, briefly"
        assert state["issues"] == [{"slug": SLUG, "subject": "Spring, mostly"},
                                   {"slug": "2024-06-01-summer", "subject": "Summer, briefly"}]
        assert served.get("/issue/2024-06-01-summer/")[0] == 200
        assert served.get("/issue/2024-06-01-summer")[0] == 301
        assert b'"slug": "2024-05-01-spring"' in served.get("/")[1].replace(b"&quot;", b'"')
    assert f"previewing {SLUG} at" in "".join(served.stdout), "the ISSUE argument picks the issue"


@pytest.mark.browser
def test_check_findings_show_with_their_file_and_line(publication, page):
    from playwright.sync_api import expect

    pub = publication()
    story = pub / "issues" / SLUG / "04-case.md"
    repeated = "The council agreed the new budget for the harbour wall on Tuesday."
    story.write_text(f"# Case story\n\n{repeated}\n\nMore later.\n\n{repeated}\n")
    with serve(pub, "--port", "0") as served:
        page.goto(served.url)
        expect(title(page, "Case story")).to_be_visible(timeout=15000)
        findings = page.locator("#findings")
        case = findings.locator("li", has_text=f"issues/{SLUG}/04-case.md:7")
        expect(case).to_contain_text("repeats the one on line 3", timeout=10000)
        expect(case).to_have_class("error")
        count = page.locator("#check-count")
        expect(count).to_have_class(re.compile(r"\bbad\b"))
        shown = int(re.search(r"\d+", count.inner_text()).group())
        assert shown == findings.locator("li").count() >= 2
        expect(page.locator("#overlay")).to_be_hidden()

        write(story, f"# Case story\n\n{repeated}\n\nMore later.\n")
        expect(case).to_have_count(0, timeout=10000)
        expect(count).to_have_text(f"check: {shown - 1} finding{'' if shown == 2 else 's'}")
