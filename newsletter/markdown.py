"""The Markdown parser (CommonMark + tables) and the sanitiser for raw HTML in stories."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newsletter.mergetags import OPEN

if TYPE_CHECKING:
    from collections.abc import Iterator

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
    # Merge-tag markers must reach the HTML as they are, not percent-encoded.
    md.normalizeLink = lambda url: url if OPEN in url else default_normalize(url)  # type: ignore[method-assign]
    return md


def parse(source: str) -> list[Token]:
    """Parse Markdown source into tokens."""
    return parser().parse(source)


def render(tokens: list[Token]) -> str:
    """Render tokens to HTML and sanitise it."""
    md = parser()
    return sanitise(md.renderer.render(tokens, md.options, {}))


def sanitise(html: str) -> str:
    """Remove scripts, frames, event handlers and unsafe URLs, keeping the allowed markup."""
    return nh3.clean(
        _NOSCRIPT.sub("", html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        filter_style_properties=ALLOWED_STYLES,
        link_rel=None,
        strip_comments=True,
    )


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
