"""The archive's index page (a theme template) and its Atom feed (feedgen)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from newsletter.config import Settings
from newsletter.render.templates import render_template, theme_dirs

FEED_NAME = "feed.xml"


def index_page(settings: Settings, entries: list[dict[str, Any]], feed: bool) -> str:
    """Render index.html: every issue newest first with its subject, date and preheader."""
    issues = [
        {**entry, "date": dt.date.fromisoformat(entry["date"]) if entry.get("date") else None}
        for entry in newest_first(entries)
    ]
    values = {"publication": settings.publication, "theme": settings.theme, "issues": issues, "feed": feed}
    return render_template(theme_dirs(settings.root), "archive/index.html", values)


def newest_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return entries newest first: by date, then by slug, undated ones by when they were first published."""
    return sorted(entries, key=lambda e: (e.get("date") or e["published"][:10], e["slug"]), reverse=True)


def atom_feed(settings: Settings, entries: list[dict[str, Any]]) -> bytes:
    """Return the Atom feed: one entry per issue with its full content and absolute links."""
    from feedgen.feed import FeedGenerator

    pub = settings.publication
    base = pub.url.rstrip("/")
    ordered = newest_first(entries)
    generator = FeedGenerator()
    generator.id(f"{base}/")
    generator.title(pub.name)
    generator.author({"name": pub.from_name or pub.name, **({"email": pub.from_email} if pub.from_email else {})})
    generator.link(href=f"{base}/", rel="alternate")
    generator.link(href=f"{base}/{FEED_NAME}", rel="self")
    generator.language(pub.language)
    generator.generator("newsletter")
    generator.updated(max((_when(e["updated"]) for e in ordered), default=_when("1970-01-01T00:00:00+00:00")))
    for entry in ordered:
        item = generator.add_entry(order="append")
        item.id(settings.web_url(entry["slug"]))
        item.title(entry["subject"])
        item.link(href=settings.web_url(entry["slug"]), rel="alternate")
        item.published(_when(entry["published"]))
        item.updated(_when(entry["updated"]))
        if entry.get("preheader"):
            item.summary(entry["preheader"])
        item.content(entry["content"], type="html")
    return generator.atom_str(pretty=True)


def _when(value: str) -> dt.datetime:
    """Parse a stored ISO timestamp."""
    return dt.datetime.fromisoformat(value)
