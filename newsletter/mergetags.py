"""The neutral merge-tag vocabulary: mark tags in content, find them, fill them per target."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape, unescape

TAGS = ("unsubscribe_url", "web_url", "preferences_url", "first_name", "email", "postal_address")
URL_TAGS = frozenset({"unsubscribe_url", "web_url", "preferences_url"})  # their values are whole addresses
OPEN, CLOSE = "\ue000", "\ue001"
HOLD, RELEASE = "\ue002", "\ue003"  # a merge tag's place while Markdown is parsed (see hold/settle)
SAFE_SCHEMES = ("http", "https", "mailto", "tel")

# What writers type in stories: {{ first_name }} or {{ first_name | default: "there" }}. Each run of spaces
# has one place in the pattern, so a long run without the closing braces costs linear time.
WRITTEN = re.compile(
    r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*default\s*:\s*(?:\"([^\"<>&]*)\"|'([^'<>&]*)')\s*)?\}\}"
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


OWN = re.compile(f"[{OPEN}{CLOSE}{HOLD}{RELEASE}]")


def mark_written(text: str) -> str:
    """Turn the known tags a writer typed into markers; unknown ones stay literal text.

    A backslash before a tag (`\\{{ first_name }}`) shows it as text, without the backslash. The marker
    characters themselves (private-use U+E000 to U+E003) are removed from what the writer typed, so pasted
    text can never pose as a merge tag.
    """
    text = OWN.sub("", text)
    out: list[str] = []
    last = 0
    for match in WRITTEN.finditer(text):
        start = match.start()
        if escaped(text, start):
            out += [text[last:start - 1], match.group(0)]
        elif match.group(1) in TAGS:
            out += [text[last:start], mark(match.group(1), match.group(2) or match.group(3) or "")]
        else:
            out.append(text[last:match.end()])
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def escaped(text: str, start: int) -> bool:
    """Return True when the tag starting at `start` follows a backslash (an odd number of them)."""
    count = 0
    while start - count > 0 and text[start - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def hold(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Put a placeholder where each tag a writer typed is, for a Markdown parser; return the text and the tags.

    Each tag becomes `HOLD<n>RELEASE`, which no Markdown rule touches (a link target stays one word) and
    which `settle` turns into the tag's marker, or back into the writer's text where the parser found code.
    Unknown and escaped tags are left as text. Returns the text and (original text, marker) per placeholder.
    """
    text = OWN.sub("", text)
    held: list[tuple[str, str]] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in TAGS or escaped(text, match.start()):
            return match.group(0)
        held.append((match.group(0), mark(name, match.group(2) or match.group(3) or "")))
        return f"{HOLD}{len(held) - 1}{RELEASE}"

    return WRITTEN.sub(replace, text), held


_HELD = re.compile(f"{HOLD}(\\d+){RELEASE}")


def settle(text: str, held: list[tuple[str, str]], *, code: bool) -> str:
    """Replace placeholders with their markers, or with the writer's own text inside code."""
    if HOLD not in text:
        return text
    return _HELD.sub(lambda m: held[int(m.group(1))][0 if code else 1], text)


def url_scheme_ok(url: str) -> bool:
    """Return True for a URL (HTML entities decoded) whose scheme is http, https, mailto or tel, or none."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                                    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", cleaned)
    return scheme is None or scheme.group(1).lower() in SAFE_SCHEMES


def marked_url_ok(url: str) -> bool:
    """Return True when a URL holding markers is safe whatever text its tags are filled with.

    Fallbacks and a reader's own values (first_name, email) are text: the address must be safe once they are
    filled in, and the part before them must already fix a safe scheme (or make the address relative).
    """
    if OPEN not in url:
        return url_scheme_ok(url)

    def world(hostile: bool) -> str:
        def value(m: re.Match[str]) -> str:
            name, fallback = m.group(1), m.group(2) or ""
            if name in URL_TAGS:
                return "https://example.org/" if hostile or not fallback else fallback
            return "javascript:" if hostile else fallback or "x"

        return MARKED.sub(value, url)

    return url_scheme_ok(world(False)) and url_scheme_ok(world(True))


def written(text: str) -> str:
    """Return text with its markers shown as the writer types tags, for messages."""
    return MARKED.sub(lambda m: f'{{{{ {m.group(1)} | default: "{m.group(2)}" }}}}' if m.group(2)
                      else f"{{{{ {m.group(1)} }}}}", text)


def used(text: str) -> list[str]:
    """Return the neutral tags marked in text, sorted."""
    return sorted({m.group(1) for m in MARKED.finditer(text)})


_URL_ATTRIBUTE = re.compile(r"(\s(?:href|src|action|formaction|background|poster|cite|xlink:href)\s*=\s*)"
                            r"(\"[^\"]*\"|'[^']*')", re.IGNORECASE)


def fill(text: str, value: Callable[[str, str], str], *, html: bool = False) -> str:
    """Replace every marker with value(name, fallback), HTML-escaped when filling HTML with plain values.

    In HTML, a link or image address that holds markers is checked once filled: one whose scheme is not
    http, https, mailto or tel (a fallback such as "javascript:alert(1)") becomes "#".
    """
    if not html:
        return MARKED.sub(lambda m: value(m.group(1), m.group(2) or ""), text)

    def filled(part: str) -> str:
        return MARKED.sub(lambda m: escape(value(m.group(1), m.group(2) or ""), quote=True), part)

    def attribute(match: re.Match[str]) -> str:
        quoted = match.group(2)
        if OPEN not in quoted:
            return match.group(0)
        address = filled(quoted[1:-1])
        return match.group(1) + quoted[0] + (address if url_scheme_ok(unescape(address)) else "#") + quoted[0]

    if OPEN in text:
        text = _URL_ATTRIBUTE.sub(attribute, text)
    return filled(text)


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
