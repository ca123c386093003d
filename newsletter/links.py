"""Outgoing links: the [links] UTM defaults, added where a link does not set its own."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from markdown_it.token import Token

from newsletter.config import LinkOptions
from newsletter.markdown import walk


def utm_defaults(options: LinkOptions, slug: str) -> dict[str, str]:
    """Return the UTM parameters to add, or {} when [links] sets none (utm_campaign defaults to the slug)."""
    values = {"utm_source": options.utm_source, "utm_medium": options.utm_medium,
              "utm_campaign": options.utm_campaign}
    if not any(values.values()):
        return {}
    values["utm_campaign"] = values["utm_campaign"] or slug
    return {key: value for key, value in values.items() if value}


def add_utm(url: str, defaults: dict[str, str]) -> str:
    """Add the UTM defaults to an http(s) URL, keeping any utm_ parameter the link already has."""
    if not defaults or not url.startswith(("http://", "https://")):
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    added = [(key, value) for key, value in defaults.items() if key not in present]
    if not added:
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, *added])))


def tag_links(tokens: list[Token], defaults: dict[str, str]) -> None:
    """Add the UTM defaults to every Markdown link in tokens."""
    if not defaults:
        return
    for token, _line in walk(tokens):
        if token.type == "link_open":
            token.attrSet("href", add_utm(str(token.attrGet("href") or ""), defaults))
