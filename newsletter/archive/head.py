"""What every archive page says about itself: language, title, canonical URL, cards for sharing, icons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newsletter import i18n
from newsletter.config import Settings
from newsletter.model import Issue


@dataclass(frozen=True)
class SiteInfo:
    """What every page of one archive run shares: feed or not, icons, and whether search engines may index it."""

    feed: bool
    icons: tuple[dict[str, str], ...] = ()
    noindex: bool = False
    logos: tuple[tuple[str, str], ...] = ()  # ("light" | "dark", a web address or a path below the site root)


def issue_language(issue: Issue) -> tuple[str, str]:
    """Return the `lang` and `dir` of an issue's page: the issue's language (issue.toml's, else the publication's)."""
    return issue.lang, issue.dir


def language(settings: Settings) -> tuple[str, str]:
    """Return the publication's `lang` and its writing direction ([publication] dir, else its language's)."""
    lang = i18n.normalise(settings.publication.language or "en")
    return lang, settings.publication.dir or i18n.direction(lang)


def head_values(settings: Settings, site: SiteInfo, *, title: str, description: str, path: str, base: str,
                kind: str, image: dict[str, Any] | None = None, published: str = "") -> dict[str, Any]:
    """Return what archive/head.html shows for one page; `path` is the page's address below the site root."""
    root = settings.publication.url.rstrip("/")
    canonical = f"{root}/{path}" if root else ""
    shared = None
    if image and (root or "://" in image["src"]):
        shared = {**image, "url": image["src"] if "://" in image["src"] else f"{root}/{image['src']}"}
    elif (logo := dict(site.logos).get("light")) and (root or "://" in logo):
        shared = {"url": logo if "://" in logo else f"{root}/{logo}", "alt": settings.publication.name,
                  "width": None, "height": None}
    return {
        "title": title,
        "description": description or settings.publication.description,
        "canonical": canonical,
        "site_name": settings.publication.name,
        "kind": kind,
        "image": shared,
        "published": published,
        "icons": [{**icon, "href": icon["href"] if "://" in icon["href"] else base + icon["href"]}
                  for icon in site.icons],
        "feed": f"{base}feed.xml" if site.feed else "",
        "noindex": site.noindex,
    }
