"""The archive as a site: only published issues, static/ and files it did not write, incremental writes, errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import feedparser
import lxml.html
import pytest

from newsletter import mergetags
from newsletter.archive.head import SiteInfo
from newsletter.archive.page import public_text, web_page
from newsletter.archive.work import name_issue
from newsletter.build import build_issue
from newsletter.config import load_settings
from newsletter.errors import Problem
from tests.site_helpers import add_issues

URL = "https://harbour.example.org"
PUBLISHED = ["2024-03-08-market", "2024-02-09-ferry", "2024-01-12-new-year"]  # newest first
HELD_BACK = ["2024-03-22-tag-typo", "2026-12-15-winter-draft", "2099-01-05-far-future"]
LEFT_OUT = ("left out 3 issues: 2024-03-22-tag-typo (1 check error), 2026-12-15-winter-draft (draft), "
            "2099-01-05-far-future (dated 2099-01-05)")


@pytest.fixture
def pub(publication) -> Path:
    """Return a copy of the archive fixture: three published issues, a draft, a later one and one with an error."""
    return publication("archive")


def site(pub: Path) -> Path:
    """Return the default site folder."""
    return pub / "dist" / "site"


def doc(path: Path) -> lxml.html.HtmlElement:
    """Parse one page of the site."""
    return lxml.html.document_fromstring(path.read_text(encoding="utf-8"))


def issue_links(path: Path) -> list[str]:
    """Return the issue folders a front page links to, in order."""
    hrefs = doc(path).xpath("//main//a/@href")
    return list(dict.fromkeys(h.split("/")[-2] for h in hrefs if h.endswith("/index.html") and "page/" not in h))


def pager(path: Path) -> dict[str, str]:
    """Return the rel=prev/next links of an issue page, by rel."""
    return {a.get("rel"): a.get("href") for a in doc(path).xpath("//nav[@class='nl-web-pager']//a")}


def test_only_published_issues_reach_the_index_pages_feed_sitemap_and_links(pub, run):
    result = run("archive", cwd=pub)
    assert result.exit_code == 1, result.output
    assert LEFT_OUT in result.stdout
    assert "issues/2024-03-22-tag-typo/issue.toml:5:1: error: “{{ frist_name }}” is not a merge tag" in result.stderr
    assert "rebuilt 3 of 3 issue(s)" in result.stdout
    out = site(pub)
    assert issue_links(out / "index.html") == PUBLISHED
    assert sorted(p.parent.name for p in out.glob("*/index.html")) == sorted(PUBLISHED)
    for slug in HELD_BACK:
        assert slug not in (out / "index.html").read_text() and not (out / slug).exists()
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.link for e in feed.entries] == [f"{URL}/{slug}/" for slug in PUBLISHED]
    assert feed.feed.subtitle.startswith("Weekly news from Porthaven")
    sitemap = (out / "sitemap.xml").read_text()
    assert re.findall(r"<loc>([^<]+)</loc>", sitemap) == [f"{URL}/", *(f"{URL}/{s}/" for s in PUBLISHED)]
    assert (out / "robots.txt").read_text() == f"User-agent: *\nAllow: /\n\nSitemap: {URL}/sitemap.xml\n"
    newest, middle, oldest = (out / slug / "index.html" for slug in PUBLISHED)
    assert pager(newest) == {"prev": f"../{PUBLISHED[1]}/index.html"}, "nothing newer is published"
    assert pager(middle) == {"prev": f"../{PUBLISHED[2]}/index.html", "next": f"../{PUBLISHED[0]}/index.html"}
    assert pager(oldest) == {"next": f"../{PUBLISHED[1]}/index.html"}
    assert "The market moves indoors" in doc(middle).xpath("string(//a[@rel='next'])")


def test_drafts_give_a_private_look_and_go_again_without_it(pub, run):
    result = run("archive", "--drafts", cwd=pub)
    assert result.exit_code == 0, result.output
    assert "left out" not in result.stdout
    out = site(pub)
    every = [*reversed(HELD_BACK), *PUBLISHED]
    assert issue_links(out / "index.html") == every
    assert (out / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    for slug in every:
        assert doc(out / slug / "index.html").xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert "Hello , the regatta is back." not in (out / HELD_BACK[0] / "index.html").read_text()

    result = run("archive", cwd=pub)
    assert LEFT_OUT in result.stdout
    assert issue_links(out / "index.html") == PUBLISHED
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted([*PUBLISHED, ".well-known"])
    assert not doc(out / PUBLISHED[0] / "index.html").xpath("//meta[@name='robots']")
    assert pager(out / PUBLISHED[0] / "index.html") == {"prev": f"../{PUBLISHED[1]}/index.html"}
    assert [e.link for e in feedparser.parse((out / "feed.xml").read_bytes()).entries] == [
        f"{URL}/{slug}/" for slug in PUBLISHED]


def test_a_fixed_issue_is_published_and_a_broken_one_keeps_its_last_good_page(pub, run):
    run("archive", cwd=pub)
    out = site(pub)
    typo = pub / "issues" / HELD_BACK[0] / "issue.toml"
    typo.write_text(typo.read_text().replace("frist_name", "first_name"))
    result = run("archive", cwd=pub)
    assert result.exit_code == 0, result.output
    assert "rebuilt 1 of 4 issue(s): 2024-03-22-tag-typo" in result.stdout
    assert issue_links(out / "index.html")[0] == HELD_BACK[0]
    assert pager(out / PUBLISHED[0] / "index.html")["next"] == f"../{HELD_BACK[0]}/index.html", \
        "the page next to a newly published issue links to it"

    market = pub / "issues" / PUBLISHED[0] / "01-market.md"
    market.write_text(market.read_text().replace("40 stalls", "{{ frist_name }} stalls"))
    result = run("archive", cwd=pub)
    assert result.exit_code == 1
    assert "kept the last good page of 1 issue: 2024-03-08-market (1 check error)" in result.stderr
    assert "40 stalls" in (out / PUBLISHED[0] / "index.html").read_text()
    assert PUBLISHED[0] in issue_links(out / "index.html")


def test_static_files_are_copied_and_files_the_archive_did_not_write_stay(pub, run):
    run("archive", cwd=pub)
    out = site(pub)
    assert (out / "CNAME").read_text() == "harbour.example.org\n"
    assert (out / ".well-known" / "security.txt").is_file()
    (out / "notes.txt").write_text("mine")
    (out / PUBLISHED[1] / "draft-notes.txt").write_text("also mine")
    result = run("archive", "--force", cwd=pub)
    assert "rebuilt 3 of 3 issue(s)" in result.stdout and "is up to date" in result.stdout, \
        "forced, identical pages are not written again"
    assert (out / "CNAME").read_text() == "harbour.example.org\n"
    assert (out / "notes.txt").read_text() == "mine"
    shutil.rmtree(pub / "issues" / PUBLISHED[1])
    run("archive", cwd=pub)
    assert (out / PUBLISHED[1] / "draft-notes.txt").read_text() == "also mine", "a removed issue's page goes"
    assert not (out / PUBLISHED[1] / "index.html").exists() and not (out / PUBLISHED[1] / "images").exists()

    (pub / "static" / "CNAME").unlink()
    (pub / "static" / "favicon.ico").write_bytes(b"\0\0\1\0")
    (pub / "static" / "outside.txt").symlink_to(pub / "newsletter.toml")
    result = run("archive", cwd=pub)
    assert not (out / "CNAME").exists(), "removed from static/, so removed from the site it was copied to"
    assert (out / "favicon.ico").read_bytes() == b"\0\0\1\0" and not (out / "favicon.svg").exists()
    assert doc(out / "index.html").xpath("//link[@rel='icon']/@href") == ["favicon.ico"]
    assert doc(out / PUBLISHED[0] / "index.html").xpath("//link[@rel='icon']/@href") == ["../favicon.ico"]
    assert "static/outside.txt is not a regular file inside static/, so it is not copied" in result.stderr
    assert not (out / "outside.txt").exists()

    (pub / "static" / "index.html").write_text("<p>mine</p>")
    result = run("archive", cwd=pub)
    assert result.exit_code == 1
    assert "static/index.html: static/index.html would replace the archive's own index.html" in result.stderr
    assert "mine" not in (out / "index.html").read_text()


def test_a_story_change_writes_its_page_only_and_a_new_subject_updates_its_neighbours(pub, run):
    run("archive", cwd=pub)
    out = site(pub)
    stamps = {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
              for p in out.rglob("*") if p.is_file()}

    def changed() -> set[str]:
        now = {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
               for p in out.rglob("*") if p.is_file()}
        found = {name for name, stamp in now.items() if stamps.get(name) != stamp}
        stamps.update(now)
        return found

    skipper = pub / "issues" / PUBLISHED[2] / "02-skipper.txt"
    skipper.write_text(skipper.read_text().replace("11 years", "twelve years"))
    result = run("archive", cwd=pub)
    assert "rebuilt 1 of 3 issue(s): 2024-01-12-new-year" in result.stdout
    assert changed() == {f"{PUBLISHED[2]}/index.html", "feed.xml", "sitemap.xml", "archive.json"}, \
        "its image, the other pages and the front page are not written again"

    toml = pub / "issues" / PUBLISHED[1] / "issue.toml"
    toml.write_text(toml.read_text().replace("Ferries & fares", "Fares & ferries"))
    run("archive", cwd=pub)
    assert changed() == {f"{slug}/index.html" for slug in PUBLISHED} | {
        "index.html", "feed.xml", "sitemap.xml", "archive.json"}, "the neighbours' links show the new subject"
    assert "Fares &amp; ferries" in (out / PUBLISHED[0] / "index.html").read_text()
    assert "is up to date (3 issue(s))" in run("archive", cwd=pub).stdout
    assert changed() == set()


def test_every_page_says_what_it_is_for_sharing_and_search(pub, run):
    run("archive", cwd=pub)
    out = site(pub)
    for path in [out / "index.html", *(out / slug / "index.html" for slug in PUBLISHED)]:
        page = doc(path)
        assert len(page.xpath("//main")) == 1 and len(page.xpath("//h1")) == 1, path
        assert page.get("lang") == "en-GB" and page.get("dir") == "ltr"
        meta = {m.get("property") or m.get("name"): m.get("content") for m in page.xpath("//meta")}
        assert meta["og:title"] == page.findtext(".//title") and meta["twitter:title"] == meta["og:title"]
        assert meta["og:url"] == page.xpath("//link[@rel='canonical']/@href")[0]
        assert meta["description"] == meta["og:description"] and meta["og:site_name"] == "The Harbour Light"
        assert page.xpath("//link[@rel='icon']/@href")[0].endswith("favicon.svg")
    ferry = doc(out / PUBLISHED[1] / "index.html")
    meta = {m.get("property") or m.get("name"): m.get("content") for m in ferry.xpath("//meta")}
    assert ferry.findtext(".//title") == ferry.xpath("string(//h1)") == "Ferries & fares: what changes in March"
    assert meta["og:type"] == "article" and meta["og:url"] == f"{URL}/{PUBLISHED[1]}/"
    assert meta["og:description"].startswith("Cheaper returns for residents")
    assert re.fullmatch(rf"{URL}/{PUBLISHED[1]}/images/[0-9a-f]{{12}}-boat\.png", meta["og:image"])
    assert (out / PUBLISHED[1] / "images" / meta["og:image"].rsplit("/", 1)[1]).is_file()
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["article:published_time"] == "2024-02-09"
    market = {m.get("property") or m.get("name"): m.get("content") for m in doc(out / PUBLISHED[0] / "index.html")
              .xpath("//meta")}
    assert "og:image" not in market and market["twitter:card"] == "summary", "no image, no large card"
    index = doc(out / "index.html")
    assert index.xpath("string(//h1)") == "The Harbour Light"
    assert index.xpath("string(//p[@class='nl-description'])").startswith("Weekly news from Porthaven")
    assert index.xpath("//a[@class='nl-button']/@href") == [f"{URL}/subscribe"]
    assert index.xpath("string(//section[@class='nl-featured']//h2)") == "The market moves indoors"
    assert (out / "favicon.svg").read_text().startswith("<svg") and ">T</text>" in (out / "favicon.svg").read_text()


def test_a_subscribe_form_and_a_logo_for_light_and_dark(pub, run):
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + '\n[theme]\nlogo = "https://harbour.example.org/logo.png"\n'
                      'logo_dark = "https://harbour.example.org/logo-dark.png"\n\n'
                      '[archive]\nsubscribe_form_action = "https://harbour.example.org/api/subscribe"\n')
    run("archive", cwd=pub)
    index = doc(site(pub) / "index.html")
    form = index.xpath("//form[@class='nl-subscribe']")[0]
    assert form.get("action") == f"{URL}/api/subscribe" and form.get("method") == "post"
    assert form.xpath(".//input[@type='email'][@name='email'][@required]/@id") == ["nl-email"]
    assert form.xpath(".//label/@for") == ["nl-email"]
    assert index.xpath("//h1//img/@src") == [f"{URL}/logo.png"] and index.xpath("//h1//img/@alt") == [
        "The Harbour Light"]
    assert index.xpath("//h1//source/@srcset") == [f"{URL}/logo-dark.png"]
    assert index.xpath("//h1//source/@media") == ["(prefers-color-scheme: dark)"]
    assert index.xpath("//link[@rel='icon']/@href") == [f"{URL}/logo.png"], "the logo is the icon"
    assert not (site(pub) / "favicon.svg").exists()
    config.write_text(config.read_text().replace("api/subscribe", "api subscribe"))
    result = run("archive", cwd=pub)
    assert result.exit_code == 1
    assert "newsletter.toml:20: `subscribe_form_action` must be a web address" in result.stderr


def test_a_logo_that_is_a_file_of_the_publication_is_copied_into_the_site(pub, run):
    from PIL import Image

    (pub / "assets").mkdir()
    Image.new("RGB", (320, 80), (179, 38, 30)).save(pub / "assets" / "logo.png")
    Image.new("RGB", (320, 80), (232, 230, 227)).save(pub / "assets" / "logo-dark.png")
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + '\n[theme]\nlogo = "assets/logo.png"\nlogo_dark = "assets/logo-dark.png"\n')
    run("archive", cwd=pub)
    out = site(pub)
    index = doc(out / "index.html")
    light, dark = index.xpath("//h1//img/@src")[0], index.xpath("//h1//source/@srcset")[0]
    assert re.fullmatch(r"logo/[0-9a-f]{12}-logo\.png", light)
    assert re.fullmatch(r"logo/[0-9a-f]{12}-logo-dark\.png", dark)
    assert (out / light).is_file() and (out / dark).is_file()
    assert index.xpath("//link[@rel='icon']/@href") == [light], "the logo is the icon"
    assert doc(out / PUBLISHED[0] / "index.html").xpath("//link[@rel='icon']/@href") == [f"../{light}"]
    market = doc(out / PUBLISHED[0] / "index.html")
    assert market.xpath("//meta[@property='og:image']/@content") == [f"{URL}/{light}"], "no lead image: the logo"
    page = doc(out / PUBLISHED[1] / "index.html")
    assert all((out / PUBLISHED[1] / src).is_file() for src in page.xpath("//img/@src")), "the email's own logo too"


def test_an_issue_that_does_not_build_is_named(pub, run):
    templates = pub / "templates"
    templates.mkdir()
    (templates / "story-brief.mjml").write_text("{{ no_such_value }}\n")
    result = run("archive", cwd=pub)
    assert result.exit_code == 1
    assert ("templates/story-brief.mjml:1: template error: 'no_such_value' is undefined "
            "(building issues/2024-03-08-market)") in result.stderr
    assert "left out 4 issues: 2024-03-08-market (does not build), 2024-03-22-tag-typo" in result.stdout
    assert issue_links(site(pub) / "index.html") == PUBLISHED[1:]


def test_generated_files_in_problems_become_the_issue_folder(tmp_path):
    folder = tmp_path / "issues" / "2024-01-01-x"
    mjml = name_issue(Problem("MJML error: unexpected token", Path("email.mjml"), 12), folder, tmp_path)
    assert (mjml.path, mjml.line) == (folder, None)
    assert mjml.message == "MJML error: unexpected token (in the generated email.mjml:12)"
    own = Problem("the story is empty", folder / "01-a.md", 1)
    assert name_issue(own, folder, tmp_path) == own


def test_subject_merge_tags_are_filled_in_titles_and_cards(publication):
    pub = publication("archive")
    settings = load_settings(pub)
    rendered = build_issue(settings, pub / "issues" / PUBLISHED[1])
    rendered.issue.subject = "Fares for you, " + mergetags.mark("first_name", "neighbour")
    rendered.issue.preheader = "Dear " + mergetags.mark("first_name") + ": cheaper returns"
    page = lxml.html.document_fromstring(web_page(rendered, SiteInfo(feed=True)))
    assert page.findtext(".//title") == page.xpath("string(//h1)") == "Fares for you, neighbour"
    assert page.xpath("//meta[@property='og:title']/@content") == ["Fares for you, neighbour"]
    assert page.xpath("//meta[@name='description']/@content") == ["Dear reader: cheaper returns"]
    assert public_text(rendered, rendered.issue.subject) == "Fares for you, neighbour"


def test_the_feed_holds_the_newest_twenty_or_as_many_as_set(pub, run):
    add_issues(pub, PUBLISHED[2], 22)
    assert run("archive", cwd=pub).exit_code == 1  # the issue with a check error is still left out
    feed = feedparser.parse((site(pub) / "feed.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == 20
    assert [e.title for e in feed.entries[:3]] == ["The market moves indoors", "Ferries & fares: what changes in March",
                                                   "A new year on the quay"]
    assert feed.entries[-1].title == "Extra issue 6", "newest first, older ones left out of the feed"
    state = json.loads((site(pub) / "archive.json").read_text())
    assert len(state["feed"]) == 20, "only the feed's own issues keep their content in the state"
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + "\n[archive]\nfeed_entries = 5\n")
    run("archive", cwd=pub)
    assert len(feedparser.parse((site(pub) / "feed.xml").read_bytes()).entries) == 5
