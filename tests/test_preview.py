"""`newsletter preview`: a real server on a free port, driven by Debian's chromium through Playwright."""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from newsletter.config import load_settings
from newsletter.preview import Preview, PreviewServer
from newsletter.preview.checks import run_checks
from newsletter.preview.views import email_view
from newsletter.preview.watch import Watcher
from tests.preview_helpers import CHROMIUM_ARGS, WAIT_MS, eventually, first_line, get, serve, wait_for, write

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
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # a bound for a busy machine; an idle one answers in milliseconds
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """Return a fresh browser page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_page_shows_the_issue_in_both_frames_and_updates_without_reload(publication, page):
    from playwright.sync_api import expect

    pub = publication()
    with serve(pub, "--port", "0") as served:
        page.goto(served.url)
        for frame in ("#desktop-frame", "#phone-frame"):
            expect(title(page, "Blossom arrives late", frame)).to_be_visible(timeout=WAIT_MS)
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
            expect(page.frame_locator(frame).get_by_text("Blossom at last", exact=True)).to_be_visible(timeout=WAIT_MS)
        expect(page.frame_locator("#desktop-frame").get_by_text("Blossom arrives late", exact=True)).to_have_count(0)
        assert page.evaluate("window.__sameDocument") is True, "the page reloaded instead of updating"
        scrolled = desktop.evaluate("body => body.ownerDocument.defaultView.scrollY")
        assert abs(scrolled - 250) <= 2, f"scroll position lost: {scrolled}"

        page.click("#tab-text")
        expect(page.locator("#text")).to_contain_text("Blossom at last\n===============")
        expect(page.locator("#frames")).to_be_hidden()
        page.click("#tab-email")
        page.set_viewport_size({"width": 1024, "height": 768})
        page.wait_for_function("() => document.getElementById('phone-frame').getBoundingClientRect().right <= 1024")
        left = page.locator("#desktop-frame").bounding_box()
        right = page.locator("#phone-frame").bounding_box()
        assert right["x"] >= left["x"] + left["width"] and right["x"] + right["width"] <= 1024, \
            "at 1024 px both views stay side by side, scaled to fit"
        assert desktop.evaluate(viewport) == 680, "scaled, the email still sees its 680 px"
        assert min(left["height"], right["height"]) > 0.6 * 768, "the views take the height of the window"
        page.set_viewport_size({"width": 640, "height": 900})
        page.wait_for_function("() => document.getElementById('phone-frame').getBoundingClientRect().y > "
                               "document.getElementById('desktop-frame').getBoundingClientRect().bottom")
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
        expect(title(page, "Blossom arrives late")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#overlay")).to_be_hidden()

        write(lead, good.replace("title: Blossom arrives late", "title: Blossom: arrives late"))
        overlay = page.locator("#overlay")
        expect(overlay).to_be_visible(timeout=WAIT_MS)
        expect(overlay).to_contain_text(f"issues/{SLUG}/01-lead.md:2")
        expect(overlay).to_contain_text("invalid YAML front matter")
        expect(page.frame_locator("#desktop-frame").get_by_text("Blossom arrives late", exact=True)).to_be_visible()

        write(lead, good.replace("title: Blossom arrives late", "title: Blossom, fixed"))
        expect(overlay).to_be_hidden(timeout=WAIT_MS)
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
        expect(frame.get_by_text("Blossom arrives late", exact=True)).to_be_visible(timeout=WAIT_MS)
        light = frame.locator(card).first.evaluate("td => getComputedStyle(td).backgroundColor")
        page.select_option("#scheme", "dark")
        expect(frame.locator(card).first).to_have_css("background-color", "rgb(30, 30, 30)", timeout=WAIT_MS)
        page.select_option("#scheme", "invert")
        expect(frame.locator("html")).to_have_css("filter", re.compile(r"invert\(1\)"), timeout=WAIT_MS)
        assert frame.locator(card).first.evaluate("td => getComputedStyle(td).backgroundColor") == light
        page.select_option("#scheme", "light")
        expect(frame.locator("html")).to_have_css("filter", "none", timeout=WAIT_MS)


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


def test_a_rebuild_runs_its_checks_once_the_open_pages_were_sent_the_email(publication, monkeypatch):
    """The check rules wait (at most PUSH_WAIT_SECONDS) for the event streams, so they do not delay the push."""
    import threading
    import time

    pub = publication()
    preview = _preview(pub)
    preview.snapshot(SLUG)
    checked: list[float] = []
    real_check = preview._check
    monkeypatch.setattr(preview, "_check", lambda snap: checked.append(time.monotonic()) or real_check(snap))
    stream = preview.open_stream()
    before = preview.version
    change = threading.Thread(target=preview.on_change, args=([pub / LEAD],))
    change.start()
    version = preview.wait(before, 10)
    time.sleep(0.03)
    assert version > before and not checked, "the checks wait while a page has not been sent the rebuild"
    sent = time.monotonic()
    preview.sent(stream, version)
    change.join(10)
    assert len(checked) == 1 and checked[0] >= sent
    preview.sent(stream, None)
    checked.clear()
    alone = preview.open_stream()  # a stream that never sends: the checks run after the wait ends
    started = time.monotonic()
    assert preview.on_change([pub / LEAD]) == [SLUG]
    assert len(checked) == 1 and checked[0] - started >= 0.09
    preview.sent(alone, None)


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


def test_watcher_follows_issue_toml_and_templates_and_assets_created_later(publication):
    pub = publication()
    preview = _preview(pub)
    server = PreviewServer(preview, "127.0.0.1", 0)
    server.start()
    try:
        issue_toml = pub / "issues" / SLUG / "issue.toml"
        spring = issue_toml.read_text().replace("Spring, mostly", "Spring, at last")
        assert eventually(lambda: write(issue_toml, spring),
                          lambda: preview.state(SLUG)["subject"] == "Spring, at last")
        (pub / "templates").mkdir()
        default = (Path(__file__).parent.parent / "templates" / "footer.mjml").read_text()
        footer = pub / "templates" / "footer.mjml"
        own = default.replace("</mj-column>", "<mj-text>OWN FOOTER</mj-text></mj-column>", 1)
        assert eventually(lambda: write(footer, own), lambda: "OWN FOOTER" in preview.snapshot(SLUG).html), \
            preview.state(SLUG)["problems"]
        own = default.replace("</mj-column>", "<mj-text>OWN FOOTER 2</mj-text></mj-column>", 1)
        assert eventually(lambda: write(footer, own), lambda: "OWN FOOTER 2" in preview.snapshot(SLUG).html), \
            "edits inside the new folder"

        (pub / "assets").mkdir()
        shared = pub / "assets" / "shared.png"
        Image.new("RGB", (40, 20), "red").save(shared)
        market = pub / "issues" / SLUG / "02-markets.md"
        text = market.read_text() + "\n![A shared picture](assets/shared.png)\n"
        assert eventually(lambda: write(market, text), lambda: re.search(r"-shared\.png", preview.snapshot(SLUG).html))
        first = sorted(preview.snapshot(SLUG).rendered.images)
        assert eventually(lambda: Image.new("RGB", (40, 20), "blue").save(shared),
                          lambda: sorted(preview.snapshot(SLUG).rendered.images) != first), "shared assets/ watched"
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
        expect(title(page, "Case story")).to_be_visible(timeout=WAIT_MS)
        findings = page.locator("#findings")
        case = findings.locator("li", has_text=f"issues/{SLUG}/04-case.md:7")
        expect(case).to_contain_text("repeats the one on line 3", timeout=WAIT_MS)
        expect(case).to_have_class("error")
        count = page.locator("#check-count")
        expect(count).to_have_class(re.compile(r"\bbad\b"))
        shown = int(re.search(r"\d+", count.inner_text()).group())
        assert shown == findings.locator("li").count() >= 2
        expect(page.locator("#overlay")).to_be_hidden()

        write(story, f"# Case story\n\n{repeated}\n\nMore later.\n")
        expect(case).to_have_count(0, timeout=WAIT_MS)
        expect(count).to_have_text(f"check: {shown - 1} finding{'' if shown == 2 else 's'}")


def test_events_with_a_bad_since_still_stream(publication):
    pub = publication()
    with serve(pub, "--port", "0") as served:
        for since in ("abc", "", "1.5", "-7", "99999"):
            assert first_line(served.port, f"/events?since={since}") == (200, "retry: 500\n"), since
        assert served.get("/")[0] == 200, "the server still answers"
    assert "Traceback" not in "".join(served.stderr)


def _in_process(pub: Path, *, verbose: bool = False) -> tuple[Preview, PreviewServer, list[str]]:
    """Return a started in-process preview server (no watcher) of the fixture's issue and its log lines."""
    preview = _preview(pub)
    logged: list[str] = []
    preview.log = logged.append
    preview.verbose = verbose
    server = PreviewServer(preview, "127.0.0.1", 0)
    server.start(watch=False)
    return preview, server, logged


@pytest.mark.parametrize("verbose", [False, True])
def test_a_bug_answers_500_and_logs_one_line(publication, monkeypatch, capfd, verbose):
    pub = publication()
    preview, server, logged = _in_process(pub, verbose=verbose)

    def broken(slug: str) -> None:
        raise RuntimeError("state is broken")

    try:
        monkeypatch.setattr(preview, "state", broken)
        status, body = get(server.port, f"/issue/{SLUG}/state.json")
        assert (status, body) == (500, b"internal error: see the terminal\n")
        assert get(server.port, f"/issue/{SLUG}/email.txt")[0] == 200, "one bad request does not stop the server"
    finally:
        server.stop()
    assert logged[0] == (f"internal error serving /issue/{SLUG}/state.json: RuntimeError: state is broken "
                         "(please report it" + ("" if verbose else "; run with --verbose for the traceback") + ")")
    if verbose:
        assert len(logged) == 2 and logged[1].startswith("Traceback") and "state is broken" in logged[1]
    else:
        assert len(logged) == 1
    assert "Traceback" not in capfd.readouterr().err, "nothing is printed behind the preview's back"


def test_a_folder_outside_issues_is_previewed_and_watched(publication):
    pub = publication()
    draft = pub / "drafts" / "special"
    shutil.copytree(pub / "issues" / SLUG, draft)
    write(draft / "issue.toml", (draft / "issue.toml").read_text().replace("Spring, mostly", "Special draft"))
    with serve(pub, "--port", "0", "drafts/special") as served:
        status, body = served.get("/issue/special/state.json")
        state = json.loads(body)
        assert status == 200 and state["subject"] == "Special draft" and state["problems"] == []
        assert {"slug": "special", "subject": "Special draft"} in state["issues"]
        assert {"slug": SLUG, "subject": "Spring, mostly"} in state["issues"], "the other issues stay in the menu"
        assert b"Blossom arrives late" in served.get("/issue/special/email.html")[1]
        assert b'"slug": "special"' in served.get("/")[1].replace(b"&quot;", b'"')
        lead = draft / "01-lead.md"
        renamed = lead.read_text().replace("title: Blossom arrives late", "title: Blossom in drafts")
        assert eventually(lambda: write(lead, renamed),
                          lambda: b"Blossom in drafts" in served.get("/issue/special/email.html")[1]), \
            "the folder outside issues/ is watched"
    assert "previewing special at http://" in "".join(served.stdout)


def test_a_folder_named_like_an_issue_previews_the_folder_given(publication):
    pub = publication()
    other = pub / "elsewhere" / SLUG
    shutil.copytree(pub / "issues" / SLUG, other)
    write(other / "issue.toml", (other / "issue.toml").read_text().replace("Spring, mostly", "Not the real one"))
    with serve(pub, "--port", "0", f"elsewhere/{SLUG}") as served:
        state = json.loads(served.get(f"/issue/{SLUG}/state.json")[1])
        assert state["subject"] == "Not the real one"
        assert state["issues"] == [{"slug": SLUG, "subject": "Not the real one"}]


@pytest.mark.parametrize("host", ["no.such.host.invalid", "8.8.8.8"])
def test_an_address_that_cannot_be_served_is_a_usage_error(publication, run, host):
    pub = publication()
    result = run("preview", "--host", host, "--port", "8123", "--no-open", cwd=pub)
    assert result.exit_code == 2, result.stderr
    assert f"cannot listen on {host}:8123: " in result.stderr
    assert "give --host an address of this machine" in result.stderr
    assert "internal error" not in result.stderr and "previewing" not in result.stdout


def test_issue_list_is_read_once_and_again_after_a_change(publication, monkeypatch):
    import newsletter.preview.state as state_module

    pub = publication()
    reads: list[str] = []
    real_list, real_peek = state_module.list_issues, state_module.peek
    monkeypatch.setattr(state_module, "list_issues", lambda settings: reads.append("list") or real_list(settings))
    monkeypatch.setattr(state_module, "peek", lambda folder, key: reads.append("peek") or real_peek(folder, key))
    preview, server, _ = _in_process(pub)
    try:
        read = len(reads)
        assert read >= 1
        for _ in range(5):
            assert get(server.port, f"/issue/{SLUG}/state.json")[0] == 200
            assert get(server.port, f"/issue/{SLUG}/email.html")[0] == 200
        assert len(reads) == read, "requests use the cached issue list and subjects"

        preview.on_change([pub / LEAD])
        preview.state(SLUG)
        assert len(reads) == read, "a story edit does not change the issue list"

        shutil.copytree(pub / "issues" / SLUG, pub / "issues" / "2024-06-01-summer")
        summer = pub / "issues" / "2024-06-01-summer" / "issue.toml"
        write(summer, summer.read_text().replace("Spring, mostly", "Summer").replace("2024-05-01", "2024-06-01"))
        preview.on_change([summer])
        state = json.loads(get(server.port, "/issue/2024-06-01-summer/state.json")[1])
        assert state["issues"][-1] == {"slug": "2024-06-01-summer", "subject": "Summer"}
        assert len(reads) > read
    finally:
        server.stop()


def test_watcher_reports_new_issues_to_the_menu(publication):
    pub = publication()
    preview = _preview(pub)
    server = PreviewServer(preview, "127.0.0.1", 0)
    server.start()
    try:
        summer = pub / "issues" / "2024-06-01-summer"
        shutil.copytree(pub / "issues" / SLUG, summer)
        text = (summer / "issue.toml").read_text().replace("Spring, mostly", "Summer")
        assert eventually(lambda: write(summer / "issue.toml", text),
                          lambda: {"slug": summer.name, "subject": "Summer"} in preview.issues())
        assert get(server.port, f"/issue/{summer.name}/state.json")[0] == 200
    finally:
        server.stop()


def test_findings_and_problems_reach_the_page_in_one_shape(publication, monkeypatch):
    import newsletter.preview.checks as checks_module

    pub = publication()
    story = pub / "issues" / SLUG / "04-case.md"
    repeated = "The council agreed the new budget for the harbour wall on Tuesday."
    story.write_text(f"# Case story\n\n{repeated}\n\nMore later.\n\n{repeated}\n")
    preview = Preview(load_settings(pub), pub / "issues" / SLUG)
    findings = preview.state(SLUG)["checks"]["findings"]
    case = [f for f in findings if f["location"] == f"issues/{SLUG}/04-case.md:7"]
    assert case and case[0]["fix"], "a finding carries its fix"
    write(story, "---\ntitle: Case: broken\n---\nBody\n")
    preview.on_change([story])
    problems = preview.state(SLUG)["problems"]
    assert problems and problems[0]["location"] == f"issues/{SLUG}/04-case.md:2"
    assert set(problems[0]) == set(case[0]) == {"location", "message", "level", "fix", "path", "line", "story"}
    assert (case[0]["path"], case[0]["line"], case[0]["story"]) == (f"issues/{SLUG}/04-case.md", 7, 4)

    def crash(rendered: object) -> list[object]:
        raise RuntimeError("rule crashed")

    monkeypatch.setattr(checks_module, "gate", crash)
    result = run_checks(preview.snapshot(SLUG).rendered, pub)
    assert result["available"] is False and result["findings"] == []
    assert result["note"] == "check failed: RuntimeError: rule crashed"


def test_watcher_stops_every_time_even_right_after_starting(publication):
    pub = publication()
    preview = _preview(pub)
    for _ in range(20):
        watcher = Watcher(preview)
        watcher.start()
        watcher.stop()
        assert wait_for(lambda w=watcher: not w.alive()), "a watching thread outlived stop()"


def test_ctrl_c_right_after_start_exits_cleanly(publication):
    pub = publication()
    for _ in range(3):
        with serve(pub, "--port", "0") as served:
            code = served.stop()
        assert code == 0, "".join(served.stderr)
        assert "preview stopped" in "".join(served.stderr) and "Traceback" not in "".join(served.stderr)
