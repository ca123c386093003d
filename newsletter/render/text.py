"""Plain text from the story model (not scraped from the HTML)."""

from __future__ import annotations

import textwrap

from markdown_it.token import Token

from newsletter.mergetags import mark
from newsletter.model import Issue


def render_text(issue: Issue) -> str:
    """Render the issue as a plain-text letter."""
    settings = issue.settings
    width = settings.text.width
    pub = settings.publication
    out: list[str] = [pub.name]
    meta = " · ".join(x for x in (f"Issue {issue.number}" if issue.number else "",
                                  f"{issue.date:%d %B %Y}" if issue.date else "") if x)
    if meta:
        out.append(meta)
    out.append("")
    if issue.intro_tokens:
        out += [*_blocks(issue.intro_tokens, width), ""]
    for story in issue.stories:
        out += ["-" * width, "", story.title, "=" * min(len(story.title), width)]
        if story.byline:
            out.append(story.byline)
        out.append("")
        out += _blocks(story.tokens, width)
        if story.link:
            out += [f"Read more: {story.link}", ""]
    out += ["-" * width, ""]
    if pub.subscribe_url:
        out += [f"Subscribe: {pub.subscribe_url}"]
    out += [f"Unsubscribe: {mark('unsubscribe_url')}", f"View in browser: {mark('web_url')}"]
    if pub.postal_address:
        out += ["", mark("postal_address")]
    return "\n".join(out).rstrip() + "\n"


def _blocks(tokens: list[Token], width: int) -> list[str]:
    """Render block tokens as wrapped paragraphs."""
    lines: list[str] = []
    for token in tokens:
        if token.type == "inline":
            text = _inline(token.children or [])
            lines += textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
            lines.append("")
        elif token.type in {"fence", "code_block"}:
            lines += [*token.content.rstrip("\n").split("\n"), ""]
    return lines


def _inline(children: list[Token]) -> str:
    """Flatten inline tokens to text, links as `text (url)`."""
    parts: list[str] = []
    href = ""
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
        elif child.type == "link_close" and href:
            parts.append(f" ({href})")
            href = ""
        elif child.type == "image":
            parts.append(f"[Image: {child.content}]")
    return "".join(parts)
