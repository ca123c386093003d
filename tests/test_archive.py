"""`newsletter archive` through the CLI: pages, index, Atom feed, links, incremental rebuilds, Chromium."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

SPRING = "2024-05-01-spring"
ISSUES = {  # slug: (subject, date, preheader)
    SPRING: ("Spring, mostly", "2024-05-01", "Three stories about the season that arrived a week late this year."),
    "2024-05-15-summer": ("Summer & its discontents", "2024-05-15", "Heat, <hay> and hose-pipe bans."),
    "2024-06-01-june": ("June without a preheader", "2024-06-01", ""),
}
URL = "https://fixture.example.org"


@pytest.fixture
def pub(publication) -> Path:
    """Return the basic fixture with three issues: copies of the spring issue with their own subjects."""
    folder = publication()
    issues = folder / "issues"
    lead = issues / SPRING / "01-lead.md"  # its javascript: link is a check error, which keeps an issue out
    lead.write_text(lead.read_text().replace('<a href="javascript:alert(1)">bad link</a>\n', ""))
    for slug, (subject, date, preheader) in ISSUES.items():
        if slug != SPRING:
            shutil.copytree(issues / SPRING, issues / slug)
        lines = [f"subject = {json.dumps(subject)}", f"date = {date}", f"number = {len(slug)}"]
        if preheader:
            lines.append(f"preheader = {json.dumps(preheader)}")
        lines.append('intro = "Good morning, {{ first_name | default: \\"friend\\" }}."')
        (issues / slug / "issue.toml").write_text("\n".join(lines) + "\n")
    return folder


def site(pub: Path) -> Path:
    """Return the default site folder."""
    return pub / "dist" / "site"


def archive(run, pub: Path, *args: str):
    """Run `newsletter archive` and insist it worked."""
    result = run("archive", *args, cwd=pub)
    assert result.exit_code == 0, result.output
    return result


class Links(HTMLParser):
    """Collect every href and src of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.extend(value for name, value in attrs if name in {"href", "src"} and value)


def links(path: Path) -> list[str]:
    """Return the links of one HTML file."""
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.urls


def site_file(root: Path, url: str) -> Path | None:
    """Map an absolute publication URL to the file of the site that serves it, or None when it is elsewhere."""
    if not url.startswith(URL + "/"):
        return None
    path = unquote(urlsplit(url).path).lstrip("/")
    return root / (path + "index.html" if path.endswith("/") or not path else path)


def test_archive_writes_pages_index_feed_and_images(pub, run):
    result = archive(run, pub)
    assert "rebuilt 3 of 3 issue(s)" in result.stdout and "wrote dist/site/index.html and feed.xml" in result.stdout
    out = site(pub)
    for slug in ISSUES:
        assert (out / slug / "index.html").is_file()
        assert len(list((out / slug / "images").glob("*-tree.png"))) == 1
    index = (out / "index.html").read_text()
    positions = [index.index(f'href="{slug}/index.html"') for slug in ISSUES]
    assert positions == sorted(positions, reverse=True), "newest issue first"
    assert "Summer &amp; its discontents" in index and "Heat, &lt;hay&gt; and hose-pipe bans." in index
    assert '<time datetime="2024-05-15">15 May 2024</time>' in index
    assert 'href="feed.xml"' in index and 'href="https://fixture.example.org/subscribe"' in index
    assert "&#39;" not in index.split("</style>")[0], "theme fonts are not HTML-escaped inside <style>"


def test_issue_page_is_the_email_adapted_for_the_web(pub, run):
    assert run("build", SPRING, cwd=pub).exit_code == 0
    email = (pub / "dist" / SPRING / "email.html").read_text()
    archive(run, pub)
    page = (site(pub) / SPRING / "index.html").read_text()
    body = page.split("<body", 1)[1]
    view = re.findall(r'<a [^>]*href="([^"]*)"[^>]*>View in browser', email)
    assert view and set(view) == {f"{URL}/{SPRING}/"}, "the email's view-in-browser link is the issue's page"
    assert site_file(site(pub), view[0]) == site(pub) / SPRING / "index.html"
    assert "Three stories about the season" in email.split("<body", 1)[1][:1500]
    assert "Three stories about the season" not in body[:3000], "no preheader or spacer at the top of the page"
    assert "View in browser" not in page
    assert "Unsubscribe" not in page and "Email preferences" not in page and "reader@example.com" not in page
    assert "because you subscribed" not in page
    assert 'href="../index.html"' in body and f'href="{URL}/subscribe"' in body
    assert "Good morning, friend." in page, "merge tags rendered with their fallback"
    assert "\ue000" not in page and "%EE%80" not in page
    assert f'<link rel="canonical" href="{URL}/{SPRING}/">' in page
    assert 'type="application/atom+xml"' in page and "1 Test Street, Testville" in page
    assert page.startswith("<!doctype html>")


def test_atom_feed_has_every_issue_with_full_content(pub, run):
    feedparser = pytest.importorskip("feedparser")
    archive(run, pub)
    out = site(pub)
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title == "Fixture Weekly"
    assert feed.feed.link == f"{URL}/"
    assert [e.title for e in feed.entries] == [ISSUES[s][0] for s in reversed(ISSUES)]
    for entry, slug in zip(feed.entries, reversed(ISSUES), strict=True):
        assert entry.link == entry.id == f"{URL}/{slug}/"
        assert site_file(out, entry.link).is_file()
        day = dt.date.fromisoformat(ISSUES[slug][1])
        assert entry.published_parsed[:3] == (day.year, day.month, day.day)
        assert entry.updated_parsed[:3] == (day.year, day.month, day.day)
        if ISSUES[slug][2]:
            assert entry.summary == ISSUES[slug][2], "the preheader is the entry's summary"
        content = entry.content[0]
        assert content.type == "text/html"
        for title in ("Blossom arrives late", "Market stalls return", "Rain Expected", "Good morning, friend."):
            assert title in content.value
        srcs = re.findall(r'src="([^"]+)"', content.value)
        assert srcs and all(site_file(out, src).is_file() for src in srcs), "images are absolute and exist"
        assert "\ue000" not in content.value and "<script" not in content.value


def test_every_link_in_the_site_resolves_to_a_file_in_the_site(pub, run):
    archive(run, pub)
    out = site(pub)
    pages = list(out.rglob("*.html"))
    assert len(pages) == 4
    checked = 0
    for page in pages:
        for url in links(page):
            if urlsplit(url).scheme or url.startswith("#"):
                local = site_file(out, url)
                first = urlsplit(url).path.strip("/").split("/")[0]
                if local is not None and (first in ISSUES or first in {"", "feed.xml"}):
                    assert local.is_file(), f"{page}: {url} is an archive address with no file"
                continue
            target = urljoin(page.as_uri(), url.split("#")[0])
            path = Path(unquote(urlsplit(target).path))
            assert path.is_file(), f"{page.relative_to(out)} links to {url}, which is not in the site"
            checked += 1
    assert checked >= 3 * 5


def test_nothing_changed_means_nothing_written_and_one_story_rebuilds_one_issue(pub, run):
    archive(run, pub)
    out = site(pub)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    stamp = (out / "index.html").stat().st_mtime_ns
    result = archive(run, pub)
    assert "is up to date (3 issue(s))" in result.stdout
    assert (out / "index.html").stat().st_mtime_ns == stamp

    story = pub / "issues" / "2024-05-15-summer" / "02-markets.md"
    story.write_text(story.read_text().replace("40 stalls", "41 stalls"))
    result = archive(run, pub)
    assert "rebuilt 1 of 3 issue(s): 2024-05-15-summer" in result.stdout
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    changed = {p.relative_to(out).as_posix() for p in after if before.get(p) != after[p]}
    assert changed == {"2024-05-15-summer/index.html", "feed.xml", "sitemap.xml", "archive.json"}
    assert "41 stalls" in (out / "2024-05-15-summer" / "index.html").read_text()
    state = json.loads((out / "archive.json").read_text())
    summer = next(e for e in state["issues"] if e["slug"] == "2024-05-15-summer")
    assert summer["updated"] > summer["published"], "an edited issue gets a new updated time in the feed"


def test_removed_and_failing_issues(pub, run):
    archive(run, pub)
    out = site(pub)
    shutil.rmtree(pub / "issues" / "2024-06-01-june")
    bad = pub / "issues" / "2024-05-15-summer" / "03-brief.txt"
    bad.write_text("")
    good_page = (out / "2024-05-15-summer" / "index.html").read_text().split("<!--nl-pager-->")[0]
    result = run("archive", cwd=pub)
    assert result.exit_code == 1
    assert "issues/2024-05-15-summer/03-brief.txt:1: the story is empty" in result.stderr
    assert not (out / "2024-06-01-june").exists() and "2024-06-01-june" not in (out / "index.html").read_text()
    page = (out / "2024-05-15-summer" / "index.html").read_text()
    assert page.split("<!--nl-pager-->")[0] == good_page, "last good page kept"
    assert "2024-06-01-june" not in page, "its link to the removed issue is gone"
    assert "kept the last good page of 1 issue: 2024-05-15-summer (does not build)" in result.stderr
    bad.write_text("Rain\n\nIt rained.\n")
    assert "rebuilt 1 of 2 issue(s): 2024-05-15-summer" in archive(run, pub).stdout


def test_a_folder_the_archive_did_not_write_is_never_replaced(pub, run):
    mine = pub / "public"
    mine.mkdir()
    (mine / "keep.txt").write_text("precious")
    result = run("archive", "--out", "public", cwd=pub)
    assert result.exit_code == 2
    assert "public is not empty and was not written by `newsletter archive`" in result.stderr
    assert (mine / "keep.txt").read_text() == "precious"


def test_without_a_publication_url_there_is_no_feed_but_the_site_works(pub, run):
    config = pub / "newsletter.toml"
    config.write_text(config.read_text().replace('url = "https://fixture.example.org"\n', ""))
    result = archive(run, pub)
    assert "newsletter.toml: warning: no feed.xml" in result.stderr
    out = site(pub)
    assert not (out / "feed.xml").exists()
    assert "feed.xml" not in (out / "index.html").read_text()
    assert "feed.xml" not in (out / SPRING / "index.html").read_text()


def test_hosted_images_are_local_on_the_page(pub, run):
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + '\n[images]\nbase_url = "https://cdn.example.org"\n')
    archive(run, pub)
    page = (site(pub) / SPRING / "index.html").read_text()
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert srcs and all(re.fullmatch(r"images/[0-9a-f]{12}-tree\.png", s) for s in srcs)


def test_parallel_and_serial_builds_write_the_same_pages(pub, run):
    for n in range(4):
        shutil.copytree(pub / "issues" / SPRING, pub / "issues" / f"2023-01-0{n + 1}-extra")
    archive(run, pub, "--jobs", "2")
    first = {p.relative_to(site(pub)): p.read_bytes() for p in site(pub).rglob("*.html")}
    result = archive(run, pub, "--jobs", "1", "--force", "--out", "other")
    assert "rebuilt 7 of 7 issue(s)" in result.stdout
    second = {p.relative_to(pub / "other"): p.read_bytes() for p in (pub / "other").rglob("*.html")}
    assert first == second


@pytest.mark.browser
def test_index_and_pages_in_headless_chromium(pub, run, chromium, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    archive(run, pub)
    out = site(pub)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        try:
            page = browser.new_page()
            page.route("http*://**", lambda route: route.abort())  # no network: the site must stand alone
            page.goto((out / "index.html").as_uri())
            assert page.title() == "Fixture Weekly"
            titles = page.locator("main h2 a, main h3 a").all_inner_texts()
            assert titles == [ISSUES[s][0] for s in reversed(ISSUES)]
            page.locator("main a", has_text="Spring, mostly").click()
            page.wait_for_load_state("load")
            assert page.url == (out / SPRING / "index.html").as_uri()
            assert page.title() == "Spring, mostly"
            sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.naturalWidth, e.clientWidth])")
            assert sizes and all(natural > 0 and shown > 0 for natural, shown in sizes), sizes
            assert page.get_by_role("link", name="Blossom arrives late", exact=True).is_visible()
            page.emulate_media(color_scheme="dark")
            colours = page.evaluate("() => [getComputedStyle(document.body).backgroundColor,"
                                    " getComputedStyle(document.querySelector('.nl-web-nav a')).color]")
            assert colours == ["rgb(18, 18, 18)", "rgb(168, 162, 158)"], "the web bar follows dark mode too"
            page.emulate_media(color_scheme="light")
            page.get_by_text("All issues of Fixture Weekly").click()
            page.wait_for_load_state("load")
            assert page.url == (out / "index.html").as_uri()
        finally:
            browser.close()


def test_no_site_is_written_when_no_issue_builds(pub, run):
    for slug in ISSUES:
        (pub / "issues" / slug / "03-brief.txt").write_text("")
    result = run("archive", cwd=pub)
    assert result.exit_code == 1
    assert f"issues/{SPRING}/03-brief.txt:1: the story is empty" in result.stderr
    assert "no issue is published yet, so no site was written" in result.stderr
    assert "rebuilt" not in result.stdout and "wrote" not in result.stdout
    assert not site(pub).exists()
