"""Images and accessibility: alt text, image weight, WCAG contrast of the theme, text size, document language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields
from html.parser import HTMLParser
from pathlib import Path

from newsletter.checks import Finding, Rule
from newsletter.checks.context import Context

MISSING_ALT = Rule("images/missing-alt", "error", "an image without alt text",
                   "describe the image in its alt text (`![what it shows](…)`, or `image_alt:` in front matter)",
                   ("no alt text",))
FILENAME_ALT = Rule("images/filename-alt", "warning", "alt text that is a file name",
                    "replace the file name with a description of what the image shows")
HEAVY = Rule("images/too-large", "warning", "an image file over 1 MB",
             "resize it to at most 1200 px wide (twice the column) and save it as JPEG or WebP")
CONTRAST = Rule("accessibility/low-contrast", "warning",
                "text under WCAG AA contrast (4.5:1, 3:1 when large), in light or dark mode",
                "darken the text colour or lighten the background in [theme] of newsletter.toml (dark_* for dark "
                "mode), or in the template override that sets it")
SMALL_TEXT = Rule("accessibility/small-text", "warning", "body text under 14 px",
                  "set `font_size` under [theme] to 14 or more (16–18 reads best on phones)")
NO_LANG = Rule("accessibility/no-lang", "warning", "the email does not declare its language",
               'set `language = "en"` (or your language) under [publication] in newsletter.toml')
WIDE_TABLE = Rule("accessibility/wide-table", "warning", "a table too wide for a phone",
                  "on a phone readers scroll it sideways: drop or merge columns, shorten long words and numbers, "
                  "or turn the table into a list")
RULES = (MISSING_ALT, FILENAME_ALT, HEAVY, CONTRAST, SMALL_TEXT, NO_LANG, WIDE_TABLE)

MAX_IMAGE_BYTES = 1024 * 1024
MIN_CONTRAST = 4.5
MIN_FONT_PX = 14
PHONE_COLUMN_PX = 375 - 2 * 24  # a 375 px phone less the story's padding
TABLE_FONT_PX, CHAR_EM, CELL_PADDING_PX = 14, 0.55, 8  # the theme's table text on phones; an average character
# (text colour, background colour, what the pair is used for in the default theme)
PAIRS = (
    ("text_color", "background_color", "body text"),
    ("muted_color", "background_color", "bylines, dates and the footer"),
    ("link_color", "background_color", "links"),
    ("accent_color", "background_color", "“Read more” links and quote rules"),
    ("text_color", "body_color", "text in sponsor boxes and code blocks"),
    ("dark_text_color", "dark_background_color", "body text in dark mode"),
    ("dark_muted_color", "dark_background_color", "bylines and footer in dark mode"),
    ("dark_link_color", "dark_background_color", "links in dark mode"),
    ("dark_accent_color", "dark_background_color", "digest section headings in dark mode"),
    ("dark_text_color", "dark_body_color", "text in sponsor boxes and code blocks in dark mode"),
)
_FILE_NAME = re.compile(r"^[\w\-. ()]+\.(?:png|jpe?g|gif|webp|svg|bmp|tiff?|heic)$"
                        r"|^(?:img|dsc|dscn|dcim|pxl|screenshot|image|photo)[_\- ]?\d[\w\-]*$", re.IGNORECASE)
_MD_IMAGE = re.compile(r"!\[(?:[^\]!]|!(?!\[))*\]\(\s*<?([^)\s>]+)")  # stops at the next "![": linear
_FRONT_IMAGE = re.compile(r"^image\s*:\s*[\"']?([^\"'\s]+)")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_HTML_LANG = re.compile(r"<html\b[^>]*\blang=\"[^\"]+\"", re.IGNORECASE)


def check(ctx: Context) -> Iterator[Finding]:
    """Run the image and accessibility rules."""
    yield from _images(ctx)
    yield from _contrast(ctx)
    yield from _text_and_language(ctx)
    yield from _tables(ctx)


def _tables(ctx: Context) -> Iterator[Finding]:
    """Warn about Markdown tables whose narrowest layout (each column as wide as its longest word) overflows a phone."""
    for story in ctx.issue.stories:
        widths: list[int] = []
        column, line = 0, None
        for token in story.tokens:
            if token.type == "table_open":
                widths, line = [], story.body_line + token.map[0] if token.map else None
            elif token.type == "tr_open":
                column = 0
            elif token.type == "inline" and line is not None:
                if column == len(widths):
                    widths.append(0)
                shown = " ".join(c.content for c in token.children or () if c.type in {"text", "code_inline"})
                widths[column] = max([widths[column], *(len(word) for word in shown.split())])  # a cell may be empty
                column += 1
            elif token.type == "table_close" and line is not None:
                px = sum(round(w * TABLE_FONT_PX * CHAR_EM) + CELL_PADDING_PX for w in widths)
                if px > PHONE_COLUMN_PX:
                    yield WIDE_TABLE.at(story.path, line, f"this table needs about {px} px even with every column "
                                                          f"at its longest word ({len(widths)} columns), more than "
                                                          f"the {PHONE_COLUMN_PX} px a 375 px phone has for it")
                line = None


def _images(ctx: Context) -> Iterator[Finding]:
    """Check every image's alt text and file size."""
    for story in ctx.issue.stories:
        found = [(img.src, img.alt, img.line or ctx.front_line(story, "image"), img.path) for img in story.images]
        for block in ctx.blocks(story):
            raw = [block.raw] if block.kind == "html" else [
                c.content for c in (block.token.children or [] if block.token else []) if c.type == "html_inline"]
            for html in raw:
                for src, alt in _html_images(html):
                    found.append((src, alt, block.line_of(src) if src else block.line, None))
        for src, alt, line, path in found:
            name = _written_src(ctx.lines(story.path), line) or Path(src).name
            if not alt.strip():
                yield MISSING_ALT.at(story.path, line, f"the image {name!r} has no alt text; readers with images "
                                                       "off or a screen reader get nothing")
            elif _FILE_NAME.match(alt.strip()) or alt.strip() == Path(name).stem:
                yield FILENAME_ALT.at(story.path, line, f"the alt text “{alt}” is a file name, not a description")
            if path is not None and path.is_file() and path.stat().st_size > MAX_IMAGE_BYTES:
                size = path.stat().st_size / 1024 / 1024
                yield HEAVY.at(story.path, line, f"{name} is {size:.1f} MB even after resizing for the email; it "
                                                 "slows the email on phones")
    for logo in (ctx.issue.logo, ctx.issue.logo_dark):
        if logo is not None and logo.path is not None and logo.path.stat().st_size > MAX_IMAGE_BYTES:
            yield HEAVY.at(ctx.config_path, logo.line, f"the logo is {logo.path.stat().st_size / 1048576:.1f} MB "
                                                       "even after resizing; it slows every issue on phones")


def _written_src(lines: list[str], line: int | None) -> str:
    """Return the image path as the writer typed it on a line (Markdown image or `image:` key), or ''."""
    text = lines[line - 1] if line and 0 < line <= len(lines) else ""
    match = _MD_IMAGE.search(text) or _FRONT_IMAGE.match(text)
    return match.group(1) if match else ""


class _Images(HTMLParser):
    """Collect `<img src alt>` from raw HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record an image."""
        if tag == "img":
            values = dict(attrs)
            self.images.append((values.get("src") or "", values.get("alt") or ""))


def _html_images(html: str) -> list[tuple[str, str]]:
    """Return (src, alt) of the images in raw HTML."""
    parser = _Images()
    parser.feed(html)
    parser.close()
    return parser.images


def contrast_ratio(foreground: str, background: str) -> float:
    """Return the WCAG 2 contrast ratio of two #rgb or #rrggbb colours."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    """Return the WCAG relative luminance of a hex colour."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(ctx: Context) -> Iterator[Finding]:
    """Check the theme's colour pairs, then the colours each text element of the email ends up with."""
    reported: set[tuple[str, str]] = set()
    for finding, pair in _theme_contrast(ctx):
        reported.add(pair)
        yield finding
    if ctx.rendered is not None:
        yield from _element_contrast(ctx, reported)


def _element_contrast(ctx: Context, reported: set[tuple[str, str]]) -> Iterator[Finding]:
    """Check every text element's colour on its background, in light and dark mode, once per kind of element."""
    from newsletter.checks.colours import styled_text

    seen: set[tuple[str, str, str, str]] = set()
    for item in styled_text(ctx.rendered.html):
        key = (item.mode, item.tag, item.color, item.background)
        ratio = contrast_ratio(item.color, item.background)
        if ratio >= (3.0 if item.large else MIN_CONTRAST) or key in seen or (
                item.color, item.background) in reported:
            continue
        seen.add(key)
        path, line = _text_source(ctx, item.text, (item.color, item.background))
        need = "3:1 large text needs" if item.large else f"{MIN_CONTRAST}:1 WCAG AA needs"
        yield CONTRAST.at(path, line, f"in {item.mode} mode, <{item.tag}> “{item.text[:50]}” is {item.color} on "
                                      f"{item.background}: contrast {ratio:.2f}:1, under the {need}")


def _text_source(ctx: Context, text: str, colours: tuple[str, str]) -> tuple[Path, int | None]:
    """Return where to fix a colour: the [theme] key set to it, else the story the text is in, else [theme]."""
    from newsletter.checks.colours import css_colour

    theme = ctx.settings.theme
    for item in fields(theme):
        value = str(getattr(theme, item.name))
        if value != item.default and css_colour(value) in colours:  # a colour the editor set
            return ctx.config_path, ctx.config_line("theme", item.name)
    words = " ".join(text.split()[:4])
    for story in ctx.issue.stories:
        for block in ctx.blocks(story):
            if words and words in " ".join(block.text.split()):
                return story.path, block.line
        if words and words in " ".join(story.title.split()):
            return story.path, ctx.title_line(story)
    return ctx.config_path, ctx.config_line("theme")


def _theme_contrast(ctx: Context) -> Iterator[tuple[Finding, tuple[str, str]]]:
    """Check the theme's text and background pairs against WCAG AA."""
    from newsletter.checks.colours import css_colour

    theme = ctx.settings.theme
    defaults = {f.name: f.default for f in fields(theme)}
    for fg_key, bg_key, use in PAIRS:
        fg, bg = str(getattr(theme, fg_key)), str(getattr(theme, bg_key))
        if not (_HEX.match(fg) and _HEX.match(bg)):
            continue
        ratio = contrast_ratio(fg, bg)
        if ratio >= MIN_CONTRAST:
            continue
        changed = fg_key if fg != defaults[fg_key] else bg_key
        line = ctx.config_line("theme", changed) or ctx.config_line("theme")
        finding = CONTRAST.at(ctx.config_path, line, f"{fg_key} {fg} on {bg_key} {bg} has contrast {ratio:.2f}:1, "
                                                     f"under the {MIN_CONTRAST}:1 WCAG AA needs ({use})")
        yield finding, (css_colour(fg), css_colour(bg))


def _text_and_language(ctx: Context) -> Iterator[Finding]:
    """Check the body text size and that the email declares its language."""
    theme = ctx.settings.theme
    if theme.font_size < MIN_FONT_PX:
        yield SMALL_TEXT.at(ctx.config_path, ctx.config_line("theme", "font_size"),
                            f"body text is {theme.font_size} px; under {MIN_FONT_PX} px is hard to read on phones")
    if not (ctx.issue.language or ctx.settings.publication.language).strip():  # issue.toml's may set it
        yield NO_LANG.at(ctx.config_path, ctx.config_line("publication", "language"),
                         "`language` is empty, so screen readers guess how to pronounce the email")
    elif ctx.rendered is not None and not _HTML_LANG.search(ctx.rendered.html):
        override = ctx.settings.root / "templates" / "email.mjml"
        yield NO_LANG.at(override if override.is_file() else ctx.config_path, None,
                         "email.html has no lang attribute on <html>; keep `lang=` on <mjml> in email.mjml")
