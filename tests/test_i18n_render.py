"""Localised emails on screen and in the reference tools: Arabic and Japanese in Chromium at 375 and 600 px,
the right-to-left build through the reference mjml and html-validate."""

from __future__ import annotations

import json

import pytest

from tests import test_i18n, test_render
from tests.conftest import ARTIFACTS, MJML_DIR, missing_tool, node

browser = test_render.browser  # the module-scoped Playwright Chromium fixture
built = test_i18n.built  # the languages fixture, built once for this module
ISSUES = test_i18n.ISSUES

# Every element's box, and the text of every paragraph-like element outside a scrolling table wrapper and outside a
# story that runs the other way (.nl-flip): where its lines start and end against its own box.
LAYOUT = """() => {
  const boxes = [...document.querySelectorAll('body *')].filter(e => !e.closest('.nl-table') ||
    e.classList.contains('nl-table')).map(e => e.getBoundingClientRect()).filter(r => r.width > 0);
  const lines = [...document.querySelectorAll('.nl-text p, .nl-text li, .nl-text h2, .nl-masthead p')]
    .filter(e => !e.closest('.nl-flip') && e.textContent.trim()).map(e => {
      const range = document.createRange(); range.selectNodeContents(e);
      const box = e.getBoundingClientRect(), text = range.getBoundingClientRect(), style = getComputedStyle(e);
      return {text: e.textContent.trim().slice(0, 40), direction: style.direction, align: style.textAlign,
              startGap: style.direction === 'rtl' ? box.right - text.right : text.left - box.left};
    });
  return {left: Math.min(...boxes.map(r => r.left)), right: Math.max(...boxes.map(r => r.right)),
          scroll: document.documentElement.scrollWidth, lines};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("language", ["ar", "ja"])
def test_arabic_and_japanese_fit_and_start_on_their_side(browser, built, language, width):
    for dark in (False, True):
        page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme="dark" if dark else "light")
        page.goto((built / ISSUES[language] / "email.html").as_uri())
        layout = page.evaluate(LAYOUT)
        assert layout["scroll"] <= width, f"{language} scrolls sideways at {width}px"
        assert layout["left"] >= -0.5 and layout["right"] <= width + 0.5, (language, width, layout["left"],
                                                                           layout["right"])
        expected = "rtl" if language == "ar" else "ltr"
        assert layout["lines"], language
        for line in layout["lines"]:
            assert line["direction"] == expected, line
            assert line["startGap"] < 2, f"{line['text']!r} does not start at its {expected} side: {line}"
            if language == "ar":
                assert line["align"] in {"right", "start"}, line
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"i18n-{language}-{width}{'-dark' if dark else ''}.png"),
                        full_page=True)
        page.close()


@pytest.mark.browser
def test_a_story_running_the_other_way_is_set_from_its_own_side(browser, built):
    """The Arabic story of the English issue starts at the right; the English story of the Arabic one at the left."""
    for slug, expected in ((test_i18n.ENGLISH_ISSUE, "rtl"), (ISSUES["ar"], "ltr")):
        page = browser.new_page(viewport={"width": 375, "height": 900})
        page.goto((built / slug / "email.html").as_uri())
        gaps = page.evaluate("""() => [...document.querySelectorAll('.nl-flip p, .nl-flip li')].map(e => {
            const range = document.createRange(); range.selectNodeContents(e);
            const box = e.getBoundingClientRect(), text = range.getBoundingClientRect();
            return [getComputedStyle(e).direction, Math.round(getComputedStyle(e).direction === 'rtl' ?
                    box.right - text.right : text.left - box.left)]; })""")
        assert gaps and all(direction == expected and gap < 2 for direction, gap in gaps), (slug, gaps)
        page.close()


@pytest.mark.mjml_reference
def test_the_right_to_left_build_passes_the_reference_mjml_and_html_validate(mjml_validator, built):
    slugs = (ISSUES["ar"], ISSUES["ja"], test_i18n.ENGLISH_ISSUE)
    result = node(str(mjml_validator), *(str(built / slug / "email.mjml") for slug in slugs))
    assert result.returncode == 0, result.stdout
    if not (MJML_DIR / "node_modules" / "html-validate").is_dir():
        missing_tool("html-validate is not installed (npm install --prefix tests/mjml)")
    result = node(str(MJML_DIR / "html_validate.mjs"), *(str(built / slug / "email.html") for slug in slugs))
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and all(r["errors"] == [] for r in reports), reports
