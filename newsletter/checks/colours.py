"""The colours each text element of email.html ends up with, in light and dark mode, from its styles.

A small cascade over what the email itself carries: inline `style` attributes and the <style> blocks (the
`prefers-color-scheme: dark` rules only in dark mode), by importance, specificity and order; `color`
inherits, a background shows through from the nearest ancestor that paints one; links and <mark> start
from the browser's defaults. It reads only colours and font sizes, which is what contrast needs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Imported with the check rules, which `build` loads while the CSS is being inlined, not when a rule runs.
import lxml.etree
import lxml.html
from cssselect import GenericTranslator, SelectorError, parse

from newsletter.render.selectors import present, subject_needs

_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_DECLARATION = re.compile(r"([\w-]+)\s*:\s*([^;]+)")
_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})\b")
_RGB = re.compile(r"rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)(?:[\s,/]+([\d.]+%?))?\s*\)")
_PX = re.compile(r"^([\d.]+)px$")
_PERCENT = re.compile(r"^([\d.]+)%$")
_NAMED = {"white": "#ffffff", "black": "#000000", "yellow": "#ffff00", "red": "#ff0000", "blue": "#0000ff",
          "gray": "#808080", "grey": "#808080", "silver": "#c0c0c0"}
_BOLD = {"font-weight": "bold"}
_DEFAULTS = {"a": {"color": "#0000ee"}, "mark": {"color": "#000000", "background-color": "#ffff00"},
             "h1": {"font-weight": "bold", "font-size": "2em"}, "h2": {"font-weight": "bold", "font-size": "1.5em"},
             "h3": {"font-weight": "bold", "font-size": "1.17em"}, "h4": _BOLD, "h5": _BOLD, "h6": _BOLD,
             "th": _BOLD, "strong": _BOLD, "b": _BOLD}
_SKIPPED = {"head", "style", "script", "title", "meta", "img", "br", "hr"}
MODES = ("light", "dark")


@dataclass(frozen=True)
class Styled:
    """A text element as a reader sees it: its colour on its background, how large, and its text."""

    mode: str
    tag: str
    text: str
    color: str
    background: str
    font_px: float
    bold: bool

    @property
    def large(self) -> bool:
        """Return True for WCAG large text (24 px, or 18.66 px bold), which needs only 3:1."""
        return self.font_px >= 24 or (self.bold and self.font_px >= 18.66)


def styled_text(html: str) -> Iterator[Styled]:
    """Yield the first visible element with text of its own of each look (tag, colours, size class), per mode."""
    document = lxml.html.document_fromstring(html)
    sheets = "\n".join(style.text or "" for style in document.iter("style"))
    light, dark = _sheet_rules(sheets)
    matched = _matching_rules(document, light + dark)
    for mode in MODES:
        # A rule's order is its place in light + dark: light mode leaves out the rules only dark mode adds.
        rules = matched if mode == "dark" or not dark else {
            element: [m for m in found if m[1] < len(light)] for element, found in matched.items()}
        yield from _walk(document, rules, mode, ("#000000", "#ffffff", 16.0, "400"))


@functools.lru_cache(maxsize=8)
def _sheet_rules(sheets: str) -> tuple[list, list]:
    """Return the light rules and the rules only dark mode adds (kept: every issue of a build has the same CSS)."""
    light = _rules(sheets, dark=False)
    return light, [rule for rule in _rules(sheets, dark=True) if rule not in light]


def _rules(css: str, dark: bool) -> list[tuple[str, dict[str, tuple[str, bool]]]]:
    """Return (selector, declarations) of the rules that apply on screen in this mode, in order."""
    css = _COMMENT.sub("", css)
    out: list[tuple[str, dict[str, tuple[str, bool]]]] = []
    position = 0
    while True:
        brace = css.find("{", position)
        if brace < 0:
            return out
        head = css[position:brace].strip()
        if head.startswith("@"):
            end = _block_end(css, brace)
            if _media_applies(head, dark):
                out += _rules(css[brace + 1:end], dark)
            position = end + 1
            continue
        end = css.find("}", brace)
        if end < 0:
            return out
        declarations = _declarations(css[brace + 1:end])
        if declarations.keys() & {"color", "background-color", "background", "display"}:
            out += [(selector.strip(), declarations) for selector in head.split(",") if selector.strip()]
        position = end + 1


def _block_end(css: str, brace: int) -> int:
    """Return the index of the `}` closing the block opened at brace."""
    depth = 0
    for index in range(brace, len(css)):
        if css[index] == "{":
            depth += 1
        elif css[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(css)


def _media_applies(head: str, dark: bool) -> bool:
    """Return True for an @media that applies to a screen of a phone or desktop in this colour mode."""
    query = head.lower()
    if not query.startswith("@media"):
        return False
    if "prefers-color-scheme" in query:
        return dark == ("dark" in query)
    return "print" not in query


@functools.lru_cache(maxsize=4096)
def _declarations(body: str) -> dict[str, tuple[str, bool]]:
    """Return the colour, background and font declarations of a rule: name -> (value, important)."""
    out: dict[str, tuple[str, bool]] = {}
    for written, value in _DECLARATION.findall(body):
        name = written.lower()
        if name in {"color", "background-color", "background", "font-size", "font-weight", "display"}:
            important = "!important" in value
            out[name] = (value.replace("!important", "").strip(), important)
    return out


def _matching_rules(document: Any, rules: list[tuple[str, dict[str, tuple[str, bool]]]]) -> dict[Any, list]:
    """Return element -> [(specificity, order, declarations)] for every rule that matches it."""
    found: dict[Any, list] = {}
    tags_and_classes = present(document)
    for order, (selector, declarations) in enumerate(rules):
        compiled = _selector(selector)
        if compiled is None:
            continue
        xpath, specificity, needs = compiled
        if not needs <= tags_and_classes:  # an element or class the selector's subject needs is not in the email
            continue
        for element in xpath(document):
            found.setdefault(element, []).append((specificity, order, declarations))
    return found


@functools.lru_cache(maxsize=4096)
def _selector(selector: str) -> tuple[Any, tuple[int, int, int], frozenset[str]] | None:
    """Return a CSS selector as a compiled XPath, its specificity and what its subject needs (tag, `.class`).

    None for one that matches no text. Kept for the process: every issue of a build --all meets the same
    few hundred selectors of the theme.
    """
    try:
        parsed = parse(selector)
        xpath = lxml.etree.XPath(GenericTranslator().selector_to_xpath(parsed[0]))
    except (SelectorError, ValueError, IndexError, lxml.etree.XPathError):  # pseudo-elements, hover and the like
        return None
    return xpath, parsed[0].specificity(), frozenset(subject_needs(parsed[0].parsed_tree))


State = tuple[str, str, float, str]  # what an element passes down: colour as written, background, font px, weight
def _walk(root: Any, rules: dict[Any, list], mode: str, base: State) -> Iterator[Styled]:
    """Compute each element's colours from its parent's; yield the first element of each look, in document order.

    A stack, not recursion (nested generators passed every item up through each level of a deep email), and
    an element's state is computed once per (tag, style, rules, bgcolor, parent state): most elements are alike.
    """
    stack = [(root, base)]
    states: dict[tuple, State | None] = {}
    seen: set[tuple[str, str, str, bool]] = set()
    while stack:
        element, parent = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag or tag in _SKIPPED:
            continue
        matched = rules.get(element, [])
        key = (tag, element.get("style"), tuple(order for _, order, _ in matched), element.get("bgcolor"), parent)
        if key in states:
            state = states[key]
        else:
            state = states[key] = _state(element, matched, tag, parent)
        if state is None:  # hidden, with everything in it
            continue
        written, background, font, weight = state
        colour = css_colour(written)
        if colour and font > 1 and _has_text(element):
            bold = weight in {"bold", "bolder"} or weight[:1] in "6789"
            look = (tag, colour, background, font >= 24 or (bold and font >= 18.66))
            if look not in seen:
                seen.add(look)
                text = " ".join(((element.text or "") + " ".join(child.tail or "" for child in element)).split())
                yield Styled(mode, tag, text, colour, background, font, bold)
        stack.extend((child, state) for child in reversed(element))


def _state(element: Any, matched: list, tag: str, parent: State) -> State | None:
    """Return the state an element has and passes down, or None when it is hidden."""
    own = _cascade(element, matched, tag)
    if own.get("display") == "none" or "mso-hide:all" in (element.get("style") or "").replace(" ", ""):
        return None
    written, background, inherited, weight = parent
    font = _font_px(own.get("font-size", ""), inherited)
    if own.get("color") not in {None, "inherit", "currentcolor"}:
        written = own["color"]
    if own.get("font-weight") not in {None, "inherit", "currentcolor"}:
        weight = own["font-weight"]
    background = css_colour(own.get("background-color", "")) or css_colour(own.get("background", "")) or \
        css_colour(element.get("bgcolor") or "") or background
    return written, background, font, weight


def _has_text(element: Any) -> bool:
    """Return True when an element has text of its own (not only its children's)."""
    return bool((element.text or "").strip()) or any((child.tail or "").strip() for child in element)


def _cascade(element: Any, matched: list, tag: str) -> dict[str, str]:
    """Return the winning declarations for one element: rules and its style attribute, importance first."""
    ranked: dict[str, tuple[tuple, str]] = {name: ((0, 0, (0, 0, 0), -1), value)
                                            for name, value in _DEFAULTS.get(tag, {}).items()}
    candidates = [((1 if important else 0, 0, specificity, order), name, value)
                  for specificity, order, declarations in matched
                  for name, (value, important) in declarations.items()]
    inline = _declarations(element.get("style") or "")
    candidates += [((1 if important else 0, 1, (0, 0, 0), 0), name, value)
                   for name, (value, important) in inline.items()]
    for rank, name, value in candidates:
        if name not in ranked or rank >= ranked[name][0]:
            ranked[name] = (rank, value)
    return {name: value for name, (_, value) in ranked.items()}


def _font_px(value: str, inherited: float) -> float:
    """Return a font size in px from px, % or em (anything else inherits)."""
    value = value.strip().lower()
    if match := _PX.match(value):
        return float(match.group(1))
    if match := _PERCENT.match(value):
        return inherited * float(match.group(1)) / 100
    if value.endswith("em") and value[:-2].replace(".", "", 1).isdigit():
        return inherited * float(value[:-2])
    return inherited


@functools.lru_cache(maxsize=4096)
def css_colour(value: str) -> str:
    """Return a CSS colour as #rrggbb, or '' for none, transparent or what cannot be read."""
    value = value.strip().lower()
    if match := _HEX.search(value):
        digits = match.group(1)
        return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)
    if (match := _RGB.search(value)) and match.group(4) in {None, "1", "100%"}:
        return "#" + "".join(f"{min(int(match.group(i)), 255):02x}" for i in (1, 2, 3))
    return _NAMED.get(value.split()[0] if value else "", "")
