"""The neutral merge-tag vocabulary: mark tags in content, find them, fill them per target."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

TAGS = ("unsubscribe_url", "web_url", "preferences_url", "first_name", "email", "postal_address")
OPEN, CLOSE = "\ue000", "\ue001"

# What writers type in stories: {{ first_name }} or {{ first_name | default: "there" }}.
WRITTEN = re.compile(
    r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*default\s*:\s*(?:\"([^\"<>&]*)\"|'([^'<>&]*)'))?\s*\}\}"
)
MARKED = re.compile(OPEN + "(" + "|".join(TAGS) + r")(?:\|([^" + CLOSE + r"]*))?" + CLOSE)


def mark(name: str, fallback: str = "") -> str:
    """Return the internal marker for a neutral tag, which survives Markdown, MJML and inlining."""
    if name not in TAGS:
        raise ValueError(f"unknown merge tag {name!r}")
    return f"{OPEN}{name}|{fallback}{CLOSE}" if fallback else f"{OPEN}{name}{CLOSE}"


_MANGLED = re.compile(r"\\u\{e00([01])\}|%EE%80%8([01])", re.IGNORECASE)


def restore(html: str) -> str:
    """Undo what the HTML tools do to markers in attributes.

    MRML writes non-printable characters in attributes as Rust escapes (`\\u{e000}`), and lxml
    percent-encodes non-ASCII characters in href.
    """
    return _MANGLED.sub(lambda m: OPEN if (m.group(1) or m.group(2)) == "0" else CLOSE, html)


def mark_written(text: str) -> str:
    """Turn the known tags a writer typed into markers; unknown ones stay literal text.

    The marker characters themselves (private-use U+E000 and U+E001) are removed from what the writer typed,
    so pasted text can never pose as a merge tag.
    """
    text = text.replace(OPEN, "").replace(CLOSE, "")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in TAGS:
            return match.group(0)
        return mark(name, match.group(2) or match.group(3) or "")

    return WRITTEN.sub(replace, text)


def used(text: str) -> list[str]:
    """Return the neutral tags marked in text, sorted."""
    return sorted({m.group(1) for m in MARKED.finditer(text)})


def fill(text: str, value: Callable[[str, str], str], *, html: bool = False) -> str:
    """Replace every marker with value(name, fallback), HTML-escaped when filling HTML with plain values."""
    if html:
        return MARKED.sub(lambda m: escape(value(m.group(1), m.group(2) or ""), quote=True), text)
    return MARKED.sub(lambda m: value(m.group(1), m.group(2) or ""), text)


def preview_values(
    publication_url: str, web_url: str, unsubscribe_url: str, preferences_url: str, postal_address: str
) -> Callable[[str, str], str]:
    """Return the filler that shows harmless preview values, as build and preview do."""
    base = publication_url.rstrip("/")
    unsubscribe = unsubscribe_url or (f"{base}/unsubscribe" if base else "#unsubscribe")
    values = {
        "unsubscribe_url": unsubscribe,
        "web_url": web_url or "#",
        "preferences_url": preferences_url or unsubscribe,
        "email": "reader@example.com",
        "postal_address": postal_address,
    }

    def value(name: str, fallback: str) -> str:
        if name == "first_name":
            return fallback or "reader"
        return values[name]

    return value
