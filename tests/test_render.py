"""Rendered email checked with real tools: headless Chromium at phone and desktop widths, the reference MJML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, PROJECT, node

SAMPLES = ("2026-11-14-the-bridge", "2026-11-28-night-ferry")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory) -> Path:
    """Build the repository's sample publication once for this module."""
    from click.testing import CliRunner

    from newsletter.cli import cli

    out = tmp_path_factory.mktemp("sample")
    result = CliRunner().invoke(cli, ["--root", str(PROJECT), "build", "--all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def browser(chromium):
    """Return a Playwright browser on Debian's chromium."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("slug", SAMPLES)
@pytest.mark.parametrize("width", [320, 375, 600])
def test_nothing_scrolls_sideways(browser, sample_build, slug, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((sample_build / slug / "email.html").as_uri())
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{slug} scrolls sideways at {width}px ({scroll_width}px wide)"
    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= width + 0.5, f"an element reaches {widest}px at {width}px"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{slug}-{width}.png"), full_page=True)
    page.close()


@pytest.fixture
def dark_page(browser, sample_build):
    """Return the first sample issue opened at 600 px with the reader's system in dark mode."""
    page = browser.new_page(viewport={"width": 600, "height": 900}, color_scheme="dark")
    page.goto((sample_build / SAMPLES[0] / "email.html").as_uri())
    yield page
    page.close()


def computed(page, selector: str, prop: str) -> str:
    """Return the computed value of a CSS property of the first element matching selector."""
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).{prop}")


@pytest.mark.browser
def test_dark_mode_palette_applies(dark_page):
    assert computed(dark_page, ".nl-card td", "backgroundColor") == "rgb(30, 30, 30)"
    assert computed(dark_page, ".nl-story p:not([class])", "color") == "rgb(232, 230, 227)"
    ARTIFACTS.mkdir(exist_ok=True)
    dark_page.screenshot(path=str(ARTIFACTS / f"{SAMPLES[0]}-dark.png"), full_page=True)


@pytest.mark.browser
def test_images_and_text_are_real(browser, sample_build):
    page = browser.new_page(viewport={"width": 375, "height": 900})
    page.goto((sample_build / SAMPLES[0] / "email.html").as_uri())
    images = page.evaluate(
        "[...document.images].map(i => ({alt: i.alt, w: i.getAttribute('width'), h: i.getAttribute('height'),"
        " loaded: i.complete && i.naturalWidth > 0, shown: i.getBoundingClientRect().width}))"
    )
    assert images, "the sample lead story has an image"
    for image in images:
        assert image["alt"] and image["w"] and image["h"] and image["loaded"], image
        assert image["shown"] <= 375
    text = page.inner_text("body")
    assert "The footbridge that was almost ready" in text
    page.close()


@pytest.mark.mjml_reference
@pytest.mark.parametrize("slug", SAMPLES)
def test_mjml_passes_the_reference_validator(mjml_validator, sample_build, slug):
    result = node(str(mjml_validator), str(sample_build / slug / "email.mjml"))
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0 and report["errors"] == [], report["errors"]


@pytest.mark.parametrize("slug", SAMPLES)
def test_no_mjml_left_and_head_styles_kept(sample_build, slug):
    html = (sample_build / slug / "email.html").read_text()
    assert not re.search(r"</?mj-", html)
    assert "@media only screen and (min-width:480px)" in html
    assert "mso" in html and "#outlook a" in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert len(html.encode()) < 60_000


@pytest.mark.browser
def test_dark_mode_keeps_linked_titles_in_the_text_colour(dark_page):
    assert computed(dark_page, "a.nl-title-link", "color") == "rgb(232, 230, 227)"
    assert computed(dark_page, ".nl-story p:not([class]) a", "color") == "rgb(138, 180, 248)"


@pytest.mark.browser
def test_dark_mode_dims_the_rules(dark_page):
    rule = computed(dark_page, "hr.nl-rule", "borderTopColor")
    cell = computed(dark_page, ".nl-text td", "borderBottomColor")
    assert rule == cell == "rgb(58, 58, 58)"
    assert computed(dark_page, "blockquote.nl-pull", "borderLeftColor") == "rgb(179, 38, 30)", "accent kept"
