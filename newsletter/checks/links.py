"""Link rules: malformed, insecure, empty and vague links, mismatched UTM tags, and (with --links) dead ones."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsletter.checks import Finding, Rule
from newsletter.checks.context import Block, Context
from newsletter.mergetags import OPEN

MALFORMED = Rule("links/malformed", "error", "a URL that is not a valid web, mailto or tel address",
                 "correct the address: it should look like https://example.org/page")
INSECURE = Rule("links/insecure", "warning", "an http:// link", "use https:// (check the site serves it)")
EMPTY = Rule("links/empty", "error", "a link with an empty or `#` address", "give the link its real address")
VAGUE = Rule("links/vague-text", "warning", "link text that says nothing out of context",
             'say where the link goes: "the council\'s report", not "click here"')
UTM = Rule("links/utm-mismatch", "warning", "the same URL with different UTM tags in one issue",
           "use the same utm_ parameters for every link to this page, or leave them to [links] in newsletter.toml")
BROKEN = Rule("links/broken", "error", "the link answers with an error or not at all (--links)",
              "fix or remove the link")
TIMEOUT = Rule("links/timeout", "warning", "the site did not answer in time (--links)",
               "open the link yourself; if it works, the site is slow")
CHAIN = Rule("links/redirect-chain", "warning", "the link goes through two or more redirects (--links)",
             "link to the final address directly")
REDIRECT = Rule("links/redirect", "info", "the link redirects once (--links)",
                "link to the final address directly if the redirect is permanent")
NOT_CHECKED = Rule("links/not-checked", "warning", "a link to a private or local address, not requested (--links)",
                   "link to a public address: readers outside your network cannot open this one either")
OFFLINE = Rule("links/offline", "warning", "no URL could be requested: the network seems down (--links)",
               "connect to the network and run `newsletter check --links` again")
RULES = (MALFORMED, INSECURE, EMPTY, VAGUE, UTM, BROKEN, TIMEOUT, CHAIN, REDIRECT, NOT_CHECKED, OFFLINE)

VAGUE_TEXT = frozenset({"click here", "here", "read more", "more", "link", "this link", "this", "click",
                        "learn more", "go", "continue", "see more", "details"})
SCHEMES = {"http", "https", "mailto", "tel"}
_BARE_URL = re.compile(r"\bhttps?://[^\s<>\"“”]+", re.IGNORECASE)
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$"
                   r"|^localhost$|^\d{1,3}(?:\.\d{1,3}){3}$")


@dataclass(frozen=True)
class Link:
    """A link as the writer wrote it: address, visible text, title and where it is."""

    url: str
    text: str
    path: Path
    line: int | None
    title: str = ""
    kind: str = "link"  # link, text (a bare URL in text), front, image, config, email (the theme's)
    column: int | None = None


def check(ctx: Context) -> Iterator[Finding]:
    """Run the link rules; with ctx.online also request every URL."""
    found = collect(ctx)
    for link in found:
        yield from (replace(f, column=link.column) for f in _static(link))
    yield from _utm(found)
    if ctx.online:
        from newsletter.checks.linkcheck import check_online

        yield from check_online([*found, *email_links(ctx, found)], ctx.settings.root, timeout=ctx.link_timeout)


def collect(ctx: Context) -> list[Link]:
    """Return every link in the issue: story and intro text, front-matter links, remote images, config."""
    out: list[Link] = []
    for block in ctx.all_blocks():
        out.extend(_block_links(block))
    for story in ctx.issue.stories:
        if story.link:
            out.append(Link(story.link, story.title, story.path, ctx.front_line(story, "link"), kind="front"))
        base = ctx.settings.images.base_url.rstrip("/")
        for image in story.images:  # remote images, and local ones where exports put them: [images] base_url
            src = f"{base}/{ctx.issue.slug}/{image.src}" if base and image.is_local else image.src
            if src.startswith(("http:", "https:")):
                out.append(Link(src, image.alt, story.path, image.line or ctx.front_line(story, "image"),
                                kind="image"))
    settings = ctx.settings
    for table, key, url in (("publication", "subscribe_url", settings.publication.subscribe_url),
                            ("publication", "unsubscribe_url", settings.publication.unsubscribe_url),
                            ("publication", "preferences_url", settings.publication.preferences_url),
                            ("theme", "logo", settings.theme.logo)):
        if url and (key != "logo" or url.startswith(("http:", "https:"))):
            out.append(Link(url, "", ctx.config_path, ctx.config_line(table, key), kind="config"))
    return out


_EMAIL_URL = re.compile(r"""\b(?:href|src)\s*=\s*["'](https?://[^"'\s>]+)""", re.IGNORECASE)


def email_links(ctx: Context, found: list[Link]) -> list[Link]:
    """Return the URLs the built email carries beyond the writer's (the theme's own), pointed at the theme."""
    if ctx.rendered is None:
        return []
    known = {_without_utm(link.url) for link in found}
    out: list[Link] = []
    for match in _EMAIL_URL.finditer(ctx.rendered.html):
        url = html.unescape(match.group(1))
        if OPEN in url or _without_utm(url) in known:
            continue
        known.add(_without_utm(url))
        out.append(Link(url, "", ctx.settings.root / "templates", None, kind="email"))
    return out


def _without_utm(url: str) -> str:
    """Return a URL without its utm_ parameters and fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith("utm_")]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def _block_links(block: Block) -> Iterator[Link]:
    """Yield the links of one block: Markdown links, raw HTML anchors and bare URLs in the text."""
    if block.kind == "html":
        yield from _html_links(block, block.raw)
        return
    children = block.token.children or [] if block.token else []
    href: str | None = None
    title, text = "", []
    for child in children:
        if child.type == "link_open":
            href, title, text = str(child.attrGet("href") or ""), str(child.attrGet("title") or ""), []
            if child.markup == "autolink":
                title = href
        elif child.type == "link_close" and href is not None:
            line, column = _place(block, f"]({href}", 2, href)
            yield Link(href, "".join(text).strip(), block.path, line, title, column=column)
            href = None
        elif child.type in {"text", "code_inline"}:
            if href is not None:
                text.append(child.content)
            else:
                for match in _BARE_URL.finditer(child.content):
                    url = match.group().rstrip(".,;:!?)’'")
                    line, column = block.locate(url)
                    yield Link(url, url, block.path, line, kind="text", column=column)
        elif child.type == "html_inline":
            yield from _html_links(block, child.content)


def _place(block: Block, written: str, skip: int, url: str) -> tuple[int, int]:
    """Return the (line, column) of a link's address: where it is written in full, else where it appears."""
    at = block.raw.find(written)
    return block.position(at + skip) if at >= 0 else block.locate(url)


class _Anchors(HTMLParser):
    """Collect `<a href>` and their text from raw HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []
        self._open: tuple[str, str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an anchor."""
        values = dict(attrs)
        if tag == "a" and "href" in values:
            self._open = (values.get("href") or "", values.get("title") or "", [])

    def handle_data(self, data: str) -> None:
        """Collect anchor text."""
        if self._open:
            self._open[2].append(data)

    def handle_endtag(self, tag: str) -> None:
        """Close an anchor."""
        if tag == "a" and self._open:
            href, title, text = self._open
            self.links.append((href, title, "".join(text).strip()))
            self._open = None


def _html_links(block: Block, html: str) -> Iterator[Link]:
    """Yield the anchors of raw HTML with their lines."""
    parser = _Anchors()
    parser.feed(html)
    parser.close()
    for href, title, text in parser.links:
        line, column = _place(block, f'href="{href}"', 6, href)
        yield Link(href, text, block.path, line, title, column=column)


def _static(link: Link) -> Iterator[Finding]:
    """Check one link's address and text without the network."""
    url = link.url.strip()
    if OPEN in url or "{{" in url:
        return  # a merge tag such as {{ unsubscribe_url }}
    if url in {"", "#"}:
        yield EMPTY.at(link.path, link.line, f"the link “{link.text or url}” has {'an empty' if not url else 'a #'} "
                                             "address, so it goes nowhere")
        return
    problem = malformed(url)
    if problem:
        yield MALFORMED.at(link.path, link.line, f"{url!r}: {problem}")
        return
    if url.lower().startswith("http://"):
        yield INSECURE.at(link.path, link.line, f"{url} is not secure (http://); mail clients may warn readers")
    if link.kind == "link" and link.text.casefold().strip(" .…!:→>") in VAGUE_TEXT and not link.title:
        yield VAGUE.at(link.path, link.line, f"the link text “{link.text}” does not say where it goes")


def malformed(url: str) -> str:
    """Return what is wrong with a URL, or '' when it is well formed."""
    if any(c.isspace() for c in url):
        return "it contains spaces (encode them as %20 or remove them)"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"it cannot be parsed ({exc})"
    scheme = parts.scheme.lower()
    if not scheme:
        return "it has no scheme; links in email must be absolute, such as https://…"
    if scheme not in SCHEMES:
        return f"{scheme}: links are not allowed in email (use https, mailto or tel)"
    if scheme in {"http", "https"}:
        if not host:
            return "it has no host name"
        if not _HOST.match(host.encode("idna").decode("ascii") if not host.isascii() else host):
            return f"the host name {host!r} is not valid"
    if scheme == "mailto" and "@" not in parts.path:
        return "the mailto: address has no @"
    return ""


def _utm(links: list[Link]) -> Iterator[Finding]:
    """Report one page linked with different utm_ parameters."""
    seen: dict[str, tuple[tuple[tuple[str, str], ...], Link]] = {}
    for link in links:
        if link.kind in {"config", "image"} or malformed(link.url):
            continue
        query = parse_qsl(urlsplit(link.url).query, keep_blank_values=True)
        tags = tuple(sorted((k, v) for k, v in query if k.lower().startswith("utm_")))
        bare = _without_utm(link.url)
        first = seen.setdefault(bare, (tags, link))
        if first[0] != tags:
            where = f"line {first[1].line}" if first[1].path == link.path else f"{first[1].path.name}:{first[1].line}"
            mine = "&".join(f"{k}={v}" for k, v in tags) or "no UTM tags"
            theirs = "&".join(f"{k}={v}" for k, v in first[0]) or "no UTM tags"
            yield UTM.at(link.path, link.line, f"{bare} has {mine} here but {theirs} on {where}", column=link.column)
