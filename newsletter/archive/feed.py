"""The archive's Atom feed (feedgen), sitemap.xml and robots.txt."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

from newsletter.config import Settings

FEED_NAME = "feed.xml"
SITEMAP_NAME = "sitemap.xml"
ROBOTS_NAME = "robots.txt"


def newest_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return entries newest first: by date, then by slug, undated ones by when they were first published."""
    return sorted(entries, key=lambda e: (e.get("date") or e["published"][:10], e["slug"]), reverse=True)


def atom_feed(settings: Settings, entries: list[dict[str, Any]], contents: dict[str, str]) -> bytes:
    """Return the Atom feed of the given entries (newest first), each with its full content and absolute links."""
    from feedgen.feed import FeedGenerator

    pub = settings.publication
    base = pub.url.rstrip("/")
    generator = FeedGenerator()
    generator.id(f"{base}/")
    generator.title(pub.name)
    if pub.description:
        generator.subtitle(pub.description)
    generator.author({"name": pub.from_name or pub.name, **({"email": pub.from_email} if pub.from_email else {})})
    generator.link(href=f"{base}/", rel="alternate")
    generator.link(href=f"{base}/{FEED_NAME}", rel="self")
    generator.language(pub.language)
    generator.generator("newsletter")
    generator.updated(max((_when(e["updated"]) for e in entries), default=_when("1970-01-01T00:00:00+00:00")))
    for entry in entries:
        item = generator.add_entry(order="append")
        item.id(settings.web_url(entry["slug"]))
        item.title(entry["subject"])
        item.link(href=settings.web_url(entry["slug"]), rel="alternate")
        item.published(_when(entry["published"]))
        item.updated(_when(entry["updated"]))
        if entry.get("preheader"):
            item.summary(entry["preheader"])
        item.content(contents[entry["slug"]], type="html")
    return generator.atom_str(pretty=True)


def sitemap(settings: Settings, entries: list[dict[str, Any]], pages: list[str]) -> bytes:
    """Return sitemap.xml: the front pages and every issue page with the day it last changed."""
    base = settings.publication.url.rstrip("/")
    newest = max((e["updated"][:10] for e in entries), default="")
    rows = [(f"{base}/{path.removesuffix('index.html')}", newest) for path in pages]
    rows += [(settings.web_url(e["slug"]), e["updated"][:10]) for e in entries]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, day in rows:
        lines.append(f"<url><loc>{escape(url)}</loc>" + (f"<lastmod>{day}</lastmod>" if day else "") + "</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots(settings: Settings, private: bool) -> bytes:
    """Return robots.txt: everything may be indexed (a private look with --drafts: nothing), and the sitemap."""
    lines = ["User-agent: *", "Disallow: /" if private else "Allow: /"]
    if settings.publication.url and not private:
        lines += ["", f"Sitemap: {settings.publication.url.rstrip('/')}/{SITEMAP_NAME}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _when(value: str) -> dt.datetime:
    """Parse a stored ISO timestamp."""
    return dt.datetime.fromisoformat(value)
