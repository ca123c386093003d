"""Client compatibility: HTML and CSS the email uses that major mail clients do not support (caniemail data).

What is read: the CSS of the theme in use (its .css files, and `style` attributes and `<mj-style>` blocks of its
.mjml files), and the raw HTML of the stories as written (elements, attributes, `style`, image formats).
MJML's own markup is not: MJML ships its Outlook fallbacks with it. Progressive enhancements are never
reported: anything inside `@media` or `@supports`, rules for `:hover`, `:focus`, `:active`, `:visited` and
Outlook's dark-mode hooks, and properties that refine rendering where supported (listed in PROGRESSIVE).
Support is the latest test of each client (by date; by the data's own order where a client is tested by
version number), exact property names only; a client without data for a feature is not reported.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

from newsletter.checks import Finding, Rule
from newsletter.checks.context import Block, Context
from newsletter.files import did_you_mean
from newsletter.markdown import ALLOWED_ATTRIBUTES

CSS = Rule("compat/css", "warning", "CSS that major mail clients do not support",
           "use a table layout or a property the listed clients support, or accept that they show it differently")
HTML = Rule("compat/html", "warning", "HTML that major mail clients do not support",
            "use plain HTML (p, a, img, table, lists) for these clients")
IMAGE = Rule("compat/image", "warning", "an image format major mail clients do not show",
             "convert the image to PNG or JPEG")
UNKNOWN_CLIENT = Rule("compat/unknown-client", "warning", "[check] compat_clients names an unknown client",
                      "use client names from the README's compatibility list")
RULES = (CSS, HTML, IMAGE, UNKNOWN_CLIENT)

DATA = Path(__file__).resolve().parent.parent / "data" / "caniemail.json"  # as caniemail publishes it
# What the rules read of it: each known client's latest test of each feature (a third of the size, parsed in
# a fifth of the time); scripts/refresh-caniemail writes it with latest_tests(), and a test keeps it in step.
LATEST = DATA.with_name("caniemail-latest.json")
# client id: (caniemail family, platform, name shown)
CLIENTS: dict[str, tuple[str, str, str]] = {
    "gmail": ("gmail", "desktop-webmail", "Gmail (web)"),
    "gmail-ios": ("gmail", "ios", "Gmail (iOS)"),
    "gmail-android": ("gmail", "android", "Gmail (Android)"),
    "outlook-windows": ("outlook", "windows", "Outlook (Windows, classic)"),
    "outlook-new": ("outlook", "outlook-com", "new Outlook (Windows)"),  # the Outlook.com engine in an app
    "outlook-com": ("outlook", "outlook-com", "Outlook.com"),
    "outlook-macos": ("outlook", "macos", "Outlook (macOS)"),
    "outlook-ios": ("outlook", "ios", "Outlook (iOS)"),
    "outlook-android": ("outlook", "android", "Outlook (Android)"),
    "apple-mail": ("apple-mail", "macos", "Apple Mail (macOS)"),
    "apple-mail-ios": ("apple-mail", "ios", "Apple Mail (iOS)"),
    "yahoo": ("yahoo", "desktop-webmail", "Yahoo Mail (web)"),
    "yahoo-ios": ("yahoo", "ios", "Yahoo Mail (iOS)"),
    "yahoo-android": ("yahoo", "android", "Yahoo Mail (Android)"),
    "samsung": ("samsung-email", "android", "Samsung Email"),
    "thunderbird": ("thunderbird", "macos", "Thunderbird"),
    "protonmail": ("protonmail", "desktop-webmail", "Proton Mail (web)"),
    "fastmail": ("fastmail", "desktop-webmail", "Fastmail"),
    "hey": ("hey", "desktop-webmail", "HEY"),
    "aol": ("aol", "desktop-webmail", "AOL (web)"),
}
DEFAULT_CLIENTS = ("gmail", "gmail-ios", "gmail-android", "outlook-windows", "outlook-new", "outlook-com",
                   "apple-mail", "apple-mail-ios", "yahoo", "samsung", "thunderbird")
# Where these are missing, the email still reads and lays out the same: never reported.
PROGRESSIVE = frozenset(
    ["color-scheme", "supported-color-schemes", "overflow-wrap", "word-wrap", "word-break", "hyphens",
     "text-decoration-color", "text-decoration-style", "text-decoration-thickness", "text-underline-offset",
     "text-size-adjust", "font-kerning", "text-rendering", "caret-color", "accent-color", "cursor",
     "transition", "animation", "outline", "outline-offset", "box-shadow", "text-shadow"])
# Without these, the layout falls apart (columns stack wrongly, boxes overlap, images vanish): warnings.
# Anything else a client lacks only looks plainer there: a note.
LAYOUT = frozenset(
    ["css-display-flex", "css-display-grid", "css-flex-direction", "css-flex-wrap", "css-grid-template", "css-gap",
     "css-justify-content", "css-align-items", "css-position", "css-left-right-top-bottom", "css-inset",
     "css-float", "css-clear", "css-column-count", "css-column-layout-properties", "css-transform",
     "css-aspect-ratio", "css-object-fit", "css-object-position", "css-margin", "css-width", "css-max-width",
     "html-svg", "html-video", "html-audio", "html-form", "html-picture", "html-object", "html-dialog",
     "image-webp", "image-svg", "image-avif", "image-heif", "image-tiff", "image-bmp", "image-hdr"])
_QUIET_SELECTOR = re.compile(r":(?:hover|focus|active|visited|focus-visible|focus-within)\b|\[data-ogs[cb]\]|"
                             r"u\s*\+\s*\.body|\[x-apple|#MessageViewBody|\.ExternalClass", re.IGNORECASE)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_CSS_PART = re.compile(r"/\*.*?\*/|(?P<open>[^{};]*)\{|(?P<close>\})|(?P<decl>[^{};]+)", re.DOTALL)
_STYLE_ATTR = re.compile(r"""\bstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_MJ_STYLE = re.compile(r"<(mj-style|style)\b[^>]*>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
DROPPED = " besides, build removes this style from the story's HTML, so no reader sees it"
_IMAGE_TYPES = {".webp": "image-webp", ".svg": "image-svg", ".avif": "image-avif", ".heic": "image-heif",
                ".heif": "image-heif", ".tif": "image-tiff", ".tiff": "image-tiff", ".bmp": "image-bmp",
                ".ico": "image-ico", ".apng": "image-apng"}


@dataclass(frozen=True)
class Feature:
    """One caniemail feature: its name, and each client's tests as the data has them."""

    slug: str
    title: str
    stats: dict[str, object]  # family: {platform: {test: support}}

    def support(self, family: str, platform: str) -> tuple[str, str] | None:
        """Return (test, support) of the client's latest test, or None without data."""
        platforms = self.stats.get(family)
        tests = platforms.get(platform) if isinstance(platforms, dict) else None
        return latest(tests) if isinstance(tests, dict) else None

    def lacking(self, clients: list[str]) -> list[str]:
        """Return the names of the clients whose latest test says the feature is not supported."""
        out = []
        for client in clients:
            family, platform, name = CLIENTS[client]
            found = self.support(family, platform)
            if found and found[1].startswith("n") and name not in out:
                out.append(name)
        return out


def check(ctx: Context) -> Iterator[Finding]:
    """Report features the theme's CSS and the stories' raw HTML use that the chosen clients lack."""
    from newsletter.render.templates import default_theme_dir

    clients, problems = _clients(ctx)
    yield from problems
    data = features()
    shipped = default_theme_dir().resolve()
    in_shipped = functools.cache(lambda path: path.resolve().is_relative_to(shipped))
    for path, offset_line, slug, what in [*_theme_uses(ctx), *_story_uses(ctx)]:
        feature = data.get(slug)
        if not feature or (slug not in LAYOUT and in_shipped(path)):
            continue  # the default theme's own fallbacks are tested; only what would break layout is news
        missing = _lacking(slug, tuple(clients))
        if not missing:
            continue
        rule = CSS if slug.startswith("css-") else IMAGE if slug.startswith("image-") else HTML
        line, column = offset_line
        shown, dropped, _ = what.partition(DROPPED)
        found = rule.at(path, line, f"{shown} is not supported by {_names(missing)} (caniemail: {feature.title})"
                                    + (f"; {DROPPED.strip()}" if dropped else ""), column=column)
        yield found if slug in LAYOUT else replace(found, level="info")


@functools.cache
def _lacking(slug: str, clients: tuple[str, ...]) -> list[str]:
    """Return Feature.lacking() of a feature, once per process (every issue asks the same questions)."""
    return features()[slug].lacking(list(clients))


def _clients(ctx: Context) -> tuple[list[str], list[Finding]]:
    """Return the clients to check for, from `[check] compat_clients` or the default list."""
    chosen = ctx.settings.check.compat_clients
    if chosen is None:
        return list(DEFAULT_CLIENTS), []
    problems = [UNKNOWN_CLIENT.at(ctx.config_path, ctx.config_line("check", "compat_clients"),
                                  f"compat_clients names {name!r}, which is not a client{did_you_mean(name, CLIENTS)}")
                for name in chosen if name not in CLIENTS]
    return [name for name in chosen if name in CLIENTS], problems


@functools.cache
def features() -> dict[str, Feature]:
    """Return the caniemail features by slug, with each known client's latest test (read once)."""
    try:
        raw = json.loads(LATEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, Feature] = {}
    for item in raw.get("data", []) if isinstance(raw, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("stats"), dict):
            slug = str(item.get("slug", ""))
            out[slug] = Feature(slug, str(item.get("title", "")), item["stats"])
    return out


def latest_tests(raw: object) -> dict[str, object]:
    """Return the caniemail data cut down to what the rules read: slug, title and the known clients' latest tests."""
    kept = {(family, platform) for family, platform, _ in CLIENTS.values()}
    out = []
    for item in raw.get("data", []) if isinstance(raw, dict) else []:
        if not (isinstance(item, dict) and isinstance(item.get("stats"), dict)):
            continue
        feature = Feature(str(item.get("slug", "")), str(item.get("title", "")), item["stats"])
        stats: dict[str, dict[str, dict[str, str]]] = {}
        for family, platform in sorted(kept):
            found = feature.support(family, platform)
            if found:
                stats.setdefault(family, {})[platform] = dict([found])
        out.append({"slug": feature.slug, "title": feature.title, "stats": stats})
    return {"source": "caniemail.json, each known client's latest test", "data": out}


def latest(tests: dict[str, str]) -> tuple[str, str] | None:
    """Return the (test, support) of a client's most recent test.

    Tests are keyed by date (`2025-07`), year (`2019`) or the client's version (`16.80`, `9`). Dates and years
    compare as dates; a client tested by version keeps the data's own order, which is the order of the tests.
    """
    items = [(str(k), str(v)) for k, v in tests.items() if isinstance(v, str)]
    if not items:
        return None
    dated = [(_date(k), i) for i, (k, _) in enumerate(items)]
    if all(date is not None for date, _ in dated):
        return items[max(dated)[1]]
    return items[-1]


def _date(key: str) -> tuple[int, int] | None:
    """Return (year, month) of a test key that is a date or a year, else None."""
    match = re.fullmatch(r"((?:19|20)\d\d)(?:-(\d\d))?", key.strip())
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


@functools.cache
def _index() -> tuple[dict[str, str], dict[tuple[str, str], str], dict[str, str], dict[str, str], dict[str, str]]:
    """Return lookups by exact name: properties, property:value pairs, functions, elements, attributes."""
    props: dict[str, str] = {}
    values: dict[tuple[str, str], str] = {}
    functions: dict[str, str] = {}
    elements: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for slug, feature in features().items():
        title = feature.title.strip()
        if slug.startswith("css-"):
            pair = re.fullmatch(r"([a-z-]+)\s*:\s*([a-z-]+)", title)
            if pair:
                values[pair.group(1), pair.group(2)] = slug
                continue
            named = re.findall(r"([a-z-]+)\(\)", title)
            if named:
                functions.update(dict.fromkeys(named, slug))
                continue
            names = re.split(r"\s*(?:,|&|\band\b)\s*", re.sub(r"\s+property$", "", title))
            if all(re.fullmatch(r"[a-z][a-z-]*", n) for n in names):
                props.update({n: slug for n in names if n not in props})
        elif slug.startswith("html-"):
            for name in re.findall(r"<([a-z0-9]+)>", title):
                elements.setdefault(name, slug)
            attribute = re.fullmatch(r"([a-z-]+) attribute", title)
            if attribute:
                attributes[attribute.group(1)] = slug
            if slug == "html-srcset":
                attributes.update({"srcset": slug, "sizes": slug})
    return props, values, functions, elements, attributes


def css_uses(css: str) -> Iterator[tuple[int, str, str]]:
    """Yield (offset, slug, what) for each declaration outside progressive enhancements, by exact name."""
    props, values, functions, _, _ = _index()
    text = _JINJA.sub(lambda m: "x" * len(m.group()), css)
    stack: list[bool] = []  # True: inside a block that is only progressive enhancement
    for match in _CSS_PART.finditer(text):
        if match.group("open") is not None:
            head = match.group("open").strip()
            stack.append((stack[-1] if stack else False) or head.startswith("@") or bool(_QUIET_SELECTOR.search(head)))
        elif match.group("close"):
            if stack:
                stack.pop()
        elif match.group("decl") and ":" in match.group("decl") and not (stack and stack[-1]):
            prop, _, value = match.group("decl").partition(":")
            prop, value = prop.strip().lower(), value.strip().lower()
            if not prop or prop.startswith(("-", "mso-")) or prop in PROGRESSIVE:
                continue
            at = match.start("decl") + len(match.group("decl")) - len(match.group("decl").lstrip())
            first = value.split()[0] if value.split() else ""
            if (prop, first) in values:
                yield at, values[prop, first], f"`{prop}: {first}`"
            elif prop in props:
                yield at, props[prop], f"`{prop}`"
            for name in re.findall(r"([a-z-]+)\(", value):
                if name in functions:
                    yield at, functions[name], f"`{name}()`"


def _theme_uses(ctx: Context) -> Iterator[tuple[Path, tuple[int, int], str, str]]:
    """Yield the features of the theme in use: its CSS files, and the style attributes and blocks of its MJML."""
    from newsletter.render.templates import theme_dirs

    seen: set[str] = set()
    for folder in theme_dirs(ctx.settings.root):
        for path in sorted([*folder.glob("*.css"), *folder.glob("*.mjml")]):
            if path.name in seen:
                continue
            seen.add(path.name)
            for place, slug, what in _file_uses("\n".join(ctx.lines(path)), path.suffix == ".css"):
                yield path, place, slug, what


@functools.lru_cache(maxsize=64)
def _file_uses(text: str, css_file: bool) -> tuple[tuple[tuple[int, int], str, str], ...]:
    """Return ((line, column), slug, what) of each feature a theme file uses, once per process and text."""
    if css_file:
        parts = [(0, text)]
    else:
        parts = [(m.start(2), m.group(2)) for m in _MJ_STYLE.finditer(text)]
        parts += [(m.start(1) if m.group(1) is not None else m.start(2), m.group(1) or m.group(2) or "")
                  for m in _STYLE_ATTR.finditer(text)]
    return tuple((_position(text, start + offset), slug, what) for start, css in parts
                 for offset, slug, what in css_uses(css))


def _story_uses(ctx: Context) -> Iterator[tuple[Path, tuple[int, int], str, str]]:
    """Yield the features of the stories' raw HTML and image files, at the line the writer wrote them."""
    for story in ctx.issue.stories:
        for block in ctx.blocks(story):
            html = block.raw if block.kind == "html" else "".join(
                c.content for c in (block.token.children or []) if c.type == "html_inline") if block.token else ""
            if html:
                yield from _html_uses(block, html)
        for image in story.images:
            slug = _IMAGE_TYPES.get(Path(image.src.split("?", 1)[0]).suffix.lower())
            if slug and image.line:
                yield story.path, (image.line, 1), slug, f"the image {Path(image.src).name}"


def _html_uses(block: Block, html: str) -> Iterator[tuple[Path, tuple[int, int], str, str]]:
    """Yield the elements, attributes, styles and image formats one piece of raw HTML uses."""
    _, _, _, elements, attributes = _index()
    parser = _Tags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        place = block.locate(f"<{tag}")
        if tag in elements:
            yield block.path, place, elements[tag], f"<{tag}>"
        for name, value in attrs:
            if name == "style" and value:
                at = block.raw.find(value)
                kept = "style" in ALLOWED_ATTRIBUTES.get(tag, ())
                dropped = "" if kept else DROPPED
                for offset, slug, what in css_uses(value):
                    yield (block.path, block.position(at + offset) if at >= 0 else place, slug,
                           f"{what} on <{tag}>{dropped}")  # `dropped` marks the message: see check()
            elif name in attributes:
                yield block.path, place, attributes[name], f"the {name} attribute on <{tag}>"
            elif tag == "img" and name == "src" and value:
                slug = _IMAGE_TYPES.get(Path(value.split("?", 1)[0]).suffix.lower())
                if slug:
                    yield block.path, place, slug, f"the image {Path(value).name}"


class _Tags(HTMLParser):
    """Collect start tags with their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record a tag."""
        self.tags.append((tag, [(name, value or "") for name, value in attrs]))


def _position(text: str, offset: int) -> tuple[int, int]:
    """Return the (line, column) of an offset in a file's text."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _names(clients: list[str]) -> str:
    """Return client names joined for a sentence."""
    return clients[0] if len(clients) == 1 else ", ".join(clients[:-1]) + " and " + clients[-1]
