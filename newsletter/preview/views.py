"""The preview's own files: the page, its script and style, and the email seen light, dark or inverted."""

from __future__ import annotations

import functools
import html
import json
import re
from importlib import resources

from newsletter.preview.readers import READERS

SCHEMES = ("light", "dark", "invert")
ASSETS = {"preview.js": "text/javascript; charset=utf-8", "frames.js": "text/javascript; charset=utf-8",
          "panel.js": "text/javascript; charset=utf-8", "preview.css": "text/css; charset=utf-8",
          "favicon.svg": "image/svg+xml"}

_DARK = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)
_LIGHT = re.compile(r"\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.IGNORECASE)
_ALWAYS, _NEVER = "(min-width: 0px)", "(max-width: -1px)"
# Gmail and Outlook apps in dark mode invert the colours of a message that has no dark styles of its own;
# images keep theirs.
_INVERT = ("html{filter:invert(1) hue-rotate(180deg);background:#fff}"
           "img,picture,video{filter:invert(1) hue-rotate(180deg)}")


@functools.cache
def asset(name: str) -> bytes:
    """Return one of the page's files, shipped inside the package."""
    return resources.files("newsletter.preview").joinpath("assets", name).read_bytes()


def page(slug: str, version: int, token: str) -> bytes:
    """Return the preview page for an issue; `token` lets only this page ask the server to open files."""
    text = asset("index.html").decode("utf-8")
    boot = json.dumps({"slug": slug, "version": version, "token": token, "readers": READERS}).replace("<", "\\u003c")
    return (text.replace("__TITLE__", html.escape(f"preview: {slug}"))
            .replace("__BOOT__", html.escape(boot, quote=True))).encode("utf-8")


def email_view(document: str, scheme: str) -> str:
    """Return the email as a client in `scheme` shows it, whatever the editor's own system setting is.

    `dark` turns on the theme's `prefers-color-scheme: dark` rules; `invert` keeps the light styles and
    inverts the colours as the Gmail and Outlook apps do; every view opens links outside the preview.
    """
    dark = scheme == "dark"
    out = _DARK.sub(_ALWAYS if dark else _NEVER, document)
    out = _LIGHT.sub(_NEVER if dark else _ALWAYS, out)
    extra = f'<base target="_blank"><style>:root{{color-scheme:{"dark" if dark else "light"}!important}}'
    extra += (_INVERT if scheme == "invert" else "") + "</style>"
    head = re.search(r"<head[^>]*>", out, re.IGNORECASE)
    if head is None:
        return extra + out
    return out[:head.end()] + extra + out[head.end():]
