"""What the reader sees, in headless Chromium: phones with images and <style> blocks on and off, table cells
that keep their words, captions, dark mode clean under axe-core, and html-validate's WCAG rules."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.digest import make_digest
from newsletter.cli import cli
from tests import test_render
from tests.axe_helpers import axe_violations, describe
from tests.conftest import ARTIFACTS, FIXTURES, MJML_DIR, PROJECT, missing_tool, node

WIDTHS = (320, 375, 600)
browser = test_render.browser  # the same module-scoped Playwright Chromium fixture
THEME = "2024-09-07-harbour"
DIGEST = "2024-03-02-weekly-112"


def build(root: Path, out: Path) -> list[Path]:
    """Build every issue of a publication into out; return the email.html files."""
    result = CliRunner().invoke(cli, ["--root", str(root), "build", "--all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return sorted(out.glob("*/email.html"))


@pytest.fixture(scope="module")
def emails(tmp_path_factory) -> dict[str, Path]:
    """Build the sample publication, every fixture publication that builds, and the digest benchmark."""
    work = tmp_path_factory.mktemp("theme")
    found: dict[str, Path] = {}
    roots = {"sample": PROJECT, "digest": make_digest(work / "digest-pub")}
    for fixture in sorted(FIXTURES.iterdir()):
        if (fixture / "newsletter.toml").is_file() and fixture.name != "check-seed":  # check-seed is refused
            roots[fixture.name] = shutil.copytree(fixture, work / f"pub-{fixture.name}")
    for name, root in roots.items():
        for html in build(root, work / f"out-{name}"):
            found[html.parent.name] = html
    return found


def open_page(browser, html: Path, width: int, *, dark: bool = False, images: bool = True, styles: bool = True):
    """Open an email at a width, in light or dark mode, optionally with images blocked and <style> removed."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme="dark" if dark else "light")
    if not images:
        page.route(re.compile(r".*\.(png|jpe?g|gif|webp)$"), lambda route: route.abort())
    page.goto(html.as_uri())
    if not styles:  # what a client that drops <style> blocks shows: only the inlined styles
        page.evaluate("document.querySelectorAll('style').forEach(s => s.remove())")
    return page


# The right edge of everything outside a scrolling table wrapper (a wide table scrolls inside its wrapper).
WIDEST = """Math.max(...[...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.nl-table') || e.classList.contains('nl-table'))
  .map(e => e.getBoundingClientRect().right))"""


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("images", [True, False], ids=["images", "no-images"])
def test_nothing_scrolls_sideways_with_or_without_images(browser, emails, width, images):
    for slug in ("2026-11-14-the-bridge", "2026-11-28-night-ferry", THEME, DIGEST):
        page = open_page(browser, emails[slug], width, images=images)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{slug} is {scroll}px wide at {width}px (images {'on' if images else 'off'})"
        assert page.evaluate(WIDEST) <= width + 0.5, slug
        if width != 320:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"theme-{slug}-{width}-{'img' if images else 'noimg'}.png"),
                            full_page=True)
        page.close()


# For each word of each table cell: how many line boxes it takes (a word broken across lines takes two).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.nl-text th, .nl-text td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_no_word_is_broken_inside_a_table_cell(browser, emails, width):
    for slug in (THEME, "2026-11-14-the-bridge", "2024-02-01-constructs"):
        page = open_page(browser, emails[slug], width)
        assert page.evaluate(BROKEN_WORDS) == [], f"{slug} at {width}px"
        headers = page.evaluate("[...document.querySelectorAll('.nl-text th')].map(th => th.scope)")
        assert headers and all(scope in {"col", "row"} for scope in headers)
        page.close()


@pytest.mark.browser
def test_a_wide_table_scrolls_inside_its_wrapper_on_a_phone(browser, emails):
    page = open_page(browser, emails[THEME], 375)
    wrappers = page.evaluate("[...document.querySelectorAll('.nl-table')].map(w => [w.clientWidth, w.scrollWidth])")
    assert any(scroll > client for client, scroll in wrappers), "the eight-column table scrolls"
    assert any(scroll == client for client, scroll in wrappers), "the four-column table fits"
    page.close()


@pytest.mark.browser
def test_captions_and_credits_show_under_their_images(browser, emails):
    page = open_page(browser, emails[THEME], 375)
    captions = page.evaluate("""[...document.querySelectorAll('figure.nl-figure')].map(f => ({
        text: f.querySelector('figcaption').innerText,
        below: f.querySelector('figcaption').getBoundingClientRect().top
               >= f.querySelector('img').getBoundingClientRect().bottom}))""")
    assert [c["text"] for c in captions] == ["The new lamps, lit for the first time on Friday. PHOTO BY RAFA ORTIZ",
                                             "The ferry slip at low tide, from the lifeboat house."]
    assert all(c["below"] for c in captions)
    page.close()
    text = emails[THEME].with_name("email.txt").read_text()
    assert "[Image: A small tree in bloom beside the harbour wall]\nThe new lamps, lit for the first time on " \
           "Friday. Photo by Rafa Ortiz" in text
    assert "[Image: The ferry slip at low tide]\nThe ferry slip at low tide, from the lifeboat house." in text


@pytest.mark.browser
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_axe_finds_no_contrast_problem_in_any_fixture_email(browser, emails, dark):
    failures = []
    for slug, html in emails.items():
        page = open_page(browser, html, 600, dark=dark)
        violations = axe_violations(page)
        if violations:
            failures.append(f"{slug}:\n{describe(violations)}")
        page.close()
    assert not failures, "\n".join(failures)


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 600])
def test_without_style_blocks_links_stay_readable_and_the_layout_holds(browser, emails, width):
    for slug in (THEME, DIGEST, "2026-11-14-the-bridge"):
        page = open_page(browser, emails[slug], width, styles=False)
        assert page.evaluate("document.querySelectorAll('style').length") == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= width or slug == THEME, slug
        links = page.evaluate("""[...document.querySelectorAll('.nl-text p a, .nl-text li a')].map(a => {
            const s = getComputedStyle(a), p = getComputedStyle(a.parentElement);
            return {color: s.color, text: p.color, underline: s.textDecorationLine.includes('underline')}; })""")
        assert links, slug
        for link in links:
            assert link["underline"] or link["color"] != link["text"], link
        assert not axe_violations(page), slug
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 600])
def test_the_dropped_duplicate_style_block_changed_nothing_on_screen(browser, emails, width):
    """premailer used to repeat the inlined theme CSS as a <style>; putting it back renders the same pixels."""
    from newsletter.config import load_settings
    from newsletter.render.templates import theme_css

    css = theme_css(load_settings(PROJECT))
    html = emails["2026-11-14-the-bridge"]
    shots = []
    for extra in ("", f"<style>{css}</style>"):
        copy = html.with_name(f"dup-{width}-{len(extra)}.html")
        copy.write_text(html.read_text().replace("</head>", f"{extra}</head>"))
        page = open_page(browser, copy, width)
        shots.append(page.screenshot(full_page=True))
        page.close()
    assert shots[0] == shots[1]


def test_head_has_no_copy_of_the_inlined_theme_and_tracking_is_once_per_link(emails):
    html = emails[THEME].read_text()
    head = html.split("</head>", 1)[0]
    assert "text-transform: uppercase; color: #b3261e" not in head, "the section heading style is only inlined"
    assert len(re.findall(r"<style\b", head)) == 5, "MJML's four blocks and head.css"
    hrefs = re.findall(r'href="([^"]*)"', html)
    tracked = [h for h in hrefs if "utm_" in h]
    assert tracked and all(h.count("utm_source=") == 1 for h in tracked)
    assert any(h.endswith("utm_campaign=31") for h in tracked), "the default campaign is the issue number"
    assert "https://light.example.org/links/counting?utm_source=partner\"" in html, "a link's own UTM is kept"
    assert 'href="https://light.example.org/links/tides"' in html, "no-utm"


def test_digest_is_compact_in_html_and_a_tidy_list_in_text(emails):
    html = emails[THEME].read_text()
    assert re.search(r'<h2 class="nl-section"[^>]*>Worth reading</h2>', html)
    section = html.split(">Worth reading</h2>", 1)[1].split("</ul>", 1)[0]
    assert section.count("<li>") == 4 and "nl-card" not in section and "<hr" not in section, "no card per item"
    text = emails[THEME].with_name("email.txt").read_text()
    assert ("- Why harbour lamps are green · Coastal Review\n"
            "  The colour code for lights that ships should ignore.\n"
            "  https://light.example.org/links/green?utm_source=harbour-light&utm_medium=email&utm_campaign=31\n"
            "- A year of counting bridges · The Almost\n") in text
    assert len(emails[DIGEST].read_bytes()) <= 85 * 1024, "the digest benchmark's floor"


@pytest.mark.mjml_reference
def test_theme_fixture_passes_the_reference_mjml_and_html_validate(mjml_validator, emails):
    result = node(str(mjml_validator), str(emails[THEME].with_name("email.mjml")),
                  str(emails[DIGEST].with_name("email.mjml")))
    assert result.returncode == 0, result.stdout
    if not (MJML_DIR / "node_modules" / "html-validate").is_dir():
        missing_tool("html-validate is not installed (npm install --prefix tests/mjml)")
    files = [str(emails[slug]) for slug in (THEME, DIGEST, "2026-11-14-the-bridge", "2024-02-01-constructs")]
    result = node(str(MJML_DIR / "html_validate.mjs"), *files)
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and all(r["errors"] == [] for r in reports), reports


def logo_pub(publication, settings: str) -> Path:
    """Return a copy of the basic fixture with a 1000x250 logo (and a white one) in assets/ and [theme] settings."""
    from PIL import Image

    pub = publication()
    (pub / "assets").mkdir()
    Image.new("RGB", (1000, 250), (20, 60, 120)).save(pub / "assets" / "logo.png")
    Image.new("RGB", (1000, 250), (240, 240, 240)).save(pub / "assets" / "logo-dark.png")
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + f"\n[theme]\n{settings}\n")
    return pub


@pytest.mark.browser
def test_a_local_logo_is_processed_and_the_dark_logo_shows_in_dark_mode(browser, publication, run):
    pub = logo_pub(publication, 'logo = "assets/logo.png"\nlogo_dark = "assets/logo-dark.png"\nlogo_width = 200')
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    out = pub / "dist" / "2024-05-01-spring"
    html = (out / "email.html").read_text()
    names = re.findall(r'<img class="nl-logo[^"]*" src="images/([0-9a-f]{12}-logo(?:-dark)?\.png)" '
                       r'alt="Fixture Weekly" width="200" height="50"', html)
    assert len(names) == 2 and all((out / "images" / name).is_file() for name in names)
    shown = {}
    for dark in (False, True):
        page = open_page(browser, out / "email.html", 375, dark=dark)
        shown[dark] = page.evaluate("[...document.querySelectorAll('img.nl-logo')].filter(i => i.offsetHeight > 0)"
                                    ".map(i => i.getAttribute('src'))")
        page.close()
    assert shown[False] == [f"images/{names[0]}"] and shown[True] == [f"images/{names[1]}"]


@pytest.mark.parametrize(("setting", "message"), [
    ('logo = "assets/missing.png"', "[theme] logo 'assets/missing.png' not found"),
    ('logo = "../outside.png"', "[theme] logo '../outside.png' is outside the publication"),
    ('logo_dark = "assets/notes.txt"', "[theme] logo_dark 'assets/notes.txt' is not a PNG, JPEG, GIF or WebP"),
])
def test_a_bad_local_logo_is_refused_with_its_line(publication, run, setting, message):
    pub = logo_pub(publication, setting)
    (pub / "assets" / "notes.txt").write_text("not an image")
    (pub.parent / "outside.png").write_bytes((pub / "assets" / "logo.png").read_bytes())
    result = run("build", cwd=pub)
    line = pub.joinpath("newsletter.toml").read_text().split("\n").index(setting) + 1
    assert result.exit_code == 1 and f"newsletter.toml:{line}: {message}" in result.output, result.output
    assert "Traceback" not in result.output


def test_plain_http_assets_are_warned_about(publication, run):
    pub = logo_pub(publication, 'logo = "http://fixture.example.org/logo.png"')
    story = pub / "issues" / "2024-05-01-spring" / "02-markets.md"
    story.write_text(story.read_text() + "\n![A stall](http://fixture.example.org/stall.png)\n")
    result = run("build", cwd=pub)
    assert result.exit_code == 0
    assert "logo 'http://fixture.example.org/logo.png' is loaded over plain http" in result.output
    assert "02-markets.md:7: warning: image 'http://fixture.example.org/stall.png' is loaded over plain http" in \
        result.output


def test_noscript_wrappers_are_unwrapped_in_html_and_text(publication, run):
    pub = publication()
    story = pub / "issues" / "2024-05-01-spring" / "02-markets.md"
    story.write_text(story.read_text() + '\n<noscript><img src="https://fixture.example.org/pier.jpg" alt="The pier '
                     'at dawn"></noscript>\n\nAn inline <noscript><b>fallback</b></noscript> here.\n')
    assert run("build", cwd=pub).exit_code == 0
    out = pub / "dist" / "2024-05-01-spring"
    html, text = (out / "email.html").read_text(), (out / "email.txt").read_text()
    body = html.split("<body", 1)[1]
    assert "noscript" not in body.lower() and "&lt;img" not in body and "&lt;b&gt;" not in body
    assert re.search(r'<img src="https://fixture.example.org/pier.jpg" alt="The pier at dawn"', html)
    assert "<b>fallback</b>" in html
    assert "[Image: The pier at dawn]" in text and "An inline fallback here." in text and "<" not in text


def test_a_heavy_local_logo_is_checked_like_any_image(publication, run):
    import os

    from PIL import Image

    pub = logo_pub(publication, 'logo = "assets/grain.png"')
    Image.frombytes("RGB", (1000, 600), os.urandom(1000 * 600 * 3)).save(pub / "assets" / "grain.png")
    result = run("check", cwd=pub)
    line = pub.joinpath("newsletter.toml").read_text().split("\n").index('logo = "assets/grain.png"') + 1
    assert re.search(rf"newsletter.toml:{line}(:\d+)?: warning: the logo is 1.7 MB even after resizing", result.output)
