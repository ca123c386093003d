"""The limits on what the tool reads: file sizes, nesting depth, image pixels, control characters."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from markdown_it.token import Token

    from newsletter.errors import Collector

MAX_TEXT_BYTES = 512 << 10  # a story, issue.toml, newsletter.toml or template: 512 KiB (a long story is 50 KB)
MAX_IMAGE_BYTES = 32 << 20  # an image file: 32 MiB
MAX_NESTING = 100  # elements inside one another in a story or the intro: lists, quotes, emphasis, raw HTML
MAX_ELEMENTS = 20_000  # HTML elements one story or the intro makes (Gmail clips an email long before that)
MAX_DATA_DEPTH = 32  # arrays and tables inside one another in TOML, lists and mappings in front matter
MAX_PIXELS = 50_000_000  # a still image as decoded (JPEGs are decoded at a reduced scale first)
MAX_FRAME_PIXELS = 100_000_000  # an animation: width x height x frames


def describe_bytes(size: int) -> str:
    """Return a size as people read it: '1 MiB', '32 MiB', '900 KiB', '12 bytes'."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value >= 10 or value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


# ---- nesting --------------------------------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*?(/?)>")
# Elements that never hold themselves (a new <p> or <li> closes the open one) or have no content at all.
_FLAT = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
     "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "rb", "rt", "rp", "rtc", "thead", "tbody", "tfoot"}
)


class TooDeep(ValueError):
    """Raised when content is nested deeper than a limit; `line` is 0-based within the text, where known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


_ELEMENTS = frozenset({"image", "hr", "code_inline", "code_block", "fence", "hardbreak"})


def check_nesting(tokens: list[Token]) -> None:
    """Raise TooDeep when Markdown tokens (raw HTML in them included) nest past MAX_NESTING or make too many elements.

    markdown-it bounds its own recursion; what it produces (50,000 `*` make 25,000 nested <em>) and raw HTML
    (10,000 <div>) would make the HTML parsers and MJML after it overflow their stacks, and a table of 50,000
    cells takes each stage after it seconds.
    """
    extra = 0  # elements opened by raw HTML and not closed yet
    elements = 0
    line = None
    for token in tokens:
        line = token.map[0] if token.map else line
        if token.type == "html_block":
            extra, count = _raw_html(token.content, token.level, extra, line)
            elements += count
        elif token.level + extra > MAX_NESTING:
            raise TooDeep(_deep_message(), line)
        elements += token.nesting == 1 or token.type in _ELEMENTS
        for child in token.children or ():
            base = token.level + 1 + child.level
            if child.type == "html_inline":
                extra, count = _raw_html(child.content, base, extra, line)
                elements += count
            elif base + extra > MAX_NESTING:
                raise TooDeep(_deep_message(), line)
            elements += child.nesting == 1 or child.type in _ELEMENTS
        if elements > MAX_ELEMENTS:
            raise TooDeep(f"makes more than {MAX_ELEMENTS:,} HTML elements (paragraphs, cells, links...), far more "
                          "than an email can carry (Gmail cuts emails at 102 KB): split it up", line)


def _raw_html(html: str, base: int, extra: int, line: int | None) -> tuple[int, int]:
    """Return the elements left open after a piece of raw HTML at depth `base` and how many it starts.

    Raises TooDeep past the nesting limit.
    """
    started = 0
    for match in _TAG.finditer(html):
        closing, name, empty = match.groups()
        started += not closing
        if empty or name.lower() in _FLAT:
            continue
        if closing:
            extra = max(0, extra - 1)
            continue
        extra += 1
        if base + extra > MAX_NESTING:
            raise TooDeep(_deep_message(), line + html.count("\n", 0, match.start()) if line is not None else None)
    return extra, started


def _deep_message() -> str:
    """Return the message for content nested too deeply."""
    return (f"is nested more than {MAX_NESTING} levels deep (lists, quotes, emphasis or HTML elements inside one "
            "another); no email client shows that: flatten it")


_TOML_TOKEN = re.compile(r"\"\"\"|'''|[\"'#\[\]{}]")
_TOML_BASIC = re.compile(r"(?:[^\"\\\n]|\\.)*\"")
_TOML_MULTI_BASIC = re.compile(r"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\"+", re.DOTALL)


def toml_depth_line(text: str) -> int | None:
    """Return the 1-based line where TOML arrays and inline tables nest past MAX_DATA_DEPTH, or None.

    tomllib recurses once per level and ends in RecursionError on a 3,000-deep array; this scan runs first,
    in linear time, skipping strings and comments.
    """
    if text.count("[") + text.count("{") <= MAX_DATA_DEPTH:
        return None
    depth = 0
    pos = 0
    while (match := _TOML_TOKEN.search(text, pos)) is not None:
        token, pos = match.group(), match.end()
        if token in "[{":
            depth += 1
            if depth > MAX_DATA_DEPTH:
                return text.count("\n", 0, match.start()) + 1
        elif token in "]}":
            depth = max(0, depth - 1)
        elif token == "#":
            pos = _after(text, "\n", pos)
        elif token == "'":
            end = min(_after(text, "'", pos), _after(text, "\n", pos))
            pos = end
        elif token == "'''":
            pos = _after(text, "'''", pos)
        else:
            body = (_TOML_BASIC if token == '"' else _TOML_MULTI_BASIC).match(text, pos)
            if body is None:
                return None  # an unclosed string: tomllib reports it
            pos = body.end()
    return None


def _after(text: str, needle: str, pos: int) -> int:
    """Return the position just after the next `needle` from pos, or the end of the text."""
    found = text.find(needle, pos)
    return len(text) if found < 0 else found + len(needle)


def data_depth_message(what: str) -> str:
    """Return the message for TOML or YAML nested too deeply."""
    return (f"{what} is nested more than {MAX_DATA_DEPTH} levels deep (lists or tables inside one another); "
            "write plain values")


# ---- control characters ----------------------------------------------------------------------------------------

_NONCHARACTERS = "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(17))
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef" + _NONCHARACTERS + "]")


def drop_controls(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Remove control characters and noncharacters (tab and line breaks stay); return the text and what went.

    Each removed character is given as (0-based line, name such as 'U+001B ESCAPE').
    """
    removed: list[tuple[int, str]] = []
    line, counted = 0, 0
    for match in _CONTROL.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        removed.append((line, f"U+{ord(match.group()):04X} {_char_name(match.group())}"))
    return (_CONTROL.sub("", text) if removed else text), removed


def _char_name(char: str) -> str:
    """Return a control character's name, as editors show it."""
    names = {0x0B: "LINE TABULATION", 0x0C: "FORM FEED", 0x1B: "ESCAPE", 0x7F: "DELETE", 0x00: "NULL"}
    return names.get(ord(char)) or unicodedata.name(char, "control character" if ord(char) < 0xA0
                                                        else "noncharacter")


def readable(text: str, path: Path, first_line: int, found: Collector) -> str:
    """Return text without control characters, warning at the line of the first one removed."""
    text, removed = drop_controls(text)
    if removed:
        line, name = removed[0]
        more = f" and {len(removed) - 1} more" if len(removed) > 1 else ""
        found.warn(f"removed an invisible control character ({name}){more}: it cannot appear in email; delete it "
                   "from the file to silence this warning", path, first_line + line)
    return text


@functools.cache
def _yaml_loader() -> type:
    """Return PyYAML's safe loader, bounded: its composer recurses once per level of nesting."""
    import yaml

    class Loader(yaml.SafeLoader):
        """The safe loader that refuses lists and mappings nested past MAX_DATA_DEPTH."""

        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            """Compose one node, counting how deep it is."""
            self.depth += 1
            try:
                if self.depth > MAX_DATA_DEPTH:
                    raise TooDeep(data_depth_message("it"), self.peek_event().start_mark.line)
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader


def yaml_loader(text: str) -> Any:
    """Return a safe YAML loader for text that raises TooDeep (0-based line) on nesting past the limit."""
    return _yaml_loader()(text)
