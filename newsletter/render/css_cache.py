"""Keep premailer's parsing of CSS text between runs: its first call in a process costs a cold build the most.

premailer parses the theme's CSS and every style attribute it merges with cssutils, which is slow the first
time in a process (about 30 ms of a 10-story build); the results are strings, so they are kept as JSON in the
user's cache folder. An entry is only ever the value premailer's own function returned for the same text
with the same libraries, every value is checked when read, and a cache that is missing, unreadable or wrong
only makes the build slower: it cannot change the output nor make the tool run anything.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

VERSION = 2
KINDS = ("rules", "pairs", "float")  # a style sheet's rules, a declaration's pairs, an image style's float
MAX_ENTRIES = 10_000  # style texts kept; past this, the file keeps only those this process used
MAX_BYTES = 8 << 20

Rules = tuple[list[tuple[tuple[int, ...], str, str]], list[tuple[str, str]]]
Pairs = list[tuple[str, str]]


class ParseCache:
    """The parsed theme rules and style declarations of earlier runs, and what this run adds to them."""

    def __init__(self, path: Path | None, libraries: str) -> None:
        self.path = path
        self.libraries = libraries
        self.stored: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        self.ready: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        self.dirty = False
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        """Read the cache file, if it is there and was written for these libraries."""
        from newsletter.errors import NewsletterError
        from newsletter.files import read_bytes

        try:
            data = json.loads(read_bytes(path, MAX_BYTES, follow=False).decode("utf-8"))
        except (NewsletterError, ValueError):
            return
        if not isinstance(data, dict) or data.get("version") != VERSION or data.get("libraries") != self.libraries:
            return
        for kind in KINDS:
            if isinstance(data.get(kind), dict):
                self.stored[kind] = data[kind]

    def style_rules(self, css: str, index: int, options: str, parse: Callable[[], Rules]) -> Rules:
        """Return premailer's rules and leftovers of a style sheet, parsing it only when not cached."""
        ready = self.ready["rules"]
        key = f"{index}\0{options}\0{css}"
        if key not in ready:
            ready[key] = _rules(self.stored["rules"].get(key))
            if ready[key] is None:
                ready[key] = parse()
                if all(isinstance(item, tuple) for item in ready[key][1]):  # @media leftovers are objects
                    self._add("rules", key, ready[key])
        return ready[key]

    def pairs(self, text: str, validate: bool, parse: Callable[[str, bool], Pairs]) -> Pairs:
        """Return premailer's (property, value) pairs of a declaration text, parsing it only when not cached."""
        ready = self.ready["pairs"]
        key = f"{int(validate)}{text}"
        if key not in ready:
            ready[key] = _pairs(self.stored["pairs"].get(key))
            if ready[key] is None:
                ready[key] = parse(text, validate)
                self._add("pairs", key, ready[key])
        return ready[key]

    def float(self, text: str, parse: Callable[[], str]) -> str:
        """Return the `float` cssutils reads in a style attribute, parsing it only when not cached."""
        ready = self.ready["float"]
        if text not in ready:
            found = self.stored["float"].get(text)
            ready[text] = found if isinstance(found, str) else None
            if ready[text] is None:
                ready[text] = parse()
                self._add("float", text, ready[text])
        return ready[text]

    def _add(self, kind: str, key: str, value: Any) -> None:
        """Remember a new result for the cache file."""
        self.stored[kind][key] = value
        self.dirty = True

    def save(self) -> None:
        """Write the cache file when this run added to it (never raises: a cache only makes builds faster)."""
        if not self.dirty or self.path is None:
            return
        from newsletter.writer import write_cache_file

        stored = self.stored
        if sum(map(len, stored.values())) > MAX_ENTRIES:
            stored = {kind: {k: stored[kind][k] for k in self.ready[kind] if k in stored[kind]} for kind in stored}
        data = {"version": VERSION, "libraries": self.libraries, **stored}
        write_cache_file(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        self.dirty = False


def _strings(value: Any, size: int) -> bool:
    """Return True for a list of `size` strings."""
    return isinstance(value, list) and len(value) == size and all(isinstance(item, str) for item in value)


def _pairs(value: Any) -> Pairs | None:
    """Return cached pairs as premailer returns them, or None when the entry is missing or malformed."""
    if not isinstance(value, list) or not all(_strings(pair, 2) for pair in value):
        return None
    return [(name, text) for name, text in value]


def _rules(value: Any) -> Rules | None:
    """Return cached rules and leftovers as premailer returns them, or None when missing or malformed."""
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(part, list) for part in value)):
        return None
    rules, leftover = value
    for rule in rules:
        if not (isinstance(rule, list) and len(rule) == 3 and isinstance(rule[0], list) and _strings(rule[1:], 2)
                and all(type(n) is int for n in rule[0])):
            return None
    if not all(_strings(item, 2) for item in leftover):
        return None
    return [(tuple(spec), selector, bulk) for spec, selector, bulk in rules], [(a, b) for a, b in leftover]


def libraries_tag() -> str:
    """Return what identifies the installed premailer and cssutils: their files and change times.

    Found without importing either (importing cssutils is what the cache spares a build).
    """
    parts = []
    for name, files in (("premailer", ("__init__.py", "premailer.py", "merge_style.py")),
                        ("cssutils", ("__init__.py",))):
        spec = importlib.util.find_spec(name)
        folder = Path(spec.origin).parent if spec is not None and spec.origin else None
        for file in files:
            path = folder / file if folder else Path(name)
            try:
                parts.append(f"{path}:{path.stat().st_mtime_ns}")
            except OSError:
                parts.append(f"{path}:missing")
    return " ".join(parts)


def install(premailer_class: Any, libraries: str) -> tuple[Any, ParseCache]:
    """Return a Premailer subclass, and the cache it and premailer's style merging read parsed CSS from."""
    import premailer.merge_style
    import premailer.premailer

    from newsletter import cache

    folder = cache.folder(None, "premailer")
    parsed = ParseCache(folder / "parsed.json" if cache.usable(folder) else None, libraries)
    original = premailer.merge_style.csstext_to_pairs

    def csstext_to_pairs(csstext: str, validate: bool = True) -> Pairs:
        return parsed.pairs(csstext, validate, original)

    csstext_to_pairs._lock = original._lock  # type: ignore[attr-defined]  # merge_styles takes it
    premailer.merge_style.csstext_to_pairs = csstext_to_pairs
    premailer.premailer.csstext_to_pairs = csstext_to_pairs
    premailer.premailer.cssutils = _Cssutils(premailer.premailer.cssutils, parsed)

    class CachedPremailer(premailer_class):  # type: ignore[misc, valid-type]
        """premailer, reading the rules of a style sheet it parsed in an earlier run from the cache."""

        def _parse_style_rules(self, css_body: str, ruleset_index: int) -> Rules:
            parse = super()._parse_style_rules
            options = (f"{self.strip_important} {self.exclude_pseudoclasses} {self.include_star_selectors} "
                       f"{self.disable_validation}")  # what the rules depend on besides the text
            return parsed.style_rules(css_body, ruleset_index, options, lambda: parse(css_body, ruleset_index))

    return CachedPremailer, parsed


class _Cssutils:
    """cssutils as premailer's own module sees it: a style attribute's `float` comes from the cache.

    premailer reads only `float` of the style of each image (to add align= for Outlook); anything else
    asked of a parsed style, or of the module, goes to cssutils itself.
    """

    def __init__(self, module: Any, parsed: ParseCache) -> None:
        self._module = module
        self._parsed = parsed

    def parseStyle(self, text: str, *args: Any, **kwargs: Any) -> Any:  # cssutils' name
        """Return the style attribute `text`, parsed only when more than its float is asked."""
        if args or kwargs:
            return self._module.parseStyle(text, *args, **kwargs)
        return _Style(text, self._module, self._parsed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


class _Style:
    """A style attribute whose float is read from the cache; any other attribute parses it with cssutils."""

    def __init__(self, text: str, module: Any, parsed: ParseCache) -> None:
        self._text = text
        self._module = module
        self._parsed = parsed

    @property
    def float(self) -> str:
        """Return the attribute's `float` value, as cssutils gives it."""
        return self._parsed.float(self._text, lambda: self._module.parseStyle(self._text).float)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module.parseStyle(self._text), name)
