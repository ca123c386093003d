"""Shared by the exporters: merge-tag dialects, filling the content per platform, images, sender."""

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
from newsletter.exporters.syntax import Syntax
from newsletter.model import Rendered


@dataclass(frozen=True)
class Dialect:
    """How one platform writes the neutral merge tags, and which template language it parses.

    `tags`, `first_name` and `first_name_fallback` are the forms for HTML; `raw` holds the forms for plain text
    and subjects where the engine would HTML-escape (Handlebars' triple-stash, listmonk's `| Safe`).
    """

    syntax: Syntax
    tags: Mapping[str, str]
    first_name: str
    first_name_fallback: str = ""
    raw: Mapping[str, str] = field(default_factory=dict)
    # The quote characters that delimit a string in the platform's syntax, in order of preference.
    string_quotes: str = "\"'"
    # Whether the platform personalises the subject and the preheader field ("fill": the fallback is written in).
    subject: str = "tags"
    preheader: str = "tags"
    # Neutral tags this platform cannot fill with a fallback: written in with the fallback instead, and said so.
    prefill_fallback: bool = False
    platform: str = ""

    @property
    def unsubscribe(self) -> str:
        """Return the platform's unsubscribe tag, which every export must contain."""
        return self.tags["unsubscribe_url"]

    def form(self, key: str, *, for_html: bool) -> str:
        """Return the platform's form of a tag (or first_name, first_name_fallback) for HTML or for text."""
        if not for_html and key in self.raw:
            return self.raw[key]
        return {"first_name": self.first_name, "first_name_fallback": self.first_name_fallback}.get(key) \
            or self.tags[key]

    def value(self, rendered: Rendered, name: str, fallback: str, *, for_html: bool) -> str:
        """Return the platform's tag for a neutral tag, or the literal value where it has none."""
        if name == "first_name":
            if fallback and self.prefill_fallback:
                return self._literal(fallback, for_html=for_html)
            if fallback and self.first_name_fallback:
                return self.with_fallback(fallback, for_html=for_html)
            return self.form("first_name", for_html=for_html)
        if name in self.tags:
            return self.form(name, for_html=for_html)
        literal = literal_value(rendered, name)
        if not literal and name == "preferences_url":
            return self.form("unsubscribe_url", for_html=for_html)
        return self._literal(literal, for_html=for_html)

    def _literal(self, text: str, *, for_html: bool) -> str:
        """Return text from newsletter.toml or a fallback, written so the platform does not parse it as a tag."""
        return self.syntax.html(htmllib.escape(text)) if for_html else self.syntax.text(text)

    def with_fallback(self, fallback: str, *, for_html: bool) -> str:
        """Return the first-name tag with the writer's fallback, which stays literal text for the platform."""
        template = self.form("first_name_fallback", for_html=for_html)
        quoted = re.search(r'(["\'])([^"\']*\{fallback\}[^"\']*)\1', template)
        if not quoted:
            # The fallback is content between the engine's tags: written as literal text.
            return template.replace("{fallback}", self._literal(fallback, for_html=for_html))
        # The fallback is a string literal of the engine: only its quote needs care.
        text = htmllib.escape(fallback, quote=False) if for_html else fallback
        if quoted.group(1) in text:
            quote = next((q for q in self.string_quotes if q not in text), "")
            if quote:
                template = template.replace(quoted.group(0), quote + quoted.group(2) + quote)
            else:
                text = text.replace(quoted.group(1), "\u201d")
        return template.replace("{fallback}", text)


def literal_value(rendered: Rendered, name: str) -> str:
    """Return the value of a neutral tag that has no platform tag: from newsletter.toml or the issue."""
    pub = rendered.issue.settings.publication
    return {
        "web_url": rendered.issue.web_url or pub.url,
        "postal_address": pub.postal_address,
        "preferences_url": pub.preferences_url,
    }.get(name, "")


@dataclass
class Content:
    """One issue's subject, preheader, HTML and text, escaped and filled for one platform, and what to say."""

    subject: str
    preheader: str
    html: str
    text: str
    notes: list[str] = field(default_factory=list)


def content(rendered: Rendered, dialect: Dialect, html: str | None = None) -> Content:
    """Write the literal text in the platform's syntax, then fill the markers with its tags.

    The subject and preheader get the same treatment where the platform personalises them; where it cannot,
    their merge tags are filled with the fallback and a note says so. A string without markers passes through.
    """
    source = rendered.html if html is None else html
    syntax = dialect.syntax
    filled_html = mergetags.fill(syntax.html(source), lambda n, f: dialect.value(rendered, n, f, for_html=True))
    filled_text = mergetags.fill(syntax.text(rendered.text), lambda n, f: dialect.value(rendered, n, f, for_html=False))
    issue = rendered.issue
    notes: list[str] = []
    subject = _field(rendered, dialect, "subject", notes)
    preheader = _field(rendered, dialect, "preheader", notes)
    broken = syntax.broken(rendered.text + issue.subject + issue.preheader)
    if broken:
        notes.append(f"note: {dialect.platform or syntax.name} has no escape for literal "
                     f"{', '.join(map(repr, broken))}: the text part and subject carry a zero-width space after "
                     "its first character, so readers see the same text but a copied token differs")
    if dialect.prefill_fallback and any(m.group(1) == "first_name" and m.group(2)
                                        for m in mergetags.MARKED.finditer(rendered.html + rendered.text)):
        notes.append(f"note: {dialect.platform} has no fallback for the first name: where a story gives one "
                     "({{ first_name | default: \"…\" }}) every reader gets the fallback")
    return Content(subject=subject, preheader=preheader, html=filled_html, text=filled_text, notes=notes)


def _field(rendered: Rendered, dialect: Dialect, label: str, notes: list[str]) -> str:
    """Return the subject or preheader in the platform's syntax, or with its merge tags filled in."""
    value: str = getattr(rendered.issue, label)
    if getattr(dialect, label) == "tags":
        return mergetags.fill(dialect.syntax.text(value), lambda n, f: dialect.value(rendered, n, f, for_html=False))
    used = mergetags.used(value)
    if used:
        notes.append(f"note: {dialect.platform} does not personalise the {label}: its merge tags "
                     f"({', '.join(used)}) are filled with the fallback")
    return mergetags.fill(value, lambda n, f: f if n == "first_name" else literal_value(rendered, n))


def _image_src(rendered: Rendered) -> re.Pattern[str]:
    """Return the pattern of an image reference in the HTML: relative or under [images] base_url."""
    base = rendered.issue.settings.images.base_url.rstrip("/")
    names = "|".join(re.escape(name) for name in sorted(rendered.images, key=len, reverse=True)) or "(?!)"
    prefix = f"(?:images/|{re.escape(base)}/{re.escape(rendered.slug)}/images/)" if base else "images/"
    return re.compile(r'(?<=src=")' + prefix + f"({names})" + r'(?=")')


def local_images(rendered: Rendered, html: str, to: Callable[[str], str] | None = None) -> str:
    """Point every local image at `images/<name>` (or at to(name)), for zips and raw mail."""
    return _image_src(rendered).sub(lambda m: to(m.group(1)) if to else f"images/{m.group(1)}", html)


def hosted_images(rendered: Rendered, html: str, options: Options | None = None) -> str:
    """Return the HTML with absolute image URLs (uploaded by a push, or under [images] base_url), or say how."""
    if not rendered.images:
        return html
    uploaded = options.image_urls if options is not None else None
    if uploaded:
        return local_images(rendered, html, lambda name: uploaded.get(name) or f"images/{name}")
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
    # listmonk: the id of the raw campaign template (push creates it); 0 leaves the field out.
    template_id: int = 0
    # Where a push uploaded each local image (name -> URL), used instead of [images] base_url.
    image_urls: Mapping[str, str] | None = None


def image_copies(rendered: Rendered) -> dict[str, Path]:
    """Return the images to place beside a payload, for uploading to [images] base_url."""
    return {f"images/{name}": path for name, path in rendered.images.items()}
