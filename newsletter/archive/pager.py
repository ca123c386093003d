"""The links under each issue page to the issues before and after it, replaced in place as neighbours change."""

from __future__ import annotations

import json
import re
from typing import Any

from newsletter.archive.head import language
from newsletter.archive.state import short_hash
from newsletter.config import Settings
from newsletter.i18n import translator
from newsletter.render.templates import render_template, theme_dirs

PAGER_START, PAGER_END = "<!--nl-pager-->", "<!--/nl-pager-->"
_PAGER = re.compile(re.escape(PAGER_START) + ".*?" + re.escape(PAGER_END), re.DOTALL)


def neighbour(entry: dict[str, Any] | None) -> dict[str, str] | None:
    """Return what a pager shows of a neighbouring issue."""
    if not entry:
        return None
    shown = {"slug": entry["slug"], "subject": entry.get("subject", "")}
    return {**shown, "lang": entry["lang"], "dir": entry.get("dir", "ltr")} if entry.get("lang") else shown


def pager_mark(older: dict[str, str] | None, newer: dict[str, str] | None) -> str:
    """Return what identifies a pager without rendering it (the theme is part of every page's inputs)."""
    return short_hash(json.dumps([older, newer], sort_keys=True).encode())


def pager_html(settings: Settings, older: dict[str, str] | None, newer: dict[str, str] | None,
               page: dict[str, Any] | None = None) -> str:
    """Return the links from an issue's page to the issues before and after it, in the page's language."""
    lang, direction = (page["lang"], page.get("dir", "ltr")) if page and page.get("lang") else language(settings)
    values = {"publication": settings.publication, "older": older, "newer": newer, "base": "../", "lang": lang,
              "dir": direction, "i18n": translator(settings, lang)}
    return render_template(theme_dirs(settings.root), "archive/pager.html", values).strip()


def set_pager(page: str, pager: str) -> str:
    """Return a page with its pager replaced."""
    return _PAGER.sub(lambda _: PAGER_START + pager + PAGER_END, page, count=1)
