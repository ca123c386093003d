"""The preview's event stream carries each rebuild: the state, and the email and text of the page's view."""

from __future__ import annotations

import http.client
import json
import re
import threading

import pytest

from newsletter.config import load_settings
from newsletter.preview import Preview, PreviewServer
from tests.preview_helpers import serve, write
from tests.test_preview import LEAD, browser  # noqa: F401  (the browser fixture, shared)
from tests.test_preview import page as page  # noqa: PLC0414  (the page fixture, shared)

SLUG = "2024-05-01-spring"


def events(port: int, path: str, count: int, started: threading.Event) -> list[dict[str, object]]:
    """Read `count` change events of the stream at path; return their data."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    assert response.readline() == b"retry: 500\n"
    started.set()
    found: list[dict[str, object]] = []
    kind = ""
    while len(found) < count:
        line = response.readline().decode("utf-8").rstrip("\n")
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind == "change":
            found.append(json.loads(line.removeprefix("data: ")))
    conn.close()
    return found


def get(port: int, path: str) -> str:
    """Return the body of a GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    body = conn.getresponse().read().decode("utf-8")
    conn.close()
    return body


def test_a_rebuild_arrives_with_its_event(publication) -> None:
    pub = publication()
    folder = pub / "issues" / SLUG
    preview = Preview(load_settings(pub), folder)
    server = PreviewServer(preview, "127.0.0.1", 0)
    preview.snapshot(SLUG)
    server.start(watch=False)
    try:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        view = "scheme=dark&reader=anonymous"
        result: list[list[dict[str, object]]] = []
        started = threading.Event()
        reader = threading.Thread(target=lambda: result.append(
            events(port, f"/events?since={preview.version}&slug={SLUG}&{view}", 2, started)))
        reader.start()
        assert started.wait(30)
        story = folder / "01-lead.md"
        story.write_text(story.read_text(encoding="utf-8").replace("Blossom arrives late", "Blossom came at last"),
                         encoding="utf-8")
        assert preview.on_change([story]) == [SLUG]
        reader.join(30)
        built, checked = result[0]
        assert built["view"] == view and built["state"]["slug"] == SLUG
        assert "Blossom came at last" in built["html"] and "Blossom came at last" in built["email_text"]
        assert built["html"] == get(port, f"/issue/{SLUG}/email.html?{view}"), "the email the page would fetch"
        assert built["email_text"] == get(port, f"/issue/{SLUG}/email.txt?{view}")
        assert built["state"]["built_at"] == checked["state"]["built_at"]
        assert "html" not in checked, "the checks finishing changes the state only: the email is not sent again"
        assert checked["state"]["version"] > built["state"]["version"]
    finally:
        server.stop()


def test_a_stream_without_an_issue_carries_the_version_only(publication) -> None:
    pub = publication()
    preview = Preview(load_settings(pub), pub / "issues" / SLUG)
    server = PreviewServer(preview, "127.0.0.1", 0)
    server.start(watch=False)
    try:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        for extra in ("", "&slug=nope"):
            path = f"/events?since={preview.version}{extra}"
            result: list[list[dict[str, object]]] = []
            started = threading.Event()
            reader = threading.Thread(target=lambda p=path, out=result, go=started: out.append(events(port, p, 1, go)))
            reader.start()
            assert started.wait(30)
            preview.bump()
            reader.join(30)
            assert result == [[{"version": preview.version}]]
    finally:
        server.stop()


@pytest.mark.browser
def test_the_page_shows_a_pushed_rebuild_without_fetching_it(publication, page) -> None:
    from playwright.sync_api import expect

    pub = publication()
    with serve(pub, "--port", "0") as served:
        page.goto(served.url)
        expect(page.frame_locator("#desktop-frame").get_by_text("Blossom arrives late", exact=True)).to_be_visible()
        for scheme, title in (("light", "Blossom at last"), ("dark", "Blossom, dark")):
            if scheme == "dark":
                page.select_option("#scheme", "dark")  # a new view: fetched once, then pushed for that view
                page.wait_for_function("() => document.getElementById('desktop-frame').contentDocument.head"
                                       ".innerHTML.includes('color-scheme:dark')")
                page.wait_for_timeout(300)
            fetched: list[str] = []
            page.on("request", lambda request, seen=fetched: seen.append(request.url))
            lead = pub / LEAD
            write(lead, re.sub(r"title: .*", f"title: {title}", lead.read_text(), count=1))
            for frame in ("#desktop-frame", "#phone-frame"):
                expect(page.frame_locator(frame).get_by_text(title, exact=True)).to_be_visible()
            expect(page.locator("#text")).to_contain_text(title)
            assert not [url for url in fetched if "/email." in url or "state.json" in url], fetched
    assert "Traceback" not in "".join(served.stderr)
