"""MJML -> HTML with mjml-python, errors turned into `email.mjml:line` messages."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from newsletter.errors import RenderError

_POSITION = re.compile(r"at position (\d+)(?::(\d+))?")


def compile_mjml(source: str, lang: str, where: Path) -> str:
    """Compile MJML to HTML; `where` names the email.mjml the message should point at."""
    from mjml import mjml2html

    try:
        html = mjml2html(source, fonts={})
    except ValueError as exc:
        line, detail = _locate(source, str(exc))
        raise RenderError(f"MJML error: {exc}{detail}", where, line) from None
    unknown = re.search(r"<mj-[a-z-]+", html)
    if unknown:
        line = source.count("\n", 0, source.find(unknown.group(0))) + 1 if unknown.group(0) in source else None
        raise RenderError(f"MJML error: unknown tag {unknown.group(0)}> reached the HTML; "
                          "check the tag name in the template", where, line)
    return html.replace('lang="und"', f'lang="{lang}"')


def _locate(source: str, message: str) -> tuple[int | None, str]:
    """Return the line of an MJML error (from its byte offset or by checking tag balance)."""
    match = _POSITION.search(message)
    if match:
        offset = int(match.group(1))
        data = source.encode("utf-8")
        line = data[:offset].count(b"\n") + 1
        text = data.split(b"\n")[line - 1].decode("utf-8", "replace").strip()
        return line, f" (near: {text[:80]})"
    unclosed = _unbalanced(source)
    if unclosed:
        return unclosed
    return None, ""


class _TagChecker(HTMLParser):
    """Track open mj-* tags to find the one that is not closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int]] = []
        self.problem: tuple[int | None, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag.startswith("mj-") or tag == "mjml":
            self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return

    def handle_endtag(self, tag: str) -> None:
        if not (tag.startswith("mj-") or tag == "mjml") or self.problem:
            return
        if self.stack and self.stack[-1][0] == tag:
            self.stack.pop()
            return
        if self.stack:
            open_tag, line = self.stack[-1]
            self.problem = (line, f" (<{open_tag}> opened on line {line} is closed by </{tag}> on line "
                                  f"{self.getpos()[0]})")
        else:
            self.problem = (self.getpos()[0], f" (</{tag}> has no opening tag)")


def _unbalanced(source: str) -> tuple[int | None, str] | None:
    """Return the line and description of the first unbalanced mj-* tag."""
    checker = _TagChecker()
    checker.feed(source)
    checker.close()
    if checker.problem:
        return checker.problem
    if checker.stack:
        tag, line = checker.stack[-1]
        return line, f" (<{tag}> opened on line {line} is never closed)"
    return None
