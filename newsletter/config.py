"""newsletter.toml -> frozen Settings, every key validated, unknown keys warned with their line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from newsletter.errors import Collector, ConfigError, NewsletterError, Problem
from newsletter.files import did_you_mean, key_line, parse_toml, read_text, table_line
from newsletter.i18n import setting_problem, strings_table, translator

CONFIG_NAME = "newsletter.toml"


@dataclass(frozen=True)
class Publication:
    """The [publication] table: who sends the newsletter and where readers go."""

    name: str
    url: str = ""
    subscribe_url: str = ""
    from_name: str = ""
    from_email: str = ""
    reply_to: str = ""
    postal_address: str = ""
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""
    preferences_url: str = ""
    language: str = "en"
    description: str = ""
    dir: str = ""  # "ltr" or "rtl"; "" lets the language decide
    date_format: str = ""  # short, medium, long, full or a Babel pattern; "" is the language's long date


@dataclass(frozen=True)
class Theme:
    """The [theme] table: colours, fonts and logo of the default theme."""

    logo: str = ""
    logo_dark: str = ""
    logo_width: int = 160
    font_family: str = "Georgia, 'Times New Roman', serif"
    heading_font_family: str = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
    font_size: int = 17
    text_color: str = "#1f2328"
    muted_color: str = "#57606a"
    accent_color: str = "#b3261e"
    link_color: str = "#0b57d0"
    background_color: str = "#ffffff"
    body_color: str = "#f3f1ec"
    rule_color: str = "#e3e0d8"
    dark_text_color: str = "#e8e6e3"
    dark_muted_color: str = "#a8a29e"
    dark_link_color: str = "#8ab4f8"
    dark_accent_color: str = "#f28b82"
    dark_background_color: str = "#1e1e1e"
    dark_rule_color: str = "#3a3a3a"
    dark_body_color: str = "#121212"


@dataclass(frozen=True)
class TextOptions:
    """The [text] table: how the plain-text version is laid out."""

    width: int = 72
    links: str = "references"
    ascii: bool = False
    emphasis: str = "plain"


@dataclass(frozen=True)
class LinkOptions:
    """The [links] table: UTM defaults added to outgoing links."""

    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""


@dataclass(frozen=True)
class ImageOptions:
    """The [images] table: where hosted images live."""

    base_url: str = ""


@dataclass(frozen=True)
class ArchiveOptions:
    """The [archive] table: the web archive's feed length and subscribe form."""

    feed_entries: int = 20
    subscribe_form_action: str = ""


@dataclass(frozen=True)
class PreviewOptions:
    """The [preview] table: the editor that opens a finding's file."""

    editor: str = ""


@dataclass(frozen=True)
class PushOptions:
    """The [push] table: where self-hosted and regional platforms answer (credentials stay in the environment)."""

    listmonk_url: str = ""
    mailgun_url: str = ""
    mailgun_domain: str = ""
    ses_region: str = ""
    campaign_monitor_client_id: str = ""


@dataclass(frozen=True)
class CheckOptions:
    """The [check] table: a level (or "off") per rule id or `family/*`, and the mail clients compat checks."""

    levels: tuple[tuple[str, str], ...] = ()
    compat_clients: tuple[str, ...] | None = None  # None: the default list in checks/compat.py


CHECK_LEVELS = ("error", "warning", "info", "off")


@dataclass(frozen=True)
class Settings:
    """The whole validated newsletter.toml plus where it was found."""

    root: Path
    publication: Publication
    theme: Theme = field(default_factory=Theme)
    text: TextOptions = field(default_factory=TextOptions)
    links: LinkOptions = field(default_factory=LinkOptions)
    images: ImageOptions = field(default_factory=ImageOptions)
    archive: ArchiveOptions = field(default_factory=ArchiveOptions)
    preview: PreviewOptions = field(default_factory=PreviewOptions)
    push: PushOptions = field(default_factory=PushOptions)
    check: CheckOptions = field(default_factory=CheckOptions)
    # [strings]: (language or "" for all, English msgid, the publication's wording: one form, or one per plural)
    strings: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def path(self) -> Path:
        """Return the path of newsletter.toml."""
        return self.root / CONFIG_NAME

    @property
    def issues_dir(self) -> Path:
        """Return the folder that holds the issues."""
        return self.root / "issues"

    def web_url(self, slug: str) -> str:
        """Return the archive address of an issue, or '' without a publication url."""
        base = self.publication.url.rstrip("/")
        return f"{base}/{slug}/" if base else ""


_TABLES: dict[str, type] = {
    "publication": Publication,
    "theme": Theme,
    "text": TextOptions,
    "links": LinkOptions,
    "images": ImageOptions,
    "archive": ArchiveOptions,
    "preview": PreviewOptions,
    "push": PushOptions,
    "check": CheckOptions,
    "strings": tuple,
}
_CHOICES = {("text", "links"): ("references", "inline"), ("text", "emphasis"): ("plain", "markers"),
            ("publication", "dir"): ("ltr", "rtl")}


def find_root(start: Path) -> Path:
    """Walk up from start to the folder holding newsletter.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_NAME} here or in any parent folder; run `newsletter init DIR` "
        "to start a publication, or pass --root DIR",
        start,
    )


def load_settings(root: Path) -> Settings:
    """Read and validate newsletter.toml under root, collecting every problem."""
    path = root / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(f"{CONFIG_NAME} not found; run `newsletter init DIR` or pass --root DIR", path)
    text = read_text(path)
    data = parse_toml(text, path)
    found = Collector()
    values: dict[str, Any] = {}
    for table, value in data.items():
        if table not in _TABLES:
            line = table_line(text, table) or key_line(text, "", table)
            found.warn(f"unknown table [{table}] (known: {', '.join(_TABLES)})", path, line)
            continue
        if not isinstance(value, dict):
            found.error(f"`{table}` must be a table: write [{table}] on its own line", path,
                        key_line(text, "", table))
            continue
        build = {"check": _check_table, "strings": _strings_table}.get(table, _build_table)
        values[table] = build(table, value, text, path, found)
    if "publication" not in data:
        found.error("missing [publication] table with at least `name = \"…\"`", path)
    found.raise_if_errors()
    settings = Settings(root=root.resolve(), **values)
    translator(settings, settings.publication.language, found, (path, key_line(text, "publication", "language")))
    found.raise_if_errors()
    return replace(settings, warnings=tuple(found.warnings))


def _strings_table(table: str, value: dict[str, Any], text: str, path: Path, found: Collector) -> Any:
    """Validate [strings]: the theme's English strings with the publication's wording (see newsletter.i18n)."""
    del table
    return strings_table(value, text, path, found)


def _build_table(table: str, value: dict[str, Any], text: str, path: Path, found: Collector) -> Any:
    """Validate one table against its dataclass and build it."""
    cls = _TABLES[table]
    known = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        line = key_line(text, table, key)
        if key not in known:
            found.warn(f"unknown key `{key}` in [{table}]{did_you_mean(key, known)}", path, line)
            continue
        expected = _field_type(cls, key)
        if expected is bool and not isinstance(item, bool):
            found.error(f"`{key}` must be true or false", path, line)
        elif expected is int and (isinstance(item, bool) or not isinstance(item, int)):
            found.error(f"`{key}` must be a whole number", path, line)
        elif expected is str and not isinstance(item, str):
            found.error(f"`{key}` must be a quoted string", path, line)
        elif (table, key) in _CHOICES and item not in _CHOICES[table, key]:
            found.error(f"`{key}` must be one of {', '.join(map(repr, _CHOICES[table, key]))}", path, line)
        elif problem := _value_problem(table, key, item):
            found.error(f"`{key}` {problem}", path, line)
        else:
            kwargs[key] = item
    if table == "publication" and not str(value.get("name", "")).strip():
        found.error("[publication] needs `name = \"…\"`, the publication's name", path,
                    table_line(text, "publication"))
        return None
    if table == "text" and isinstance(kwargs.get("width"), int) and not 20 <= kwargs["width"] <= 78:
        found.error("`width` must be between 20 and 78 columns", path, key_line(text, "text", "width"))
        kwargs.pop("width")
    if table == "archive" and isinstance(kwargs.get("feed_entries"), int) and not 1 <= kwargs["feed_entries"] <= 1000:
        found.error("`feed_entries` must be between 1 and 1000", path, key_line(text, "archive", "feed_entries"))
        kwargs.pop("feed_entries")
    try:
        return cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - guarded by the checks above
        raise NewsletterError(str(exc), path) from None


def _check_table(table: str, value: dict[str, Any], text: str, path: Path, found: Collector) -> CheckOptions:
    """Validate [check]: `"family/rule" = "error|warning|info|off"` lines and `compat_clients = [...]`.

    Rule ids are checked against the rules by `check` itself (this module sits below the rules).
    """
    levels: list[tuple[str, str]] = []
    clients: tuple[str, ...] | None = None
    for key, item in value.items():
        line = key_line(text, table, key)
        if key == "compat_clients":
            if not isinstance(item, list) or not all(isinstance(c, str) and c.strip() for c in item):
                found.error('`compat_clients` must be a list of client names, like ["gmail", "outlook-windows"]',
                            path, line)
            else:
                clients = tuple(c.strip() for c in item)
        elif "/" not in key:
            found.warn(f"unknown key `{key}` in [check]: write a rule id such as \"links/insecure\" = \"info\", "
                       "or compat_clients = [...]", path, line)
        elif not isinstance(item, str) or item not in CHECK_LEVELS:
            found.error(f"`{key}` must be one of {', '.join(map(repr, CHECK_LEVELS))}", path, line)
        else:
            levels.append((key, item))
    return CheckOptions(tuple(levels), clients)


_URLS = {("publication", k) for k in ("url", "subscribe_url", "unsubscribe_url", "preferences_url")} | {
    ("images", "base_url"), ("archive", "subscribe_form_action")}
_ADDRESSES = {("publication", k) for k in ("from_email", "reply_to", "unsubscribe_mailto")}
# One address: a local part without spaces, quotes or brackets, and a dotted domain (the email package's
# parser would do, but costs 25 ms to import on every command).
ADDRESS = re.compile(r"[^@\s\"<>(),;:\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")


def _value_problem(table: str, key: str, value: Any) -> str:
    """Return what is wrong with a URL or email address value, or ''."""
    if not isinstance(value, str) or not value:
        return ""
    if table == "publication" and (problem := setting_problem(key, value)):
        return problem
    if (table, key) in _URLS and (not value.startswith(("https://", "http://")) or any(
            c.isspace() or c in "\"<>" for c in value)):
        return "must be a web address starting with https:// (no spaces or quotes)"
    if (table, key) in _ADDRESSES and not ADDRESS.fullmatch(value.removeprefix("mailto:")):
        return "must be one email address, like editor@example.org"
    if key != "postal_address" and any(not c.isprintable() for c in value):
        return "must be on one line, without control characters"
    if key == "postal_address" and any(not c.isprintable() and c not in "\n\t" for c in value):
        return "must be text and line breaks, without control characters"
    return ""


def _field_type(cls: type, key: str) -> type:
    """Return the Python type a dataclass field holds."""
    annotation = {f.name: f.type for f in fields(cls)}[key]
    return {"str": str, "int": int, "bool": bool}.get(str(annotation), str)
