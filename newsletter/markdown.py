"""The Markdown parser (CommonMark + tables) and the sanitiser for raw HTML in stories."""

from __future__ import annotations

import functools
import re
from html import unescape
from typing import TYPE_CHECKING

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newsletter import limits, mergetags
from newsletter.errors import ContentError
from newsletter.mergetags import HOLD, OPEN

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# What raw HTML a story may carry; everything else is removed (tags keep their text).
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "mark", "ol", "p", "pre", "s",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan", "style"},
    "th": {"align", "colspan", "rowspan", "style"},
}
# Table cells keep their alignment (markdown-it writes it as a style); no other CSS is kept.
ALLOWED_STYLES = {"text-align"}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# An email runs no scripts, so what a <noscript> holds is what readers should get: the wrapper is removed and
# its markup sanitised like the rest (left in, the sanitiser would show that markup as text).
_NOSCRIPT = re.compile(r"</?noscript\b[^>]*>", re.IGNORECASE)


@functools.cache
def parser() -> MarkdownIt:
    """Return the shared CommonMark parser with tables and strikethrough."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    default_normalize = md.normalizeLink
    # Merge-tag markers (and their placeholders) must reach the HTML as they are, not percent-encoded.
    md.normalizeLink = lambda url: (  # type: ignore[method-assign]
        url if OPEN in url or HOLD in url else default_normalize(url))
    return md


def parse(source: str) -> list[Token]:
    """Parse Markdown source into tokens; raise limits.TooDeep when it nests past the limit."""
    tokens = parser().parse(source)
    limits.check_nesting(tokens)
    return tokens


CODE = frozenset({"code_inline", "code_block", "fence"})


def parse_written(source: str, path: Path, first_line: int, what: str) -> list[Token]:
    """Parse what a writer typed: its merge tags become markers, except inside code, where they stay text.

    A tag written after a backslash (`\\{{ first_name }}`) is text too; Markdown drops the backslash. Nesting
    past the limits raises ContentError at `path` and the line (`first_line` is the source's first line).
    """
    held_source, held = mergetags.hold(source)
    try:
        tokens = parse(held_source)
    except limits.TooDeep as exc:
        raise ContentError(f"{what} {exc}", path, first_line + (exc.line or 0)) from None
    if held:
        for token in _every(tokens):
            code = token.type in CODE
            token.content = mergetags.settle(token.content, held, code=code)
            if token.attrs:
                token.attrs = {k: mergetags.settle(str(v), held, code=False) if isinstance(v, str) else v
                               for k, v in token.attrs.items()}
    return tokens


def literal_tags(source: str) -> set[int]:
    """Return the offsets in source of the `{{ tags }}` (known or not) that are text: inside code, or escaped."""
    source = mergetags.OWN.sub("\ufffd", source)  # the same length: offsets stay those of the writer's file
    starts: list[int] = []
    literal: set[int] = set()

    def replace(match: re.Match[str]) -> str:
        if mergetags.escaped(source, match.start()):
            literal.add(match.start())
            return match.group(0)
        starts.append(match.start())
        return f"{HOLD}{len(starts) - 1}{mergetags.RELEASE}"

    held = mergetags.WRITTEN.sub(replace, source)
    if not starts:
        return literal
    try:
        tokens = parse(held)
    except limits.TooDeep:
        return literal
    for token in _every(tokens):
        if token.type in CODE:
            literal.update(starts[int(n)] for n in re.findall(f"{HOLD}(\\d+)", token.content))
    return literal


def _every(tokens: list[Token]) -> Iterator[Token]:
    """Yield every token and inline child."""
    for token in tokens:
        yield token
        yield from token.children or ()


def render(tokens: list[Token]) -> str:
    """Render tokens to HTML and sanitise it."""
    md = parser()
    return sanitise(md.renderer.render(tokens, md.options, {}))


def sanitise(html: str) -> str:
    """Remove scripts, frames, event handlers and unsafe URLs, keeping the allowed markup.

    A link or image address holding merge tags is removed unless it is safe whatever the tags are filled
    with (see mergetags.marked_url_ok): a fallback such as "javascript:alert(1)" is text, never a scheme.
    """
    return _guard_urls(nh3.clean(
        _NOSCRIPT.sub("", html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        filter_style_properties=ALLOWED_STYLES,
        link_rel=None,
        strip_comments=True,
    ))


_URL_ATTRIBUTE = re.compile(r'\s(?:href|src)="([^"]*)"')


def _guard_urls(html: str) -> str:
    """Drop href and src attributes whose merge tags could make them unsafe (nh3 sees markers as a path)."""
    if OPEN not in html:
        return html
    return _URL_ATTRIBUTE.sub(
        lambda m: m.group(0) if OPEN not in m.group(1) or mergetags.marked_url_ok(unescape(m.group(1))) else "",
        html)


def walk(tokens: list[Token]) -> Iterator[tuple[Token, int | None]]:
    """Yield every token, inline children included, with the block line (0-based) it sits on."""
    for token in tokens:
        line = token.map[0] if token.map else None
        yield token, line
        for child in token.children or ():
            yield child, line


def paragraph_tokens(paragraphs: list[tuple[str, int]]) -> list[Token]:
    """Build paragraph tokens for plain-text stories: (text, 0-based line) each."""
    tokens: list[Token] = []
    for text, line in paragraphs:
        span = [line, line + text.count("\n") + 1]
        tokens.append(Token("paragraph_open", "p", 1, map=span, block=True))
        child = Token("text", "", 0, content=text)
        tokens.append(Token("inline", "", 0, map=span, content=text, children=[child], block=True))
        tokens.append(Token("paragraph_close", "p", -1, block=True))
    return tokens
