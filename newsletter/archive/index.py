"""The archive's front pages: the publication, a subscribe box, the newest issue, then every issue by year."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from newsletter.archive.head import SiteInfo, head_values, language
from newsletter.config import Settings
from newsletter.i18n import translator
from newsletter.render.templates import render_template, theme_dirs

PER_PAGE = 50


def page_path(number: int) -> str:
    """Return the site path of one front page: index.html, then page/2/index.html and on."""
    return "index.html" if number == 1 else f"page/{number}/index.html"


def index_pages(settings: Settings, entries: list[dict[str, Any]], site: SiteInfo) -> dict[str, bytes]:
    """Render every front page, PER_PAGE issues each; `entries` are the published issues, newest first."""
    chunks = [entries[start:start + PER_PAGE] for start in range(0, len(entries), PER_PAGE)] or [[]]
    dirs = theme_dirs(settings.root)
    lang, direction = language(settings)
    words = translator(settings, lang)
    pub = settings.publication
    pages: dict[str, bytes] = {}
    for number, chunk in enumerate(chunks, start=1):
        base = "" if number == 1 else "../../"
        issues = [_shown(entry, base) for entry in chunk]
        featured = issues.pop(0) if number == 1 and issues else None
        title = pub.name if number == 1 else words.gettext("%(name)s: issues, page %(number)s", name=pub.name,
                                                           number=number)
        path = "" if number == 1 else f"page/{number}/"
        image = featured["image_site"] if featured else None
        values = {
            "publication": pub, "theme": settings.theme, "archive": settings.archive, "feed": site.feed,
            "lang": lang, "dir": direction, "i18n": words, "base": base, "total": len(entries), "featured": featured,
            "years": [{"year": year, "issues": list(group)} for year, group in groupby(issues, key=_year)],
            "page": _pagination(number, len(chunks), base),
            "logo": _logo(site, base),
            "meta": head_values(settings, site, title=title, description=pub.description, path=path, base=base,
                                kind="website", image=image),
        }
        pages[page_path(number)] = render_template(dirs, "archive/index.html", values).encode("utf-8")
    return pages


def _shown(entry: dict[str, Any], base: str) -> dict[str, Any]:
    """Return one issue as the front page lists it, with links relative to the page."""
    image = entry.get("image")
    local = image is not None and "://" not in image["src"]
    return {
        **entry,
        "date": dt.date.fromisoformat(entry["date"]) if entry.get("date") else None,
        "href": f"{base}{entry['slug']}/index.html",
        "image": {**image, "src": base + image["src"]} if local else image,
        "image_site": image,
    }


def _year(issue: dict[str, Any]) -> str:
    """Return the year an issue is listed under: its date's, or the year it was first published."""
    return str(issue["date"].year) if issue["date"] else issue["published"][:4]


def _pagination(number: int, count: int, base: str) -> dict[str, Any]:
    """Return the links between front pages, relative to page `number`."""
    def href(n: int) -> str:
        return base + page_path(n)

    return {
        "number": number,
        "count": count,
        "newer": href(number - 1) if number > 1 else "",
        "older": href(number + 1) if number < count else "",
        "links": [{"number": n, "href": href(n), "current": n == number} for n in range(1, count + 1)],
    }


def _logo(site: SiteInfo, base: str) -> dict[str, str] | None:
    """Return the logo for light and dark pages, relative to the page, or None."""
    logos = dict(site.logos)
    if not logos.get("light"):
        return None

    def where(value: str) -> str:
        return value if "://" in value or not value else base + value

    return {"light": where(logos["light"]), "dark": where(logos.get("dark", ""))}
