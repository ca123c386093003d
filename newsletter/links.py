"""Outgoing links: the [links] UTM defaults, added to links that carry no utm_ parameter of their own."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from markdown_it.token import Token

from newsletter.config import LinkOptions
from newsletter.markdown import walk

NO_UTM = "no-utm"  # a Markdown link titled this, [text](url "no-utm"), is left untracked
_FIELD = re.compile(r"\{(number|date|slug)\}")


def campaign(template: str, slug: str, number: int | None = None, date: dt.date | None = None) -> str:
    """Return utm_campaign: the [links] value with {number}, {date} and {slug} filled, by default the shortest.

    The default is the issue number, else its date (2024-03-23), else its slug: a few bytes on every link.
    """
    values = {"number": str(number) if number is not None else "", "date": date.isoformat() if date else "",
              "slug": slug}
    if not template:
        return values["number"] or values["date"] or slug
    return _FIELD.sub(lambda m: values[m.group(1)] or slug, template)


def utm_defaults(options: LinkOptions, slug: str, number: int | None = None,
                 date: dt.date | None = None) -> dict[str, str]:
    """Return the UTM parameters to add, or {} when [links] sets none."""
    values = {"utm_source": options.utm_source, "utm_medium": options.utm_medium,
              "utm_campaign": options.utm_campaign}
    if not any(values.values()):
        return {}
    values["utm_campaign"] = campaign(options.utm_campaign, slug, number, date)
    return {key: value for key, value in values.items() if value}


def add_utm(url: str, defaults: dict[str, str]) -> str:
    """Add the UTM defaults to an http(s) URL, unless it already carries any utm_ parameter of its own."""
    if not defaults or not url.startswith(("http://", "https://")):
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key.lower().startswith("utm_") for key, _ in query):
        return url
    added = urlencode(list(defaults.items()))
    return urlunsplit(parts._replace(query=f"{parts.query}&{added}" if parts.query else added))


def tag_links(tokens: list[Token], defaults: dict[str, str]) -> None:
    """Add the UTM defaults to every Markdown link in tokens; drop the title of links opted out with "no-utm"."""
    for token, _line in walk(tokens):
        if token.type != "link_open":
            continue
        if str(token.attrGet("title") or "").strip().lower() == NO_UTM:
            del token.attrs["title"]
            continue
        if defaults:
            token.attrSet("href", add_utm(str(token.attrGet("href") or ""), defaults))
