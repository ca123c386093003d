"""Postmark's template language, Mustachio, as its tokenizer and renderer behave, for the export fidelity tests.

Mustachio is a .NET library that cannot run here, and it differs from Mustache: it has no Set Delimiter
tag (`{{=<% %>=}}` is read as a value whose path is invalid, so Postmark refuses the template), every
`{{…}}` whose inside holds no brace is a token, a path may only hold word characters, `.`, `/` and `_`,
escaped values are HTML-encoded as .NET's HttpUtility.HtmlEncode does, and a section's "truthiness"
follows JavaScript's. This module follows its Tokenizer.cs, Parser.cs and ContextObject.cs (read from
ActiveCampaign/mustachio) and Postmark's own `pm:` tokens; it is written for these tests, not copied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(r"(\{\{[^{}]+?\}\})|(\{\{\{[^{}]+?\}\}\})")
BAD_PATH = re.compile(r"(\.{3,})|([^\w./_]+)|((?<!\.{2})/)|(\.{2,}($|[^/]))", re.S)
POSTMARK_TOKEN = re.compile(r"\{\{\{?\s*(pm:[a-z_]+)\s*\}?\}\}")  # Postmark's own expanders, such as pm:unsubscribe
PATH_PART = re.compile(r"(\.\.[\\/])|([^.]+)")


class MustachioError(Exception):
    """Raised where Mustachio reports a parse error (Postmark then refuses the template)."""


@dataclass
class Node:
    """A parsed piece: content, a value, or a section with children."""

    kind: str  # content, escaped, raw, section, inverted, each, postmark
    value: str = ""
    children: list[Node] = field(default_factory=list)


def _valid(path: str) -> str:
    """Return the path, or raise as Mustachio's Validated() does for paths it does not accept."""
    path = path.strip()
    if BAD_PATH.search(path):
        raise MustachioError(f"The path '{path}' is not valid")
    return path


def tokenize(template: str) -> list[tuple[str, str]]:
    """Return the template's tokens as (kind, value), raising on what Mustachio's tokenizer rejects."""
    tokens: list[tuple[str, str]] = []
    stack: list[str] = []
    at = 0
    for match in TOKEN.finditer(template):
        if match.start() > at:
            tokens.append(("content", template[at:match.start()]))
        at = match.end()
        text = match.group(0)
        if POSTMARK_TOKEN.fullmatch(text):
            tokens.append(("postmark", POSTMARK_TOKEN.fullmatch(text).group(1)))  # type: ignore[union-attr]
        elif text.startswith("{{#each"):
            name = text.strip("{}").lstrip("#").strip()[4:]
            if not name.startswith(" ") or not name.strip():
                raise MustachioError("The 'each' block needs a path")
            stack.append("each")
            tokens.append(("each", _valid(name)))
        elif text.startswith("{{/each"):
            if text != "{{/each}}" or not stack or stack[-1] != "each":
                raise MustachioError("each block closed wrongly")
            stack.pop()
            tokens.append(("close", "each"))
        elif text.startswith(("{{#", "{{^")):
            name = _valid(text.strip("{}")[1:])
            stack.append(name)
            tokens.append(("section" if text.startswith("{{#") else "inverted", name))
        elif text.startswith("{{/"):
            name = text.strip("{}").lstrip("/").strip()
            if not stack or stack[-1] != name:
                raise MustachioError("It appears that open and closing elements are mismatched.")
            stack.pop()
            tokens.append(("close", _valid(name)))
        elif text.startswith(("{{{", "{{&")):
            tokens.append(("raw", _valid(text.strip("{}").lstrip("&"))))
        elif text.startswith("{{!"):
            continue  # a comment: dropped
        else:
            tokens.append(("escaped", _valid(text.strip("{}"))))
    if at < len(template):
        tokens.append(("content", template[at:]))
    if stack:
        raise MustachioError(f"A scope block to the following path was opened but not closed: '{stack[-1]}'")
    return tokens


def _tree(tokens: list[tuple[str, str]]) -> list[Node]:
    """Nest the tokens into sections."""
    root: list[Node] = []
    stack = [root]
    for kind, value in tokens:
        if kind == "close":
            stack.pop()
        elif kind in {"section", "inverted", "each"}:
            node = Node(kind, value)
            stack[-1].append(node)
            stack.append(node.children)
        else:
            stack[-1].append(Node(kind, value))
    return root


@dataclass
class _Context:
    value: Any
    parent: _Context | None = None

    def find(self, path: str) -> _Context:
        """Return the context for a dotted path (`.` is this one, `../` the parent), as ContextObject does."""
        parts = [m.group(0) for m in PATH_PART.finditer(path)]
        here = self
        for part in parts:
            if part.startswith(".."):
                here = here.parent or here
            else:
                inner = here.value.get(part) if isinstance(here.value, Mapping) else None
                here = _Context(inner, here)
        return here

    def exists(self) -> bool:
        """Return the value's truthiness by JavaScript's standards (as Mustachio's Exists())."""
        value = self.value
        if value is None or value is False or value == "" or (isinstance(value, (int, float)) and value == 0):
            return False
        return not (isinstance(value, (list, tuple, dict)) and not value)


def html_encode(text: str) -> str:
    """Encode as .NET's HttpUtility.HtmlEncode: & < > " ' and the characters U+00A0 to U+00FF."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    out = out.replace("'", "&#39;")
    return "".join(f"&#{ord(c)};" if 0xA0 <= ord(c) <= 0xFF else c for c in out)


def _render(nodes: list[Node], ctx: _Context, postmark: Mapping[str, str]) -> str:
    out: list[str] = []
    for node in nodes:
        if node.kind == "content":
            out.append(node.value)
        elif node.kind == "postmark":
            out.append(postmark[node.value])
        elif node.kind in {"escaped", "raw"}:
            found = ctx.find(node.value)
            if found.value is not None:
                text = "true" if found.value is True else "false" if found.value is False else str(found.value)
                out.append(html_encode(text) if node.kind == "escaped" else text)
        elif node.kind == "section":
            found = ctx.find(node.value)
            if found.exists():
                out.append(_render(node.children, found, postmark))
        elif node.kind == "inverted":
            found = ctx.find(node.value)
            if not found.exists():
                out.append(_render(node.children, found, postmark))
        elif node.kind == "each":
            found = ctx.find(node.value)
            if found.exists():
                if not isinstance(found.value, (list, tuple)):
                    raise MustachioError(f"'{node.value}' is used like an array but is not one")
                out.extend(_render(node.children, _Context(item, found), postmark) for item in found.value)
    return "".join(out)


def render(template: str, model: Mapping[str, Any]) -> str:
    """Render a Postmark template for one model; `pm:` tokens take their values from the model's `pm:` keys."""
    postmark = {k: str(v) for k, v in model.items() if k.startswith("pm:")}
    return _render(_tree(tokenize(template)), _Context(dict(model)), postmark)
