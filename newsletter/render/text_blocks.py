"""Markdown syntax tree -> wrapped plain-text lines: paragraphs, lists, quotes, code, tables, links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from newsletter.i18n import ENGLISH, Translator
from newsletter.markdown import URL_SCHEMES
from newsletter.mergetags import OPEN
from newsletter.render.text_wrap import GLUE, display_width, pad, to_ascii, wrap_paragraph

_MARKS = {"em": "_", "i": "_", "strong": "*", "b": "*", "s": "~", "del": "~"}
_ALIGN = re.compile(r"text-align:\s*(left|right|center)")


@dataclass(frozen=True)
class TextStyle:
    """How the text is laid out: the [text] options."""

    width: int = 72
    inline_links: bool = False
    ascii: bool = False
    markers: bool = False


@dataclass
class Refs:
    """Numbered link references, counted across the issue and listed after each story."""

    counter: int = 0
    current: dict[str, int] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)  # URLs the current story already prints in full

    def number(self, url: str) -> int:
        """Return the reference number of url, giving it the next number the first time it is seen."""
        if url not in self.current:
            self.counter += 1
            self.current[url] = self.counter
        return self.current[url]

    def take(self) -> list[str]:
        """Return the reference lines of the current story and start a new one."""
        lines = [f"[{n}] {url}" for url, n in self.current.items()]
        self.current, self.shown = {}, set()
        return lines


class Blocks:
    """Render Markdown tokens as lines of plain text under one style."""

    def __init__(self, style: TextStyle, refs: Refs, i18n: Translator = ENGLISH, direction: str = "ltr") -> None:
        self.style = style
        self.refs = refs
        self.i18n = i18n  # the reader's language: image labels, "label: value"
        self.dir = direction  # the direction of the story being rendered
        self.digest = False  # list items lead with their link: its URL goes on a line of its own
        self._titles: set[int] = set()  # ids of the digest items' leading links, shown without a number

    def render(self, tokens: list[Token], width: int | None = None) -> list[str]:
        """Return the lines of a token stream, blocks separated by one blank line."""
        if not tokens:
            return []
        return self.blocks(SyntaxTreeNode(tokens).children, width or self.style.width)

    def blocks(self, nodes: list[SyntaxTreeNode], width: int, tight: bool = False) -> list[str]:
        """Render sibling block nodes, with a blank line between them unless tight."""
        out: list[str] = []
        for node in nodes:
            lines = self.block(node, width)
            if not lines:
                continue
            if out and not tight:
                out.append("")
            out += lines
        return out

    def block(self, node: SyntaxTreeNode, width: int) -> list[str]:
        """Render one block node."""
        kind = node.type
        if kind == "paragraph":
            return self.wrap(self.inline(node), width)
        if kind == "heading":
            lines = self.wrap(self.inline(node), width)
            return [*lines, "-" * max(map(display_width, lines))] if any(lines) else []
        if kind in {"bullet_list", "ordered_list"}:
            return self.list(node, width)
        if kind == "blockquote":
            return [f"> {line}" if line else ">" for line in self.blocks(node.children, max(width - 2, 1))]
        if kind in {"fence", "code_block"}:
            return code_lines(node.content)
        if kind == "hr":
            return [rule(width)]
        if kind == "table":
            return self.table(node, width)
        if kind == "html_block":
            return self.html(node.content, width)
        return self.blocks(node.children, width)

    def list(self, node: SyntaxTreeNode, width: int) -> list[str]:
        """Render a list with hanging indents; nested lists indent under their item's text."""
        items = node.children
        start = int(str(node.attrs.get("start", 1)))
        marks = [f"{start + i}." for i in range(len(items))] if node.type == "ordered_list" else ["-"] * len(items)
        indent = max(map(len, marks)) + 1
        tight = any(child.hidden for item in items for child in item.children if child.type == "paragraph")
        out: list[str] = []
        for mark, item in zip(marks, items, strict=True):
            url = self._digest_title(item)
            body = self.blocks(item.children, max(width - indent, 1), tight) or [""]
            if url:
                body.append(url)
            if out and not tight:
                out.append("")
            out.append((mark.ljust(indent) + body[0]).rstrip())
            out += [" " * indent + line if line else "" for line in body[1:]]
        return out

    def _digest_title(self, item: SyntaxTreeNode) -> str:
        """Return the URL of a digest item's leading link (and mark that link to be shown bare), or ''."""
        if not self.digest or not item.children or item.children[0].type != "paragraph":
            return ""
        inline = item.children[0].children
        spans = inline[0].children if inline and inline[0].type == "inline" else inline
        if not spans or spans[0].type != "link":
            return ""
        url = safe_url(str(spans[0].attrs.get("href", "")))
        if url:
            self._titles.add(id(spans[0]))
            self.refs.shown.add(url)
        return url

    def table(self, node: SyntaxTreeNode, width: int) -> list[str]:
        """Render a table as aligned columns when it fits, else one `header: value` line per cell."""
        header: list[str] = []
        rows: list[list[str]] = []
        aligns: list[str] = []
        for section in node.children:
            for tr in section.children:
                cells = [" ".join(self.inline(cell).replace(GLUE, " ").split()) for cell in tr.children]
                if section.type == "thead":
                    header = cells
                    aligns = [_align(cell) for cell in tr.children]
                else:
                    rows.append(cells)
        columns = max(len(header), *(len(row) for row in rows)) if rows else len(header)
        grid = [row + [""] * (columns - len(row)) for row in [header, *rows]]
        aligns += ["left"] * (columns - len(aligns))
        sizes = [max(display_width(row[i]) for row in grid) for i in range(columns)]
        if sum(sizes) + 2 * (columns - 1) <= width:
            lines = ["  ".join(pad(cell, sizes[i], aligns[i]) for i, cell in enumerate(row)).rstrip()
                     for row in grid]
            return [lines[0], "  ".join("-" * size for size in sizes), *lines[1:]]
        out: list[str] = []
        for row in grid[1:]:
            if out:
                out.append("")
            for label, value in zip(grid[0], row, strict=True):
                shown = self.i18n.gettext("%(label)s: %(value)s", label=label, value=value) if label else value
                wrapped = self.wrap(shown, max(width - 2, 1))
                out += [wrapped[0], *("  " + line for line in wrapped[1:])]
        return out

    def html(self, source: str, width: int) -> list[str]:
        """Render a raw HTML block as its text, with its links and images."""
        from newsletter.markdown import sanitise

        reader = _HtmlText(self)
        reader.feed(sanitise(source))
        reader.close()
        reader.flush()
        out: list[str] = []
        previous = ""
        for kind, text in reader.blocks:
            lines = code_lines(text) if kind == "code" else [rule(width)] if kind == "hr" else self.wrap(text, width)
            if out and lines and not (kind == previous == "li"):
                out.append("")
            out += lines
            previous = kind
        return out

    def inline(self, node: SyntaxTreeNode) -> str:
        """Flatten a block's inline content to one string (GLUE joins, newlines are hard breaks)."""
        children = node.children
        if children and children[0].type == "inline":
            children = children[0].children
        return self.spans(children).strip(" ")

    def spans(self, children: list[SyntaxTreeNode]) -> str:
        """Flatten inline nodes; raw inline HTML tags become links, breaks and marks, or nothing."""
        parts: list[str] = []
        links: list[tuple[int, str]] = []
        for child in children:
            kind = child.type
            if kind in {"text", "text_special"}:
                parts.append(self.text(child.content))
            elif kind == "softbreak":
                parts.append("\n" if self.digest else " ")
            elif kind == "hardbreak":
                parts.append("\n")
            elif kind == "code_inline":
                parts.append(self.code(child.content))
            elif kind in _MARKS:
                parts.append(self.mark(kind, self.spans(child.children)))
            elif kind == "link" and id(child) in self._titles:
                parts.append(self.spans(child.children))
            elif kind == "link":
                parts.append(self.link(self.spans(child.children), str(child.attrs.get("href", ""))))
            elif kind == "image":
                parts.append(self.image(child.content or "".join(c.content for c in child.children),
                                        str(child.attrs.get("title") or "")))
            elif kind == "html_inline":
                self.html_inline(child.content, parts, links)
            else:
                parts.append(self.spans(child.children))
        return "".join(parts)

    def html_inline(self, tag: str, parts: list[str], links: list[tuple[int, str]]) -> None:
        """Apply one inline HTML tag: <a> opens or closes a link, <br> breaks, <img> shows its alt."""
        reader = _Tag()
        reader.feed(tag)
        if reader.name == "a" and not reader.closing:
            links.append((len(parts), reader.attrs.get("href") or ""))
        elif reader.name == "a" and links:
            start, href = links.pop()
            inner = "".join(parts[start:])
            del parts[start:]
            parts.append(self.link(inner, href))
        elif reader.name == "br":
            parts.append("\n")
        elif reader.name == "img":
            parts.append(self.image(reader.attrs.get("alt") or ""))
        elif reader.name in _MARKS and self.style.markers:
            parts.append(_MARKS[reader.name])

    def wrap(self, text: str, width: int) -> list[str]:
        """Wrap a paragraph of the current story (right-to-left ones stay whole)."""
        return wrap_paragraph(text, width, self.dir)

    def text(self, text: str) -> str:
        """Return running text, transliterated when [text] ascii is on."""
        return to_ascii(text) if self.style.ascii else text

    def code(self, content: str) -> str:
        """Return a code span verbatim; it breaks only at its spaces, and only when wider than a line."""
        if display_width(content) <= self.style.width:
            content = content.replace(" ", GLUE)
        return f"`{content}`" if self.style.markers else content

    def mark(self, kind: str, inner: str) -> str:
        """Return emphasis, strong or struck text, with `_`, `*` or `~` around it when asked for."""
        if not self.style.markers or not inner.strip():
            return inner
        core = inner.strip(" ")
        lead, tail = inner[: len(inner) - len(inner.lstrip(" "))], inner[len(inner.rstrip(" ")):]
        return f"{lead}{_MARKS[kind]}{core}{_MARKS[kind]}{tail}"

    def image(self, alt: str, caption: str = "") -> str:
        """Return an image as `[Image: alt]`, with its caption on the next line."""
        alt = " ".join(self.text(alt).split())
        # Translators: an image in the plain-text email, with its description.
        shown = self.i18n.gettext("[Image: %(alt)s]", alt=alt) if alt else self.i18n.gettext("[Image]")
        caption = " ".join(self.text(caption).split())
        return f"{shown}\n{caption}" if caption else shown

    def link(self, text: str, href: str) -> str:
        """Return link text with its reference number, or `text (URL)` inline; a bare URL stays as it is."""
        url = safe_url(href)
        shown = text.replace(GLUE, " ").strip()
        if not url:
            return text
        if not shown or shown == url or (url.startswith("mailto:") and shown == url[7:]):
            self.refs.shown.add(url)
            return text if shown else url
        if self.style.inline_links:
            self.refs.shown.add(url)
            return f"{text.rstrip()} ({url})"
        return f"{text.rstrip()}{GLUE}[{self.refs.number(url)}]"


def safe_url(href: str) -> str:
    """Return href when it is an absolute http(s), mailto or tel URL or a merge tag, else ''."""
    href = href.strip()
    if href.startswith(OPEN):
        return href
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return ""
    return href if scheme in URL_SCHEMES else ""


def code_lines(content: str) -> list[str]:
    """Return a code block's lines verbatim, indented four spaces and never wrapped."""
    return [f"    {line}".rstrip() for line in content.rstrip("\n").split("\n")] if content.strip() else []


def rule(width: int) -> str:
    """Return a horizontal rule inside a story: three spaced asterisks, centred."""
    return pad("*   *   *", width, "center").rstrip()


def _align(cell: SyntaxTreeNode) -> str:
    """Return a table cell's alignment from its style attribute."""
    match = _ALIGN.search(str(cell.attrs.get("style", "")))
    return match.group(1) if match else "left"


class _Tag(HTMLParser):
    """Parse one inline HTML tag: its name, whether it closes, its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.name = ""
        self.closing = False
        self.attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record an opening tag."""
        self.name, self.attrs = tag, dict(attrs)

    def handle_endtag(self, tag: str) -> None:
        """Record a closing tag."""
        self.name, self.closing = tag, True


class _HtmlText(HTMLParser):
    """Reduce a sanitised raw HTML block to paragraphs of text, code and rules."""

    BLOCK = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "table",
                       "thead", "tbody", "tfoot", "tr", "figure", "figcaption"})

    def __init__(self, owner: Blocks) -> None:
        super().__init__(convert_charrefs=True)
        self.owner = owner
        self.blocks: list[tuple[str, str]] = []
        self.parts: list[str] = []
        self.links: list[tuple[int, str]] = []
        self.pre = 0

    def flush(self, kind: str = "p") -> None:
        """End the current paragraph, list item or code block."""
        text = "".join(self.parts)
        self.parts, self.links = [], []
        if kind == "code" and text.strip("\n"):
            self.blocks.append(("code", text))
        elif text.strip():
            kind = "li" if text.startswith(f"-{GLUE}") else kind
            self.blocks.append((kind, re.sub(r" *\n *", "\n", re.sub(r" +", " ", text)).strip()))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a block, a link, a line break or an image."""
        values = dict(attrs)
        if tag in self.BLOCK:
            self.flush()
            if tag == "li":
                self.parts.append(f"-{GLUE}")
        elif tag == "pre":
            self.flush()
            self.pre += 1
        elif tag == "hr":
            self.flush()
            self.blocks.append(("hr", ""))
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            self.links.append((len(self.parts), values.get("href") or ""))
        elif tag == "img":
            self.parts.append(" " + self.owner.image(values.get("alt") or "") + " ")
        elif tag in {"td", "th"}:
            self.parts.append(" ")
        elif tag in _MARKS and self.owner.style.markers:
            self.parts.append(_MARKS[tag])

    def handle_endtag(self, tag: str) -> None:
        """Close a block or a link."""
        if tag == "pre" and self.pre:
            self.pre -= 1
            self.flush("code")
        elif tag in self.BLOCK:
            self.flush()
        elif tag == "a" and self.links:
            start, href = self.links.pop()
            inner = "".join(self.parts[start:])
            del self.parts[start:]
            self.parts.append(self.owner.link(inner, href))
        elif tag in _MARKS and self.owner.style.markers:
            self.parts.append(_MARKS[tag])

    def handle_data(self, data: str) -> None:
        """Add text: verbatim inside <pre>, else with its whitespace collapsed."""
        if self.pre:
            self.parts.append(data)
        else:
            self.parts.append(self.owner.text(re.sub(r"\s+", " ", data)))
