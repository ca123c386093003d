"""Shared by the exporters: escaping each platform's template syntax, merge-tag dialects, images, sender."""

from __future__ import annotations

import html as htmllib
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter import mergetags
from newsletter.config import Settings
from newsletter.errors import ConfigError
from newsletter.model import Rendered

ZWSP = "\u200b"

# Each family: the pattern of an opener the platform would parse, and what to put instead in HTML
# (a character reference the browser shows as the same character) and in plain text (a zero-width space
# that breaks the token without changing what the reader sees).
_MAILGUN_NAMES = (r"(?:recipient(?:[._][\w.]+)?|unsubscribe_url|unsubscribe_email|tag_unsubscribe_url"
                  r"|mailing_list_unsubscribe_url)")
FAMILIES: dict[str, tuple[re.Pattern[str], Callable[[str], str], Callable[[str], str]]] = {
    # Handlebars, Mustache, Liquid, Django and Go templates: {{ … }}, {% … %}, {# … #}
    "curly": (re.compile(r"\{(?=[{%#])"), lambda m: "&#123;", lambda m: "{" + ZWSP),
    # Mailchimp: *|TAG|*
    "mailchimp": (re.compile(r"\*\|"), lambda m: "*&#124;", lambda m: "*" + ZWSP + "|"),
    # Campaign Monitor: [tag] and, in text, <unsubscribe>-style pseudo-tags (in HTML those are already &lt;)
    "brackets": (re.compile(r"\[|<(?=/?(?:unsubscribe|webversion|preferences|forwardtoafriend)\b)", re.I),
                 lambda m: "&#91;" if m.group(0) == "[" else m.group(0), lambda m: m.group(0) + ZWSP),
    # Mailgun: %unsubscribe_url%, %recipient.first%, …
    "percent": (re.compile(r"%(?=" + _MAILGUN_NAMES + r"%)"), lambda m: "&#37;", lambda m: "%" + ZWSP),
}
_SKIP = re.compile(r"(<!--.*?-->|<style\b.*?</style>|<script\b.*?</script>)", re.S | re.I)


def escape_text(text: str, families: tuple[str, ...]) -> str:
    """Break every opener of the given template families in plain text."""
    for family in families:
        pattern, _, in_text = FAMILIES[family]
        text = pattern.sub(in_text, text)
    return text


def escape_html(html: str, families: tuple[str, ...]) -> str:
    """Break every opener in HTML text and attributes, leaving comments and style blocks alone."""
    parts = _SKIP.split(html)
    for i in range(0, len(parts), 2):
        for family in families:
            pattern, in_html, _ = FAMILIES[family]
            parts[i] = pattern.sub(in_html, parts[i])
    return "".join(parts)


@dataclass(frozen=True)
class Dialect:
    """How one platform writes the neutral merge tags, and which template syntax it parses."""

    families: tuple[str, ...]
    tags: Mapping[str, str]
    first_name: str
    first_name_fallback: str = ""
    # The quote characters that delimit a string in the platform's syntax, in order of preference.
    string_quotes: str = "\"'"

    @property
    def unsubscribe(self) -> str:
        """Return the platform's unsubscribe tag, which every export must contain."""
        return self.tags["unsubscribe_url"]

    def value(self, rendered: Rendered, name: str, fallback: str, *, for_html: bool) -> str:
        """Return the platform's tag for a neutral tag, or the literal value where it has none."""
        if name == "first_name":
            return self.with_fallback(fallback, for_html=for_html) if fallback and self.first_name_fallback \
                else self.first_name
        if name in self.tags:
            return self.tags[name]
        pub = rendered.issue.settings.publication
        literal = {
            "web_url": rendered.issue.web_url or pub.url,
            "postal_address": pub.postal_address,
            "preferences_url": pub.preferences_url,
        }.get(name, "")
        if not literal and name == "preferences_url":
            return self.unsubscribe
        # A literal from newsletter.toml is text too: the platform must not parse it as a tag.
        return escape_html(htmllib.escape(literal), self.families) if for_html else escape_text(literal, self.families)

    def with_fallback(self, fallback: str, *, for_html: bool) -> str:
        """Return the first-name tag with the writer's fallback, which stays literal text for the platform."""
        text = escape_html(fallback, self.families) if for_html else escape_text(fallback, self.families)
        template = self.first_name_fallback
        quoted = re.search(r'"([^"]*\{fallback\}[^"]*)"', template)
        if quoted and '"' in text:
            # The fallback holds the string's own quote: delimit it with the platform's other string quote.
            quote = next((q for q in self.string_quotes if q not in text), "")
            if quote:
                template = template.replace(quoted.group(0), quote + quoted.group(1) + quote)
            else:
                text = text.replace('"', "\u201d")
        return template.format(fallback=text)


@dataclass
class Content:
    """One issue's subject, preheader, HTML and text, escaped and filled for one platform."""

    subject: str
    preheader: str
    html: str
    text: str


def content(rendered: Rendered, dialect: Dialect, html: str | None = None) -> Content:
    """Escape the platform's syntax in the literal text, then fill the markers with its tags."""
    source = rendered.html if html is None else html
    filled_html = mergetags.fill(escape_html(source, dialect.families),
                                 lambda n, f: dialect.value(rendered, n, f, for_html=True))
    filled_text = mergetags.fill(escape_text(rendered.text, dialect.families),
                                 lambda n, f: dialect.value(rendered, n, f, for_html=False))
    issue = rendered.issue
    return Content(subject=escape_text(issue.subject, dialect.families),
                   preheader=escape_text(issue.preheader, dialect.families),
                   html=filled_html, text=filled_text)


def _image_src(rendered: Rendered) -> re.Pattern[str]:
    """Return the pattern of an image reference in the HTML: relative or under [images] base_url."""
    base = rendered.issue.settings.images.base_url.rstrip("/")
    names = "|".join(re.escape(name) for name in sorted(rendered.images, key=len, reverse=True)) or "(?!)"
    prefix = f"(?:images/|{re.escape(base)}/{re.escape(rendered.slug)}/images/)" if base else "images/"
    return re.compile(r'(?<=src=")' + prefix + f"({names})" + r'(?=")')


def local_images(rendered: Rendered, html: str, to: Callable[[str], str] | None = None) -> str:
    """Point every local image at `images/<name>` (or at to(name)), for zips and raw mail."""
    return _image_src(rendered).sub(lambda m: to(m.group(1)) if to else f"images/{m.group(1)}", html)


def hosted_images(rendered: Rendered, html: str) -> str:
    """Return the HTML with absolute image URLs, or explain which setting hosts the images."""
    if not rendered.images:
        return html
    settings = rendered.issue.settings
    base = settings.images.base_url.rstrip("/")
    if not base:
        raise ConfigError(
            f"this issue has {len(rendered.images)} local image(s) and API payloads need absolute image URLs: "
            "add `base_url = \"https://…\"` under [images] in newsletter.toml, upload "
            f"dist/{rendered.slug}/images/ to <base_url>/{rendered.slug}/images/, and export again",
            settings.path, _line(settings, "images"))
    return local_images(rendered, html, lambda name: f"{base}/{rendered.slug}/images/{name}")


def sender(settings: Settings) -> tuple[str, str]:
    """Return the sender's name and address from [publication], or say which key to set."""
    pub = settings.publication
    if not pub.from_email or "@" not in pub.from_email:
        raise ConfigError("exports need the sender's address: add `from_email = \"you@example.org\"` under "
                          "[publication] in newsletter.toml", settings.path,
                          _line(settings, "publication", "from_email"))
    return pub.from_name or pub.name, pub.from_email


def _line(settings: Settings, table: str, key: str = "") -> int | None:
    """Return the line of a key (or table) in newsletter.toml, when present (the one lookup `check` uses)."""
    from newsletter.checks.context import config_line

    return config_line(settings, table, key)


def config_error(settings: Settings, message: str, table: str, key: str = "") -> ConfigError:
    """Return an error about newsletter.toml that names the line of the key to change."""
    return ConfigError(message, settings.path, _line(settings, table, key))


def to_json(data: Any) -> bytes:
    """Return a payload as pretty UTF-8 JSON."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def zip_bundle(html: str, html_name: str, rendered: Rendered, extra: Mapping[str, bytes] | None = None) -> bytes:
    """Return a zip holding the HTML at its root and the images under images/, reproducibly."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        def put(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)

        put(html_name, html.encode("utf-8"))
        for name, data in (extra or {}).items():
            put(name, data)
        for name, path in sorted(rendered.images.items()):
            put(f"images/{name}", Path(path).read_bytes())
    return buffer.getvalue()


@dataclass
class Bundle:
    """What one export writes: files, copies of images, what each file is, and the next step."""

    files: dict[str, bytes]
    describe: dict[str, str]
    next_step: list[str]
    copies: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    """Export options from the command line that some platforms use."""

    audience: str = ""
    draft: bool = False


def image_copies(rendered: Rendered) -> dict[str, Path]:
    """Return the images to place beside a payload, for uploading to [images] base_url."""
    return {f"images/{name}": path for name, path in rendered.images.items()}
