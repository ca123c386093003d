"""`check --fix`: the mechanical fixes in the writer's own story files, never in code, markup or front matter.

Fixes: blanks in a row between words, a word typed twice ("the the"), straight quotes to the language's
typographic ones (markdown-it's smart-quote rules with CLDR's marks), and trailing whitespace (not a Markdown
hard break). A fixed Markdown file must parse to the same code, links, images and HTML as before, else it is
left as it is; a file with nothing to fix is not written at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from markdown_it.rules_core.smartquotes import process_inlines
from markdown_it.token import Token

from newsletter import markdown
from newsletter.checks.context import CONTAINER, hidden_spans
from newsletter.checks.editorial import doubled_words
from newsletter.checks.language import Language, language
from newsletter.errors import NewsletterError
from newsletter.files import read_text
from newsletter.writer import replace_file

if TYPE_CHECKING:
    from collections.abc import Callable

    from newsletter.config import Settings

_BLANKS = re.compile(r"(?<=\S)[ \t\u00a0]{2,}(?=\S)")
_TRAILING = re.compile(r"[^\S\n]+$")


@dataclass(frozen=True)
class Change:
    """One fix made: where, and what it changed."""

    path: Path
    line: int
    what: str

    def format(self, root: Path) -> str:
        """Return `path:line: what` relative to the publication root."""
        try:
            shown = self.path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            shown = str(self.path)
        return f"{shown}:{self.line}: {self.what}"


def fix_issue(settings: Settings, folder: Path) -> tuple[list[Change], list[str]]:
    """Fix the story files of one issue folder; return the changes made and the files left alone, with why."""
    from newsletter.checks.loading import load_for_check

    issue, _, files = load_for_check(settings, folder)
    by_path = {story.path: issue.story_lang(story) for story in issue.stories}  # a story's `lang`, else the issue's
    return fix_files([path for path in files if path.is_file()], lambda path: by_path.get(path, issue.lang))


def fix_files(paths: list[Path], language_of: Callable[[Path], str]) -> tuple[list[Change], list[str]]:
    """Fix each story file in place; return the changes made and the files left alone, with why."""
    changes: list[Change] = []
    skipped: list[str] = []
    for path in paths:
        text = read_text(path)
        fixed, made = fix_text(text, path.suffix == ".md", language(language_of(path)))
        if fixed == text:
            continue
        if path.suffix == ".md" and _fingerprint(text) != _fingerprint(fixed):
            skipped.append(f"{path.name}: not fixed, the fixes would change its code or links")
            continue
        try:
            replace_file(path, fixed.encode("utf-8"))
        except OSError as exc:
            raise NewsletterError(f"cannot write the fixes: {exc.strerror or exc}", path) from None
        changes += [Change(path, line, what) for line, what in made]
    return changes, skipped


def fix_text(text: str, is_markdown: bool, lang: Language) -> tuple[str, list[tuple[int, str]]]:
    """Return the fixed text and (line, what) for each change."""
    lines = text.split("\n")
    prose = _prose_ranges(lines, is_markdown)
    made: list[tuple[int, str]] = []
    for start, end in prose:
        block = "\n".join(lines[start:end])
        fixed = block
        for fixer in (_blanks, _doubles, _quotes):
            fixed, notes = fixer(fixed, is_markdown, lang)
            made += [(start + 1 + line, what) for line, what in notes]
        if fixed != block:
            lines[start:end] = fixed.split("\n")  # the fixes never add or remove a line
    in_prose = {n for start, end in prose for n in range(start, end)}
    for number, line in enumerate(lines):
        stripped = _TRAILING.sub("", line)
        if stripped == line or (number not in in_prose and line.strip()):
            continue
        hard_break = is_markdown and line.endswith("  ") and number + 1 in in_prose and stripped.strip() and \
            lines[number + 1].strip()
        if not hard_break:
            lines[number] = stripped
            made.append((number + 1, "removed trailing whitespace"))
    return "\n".join(lines), sorted(made)


def _prose_ranges(lines: list[str], is_markdown: bool) -> list[tuple[int, int]]:
    """Return the (start, end) line ranges of paragraphs and headings: no front matter, code, HTML or tables."""
    if not is_markdown:
        return [(0, len(lines))]
    offset = 0
    if lines and lines[0].strip() == "---":
        close = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
        if close is None:
            return []
        offset = close + 1
    tokens = markdown.parse("\n".join(lines[offset:]))
    out = []
    for index, token in enumerate(tokens):
        opener = tokens[index - 1].type if index else ""
        if token.type == "inline" and token.map and opener in {"paragraph_open", "heading_open"}:
            out.append((offset + token.map[0], offset + token.map[1]))
    return out


def _free(block: str, is_markdown: bool) -> list[tuple[int, int]]:
    """Return the spans of a block a fix may touch: outside code, links' targets, tags, URLs and merge tags."""
    out, at = [], 0
    for start, end in hidden_spans(block, is_markdown):
        if start > at:
            out.append((at, start))
        at = max(at, end)
    out.append((at, len(block)))
    return out


def _line(block: str, offset: int) -> int:
    """Return the 0-based line of an offset in a block."""
    return block.count("\n", 0, offset)


def _blanks(block: str, is_markdown: bool, lang: Language) -> tuple[str, list[tuple[int, str]]]:
    """Replace blanks in a row between words with one space, after any Markdown line-start marks."""
    del lang
    edits: list[tuple[int, int, str]] = []
    for start, end in _free(block, is_markdown):
        for match in _BLANKS.finditer(block, start, end):
            prefix = CONTAINER.match(block, block.rfind("\n", 0, match.start()) + 1) if is_markdown else None
            if prefix and match.start() < prefix.end():
                continue  # the spaces after a list marker or quote mark are Markdown, not typing
            edits.append((match.start(), match.end(), " "))
    notes = [(_line(block, s), f"replaced {e - s} blanks in a row with one space") for s, e, _ in edits]
    return _apply(block, edits), notes


def _doubles(block: str, is_markdown: bool, lang: Language) -> tuple[str, list[tuple[int, str]]]:
    """Delete the second of a word typed twice ("the the")."""
    visible = block
    for start, end in hidden_spans(block, is_markdown):
        visible = visible[:start] + re.sub(r"[^\n]", "0", visible[start:end]) + visible[end:]
    if is_markdown:
        visible = CONTAINER.sub(lambda m: " " * len(m.group()), visible)
    edits: list[tuple[int, int, str]] = []
    for second, word in doubled_words(visible, lang):
        gap = len(visible[:second]) - len(visible[:second].rstrip())
        if gap == 0:  # a doubled character in a script without spaces
            edits.append((second, second + len(word), ""))
        elif "\n" in visible[second - gap:second]:  # keep the line break: take the word and the blanks after it
            after = len(visible[second + len(word):]) - len(visible[second + len(word):].lstrip(" \t"))
            edits.append((second, second + len(word) + after, ""))
        else:
            edits.append((second - gap, second + len(word), ""))
    notes = [(_line(block, s), f"deleted the repeated “{block[s:e].strip()}”") for s, e, _ in edits]
    return _apply(block, edits), notes


def _quotes(block: str, is_markdown: bool, lang: Language) -> tuple[str, list[tuple[int, str]]]:
    """Turn straight quotes into the language's typographic quotes and apostrophes."""
    if '"' not in block and "'" not in block:
        return block, []
    tokens: list[Token] = []
    spans: list[tuple[int, int, bool]] = []  # (start, end, is text)
    at = 0
    for start, end in [*hidden_spans(block, is_markdown), (len(block), len(block))]:
        for piece_start, piece_end, is_text in ((at, start, True), (start, end, False)):
            if piece_end <= piece_start:
                continue
            piece = block[piece_start:piece_end]
            for part in re.split(r"(\n)", piece) if is_text else [piece]:
                kind = "softbreak" if part == "\n" else "text" if is_text else "code_inline"
                tokens.append(Token(kind, "", 0, content=part))
            spans.append((piece_start, piece_end, is_text))
        at = max(at, end)
    if lang.unspaced_doubles is not None:  # no spaces to tell opening from closing: they alternate
        _alternate(tokens, lang)
    state = SimpleNamespace(md=SimpleNamespace(options=SimpleNamespace(quotes=list(lang.quotes))))
    process_inlines(tokens, state)  # type: ignore[arg-type]
    fixed = "".join(token.content if token.type != "softbreak" else "\n" for token in tokens)
    if fixed == block:
        return block, []
    lines_before, lines_after = block.split("\n"), fixed.split("\n")
    notes = [(n, f"straight quotes → {lang.quotes[0].strip()}…{lang.quotes[1].strip()} and ’")
             for n, (a, b) in enumerate(zip(lines_before, lines_after, strict=True)) if a != b]
    return fixed, notes


def _alternate(tokens: list[Token], lang: Language) -> None:
    """Turn double quotes into opening and closing marks in turn, for scripts written without spaces."""
    opening = True
    for token in tokens:
        if token.type != "text" or '"' not in token.content:
            continue
        parts = token.content.split('"')
        out = [parts[0]]
        for part in parts[1:]:
            out += [lang.quotes[0] if opening else lang.quotes[1], part]
            opening = not opening
        token.content = "".join(out)


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping (start, end, replacement) edits."""
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _fingerprint(text: str) -> list[tuple[str, str]]:
    """Return what a fix must never change in Markdown: code, HTML, link targets and image sources."""
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        close = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), 0)
        front, lines = lines[:close + 1], lines[close + 1:]
    else:
        front = []
    out = [("front", "\n".join(front))]
    for token, _ in markdown.walk(markdown.parse("\n".join(lines))):
        if token.type in {"code_inline", "fence", "code_block", "html_block", "html_inline"}:
            out.append((token.type, token.content))
        elif token.type in {"link_open", "image"}:
            out.append((token.type, f"{token.attrGet('href') or token.attrGet('src')} {token.attrGet('title')}"))
    return out
