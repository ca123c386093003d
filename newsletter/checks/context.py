"""What every rule reads: the issue, its rendering, and the writer's source lines behind each block."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.content import ISSUE_FILE
from newsletter.errors import NewsletterError
from newsletter.files import key_line, read_text, table_line
from newsletter.model import UNSPACED_FROM, unspaced

if TYPE_CHECKING:
    from markdown_it.token import Token

    from newsletter.config import Settings
    from newsletter.model import Issue, Rendered, Story

WORDS_PER_MINUTE = 238  # average silent reading speed for non-fiction (Brysbaert, 2019)
# Scripts written without spaces are read (and counted) by character: silent reading of Japanese runs at about
# 500 characters a minute, of Chinese about 400 (estimates from reading studies; IReST reads aloud slower).
CHARS_PER_MINUTE = {"ja": 500, "zh": 400}
DEFAULT_CHARS_PER_MINUTE = 500
_FRONT_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")
# Markdown syntax at a line's start (quote marks, list markers, heading marks, indentation), not typing.
CONTAINER = re.compile(r"^[ \t]*(?:(?:>|(?:[-+*]|\d{1,9}[.)]|#{1,6})(?=[ \t]))[ \t]*)*", re.MULTILINE)
# What readers do not read as prose: code, link targets, tags, URLs, addresses, merge tags, entities, escapes.
_TICKS = re.compile(r"`+")
_ALNUM = re.compile(r"[^\W_]")  # what str.isalnum() accepts: a word character that is not the underscore
_HIDDEN_MD = re.compile(  # code spans are found apart, by code_spans
    r"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\)"  # link target and title
    r"|^[ \t]*\[[^\]\n]+\]:[^\n]*$"  # reference definition
    r"|<[^<>\n]+>"  # HTML tag or autolink
    r"|&#?\w+;|\\[!-/:-@\[-`{-~]", re.MULTILINE | re.DOTALL)
# Linear on any text: an address is tried only where a run of its characters starts, and a tag's body stops
# at the next opening (a long word, or a run of "{{" without a close, was quadratic).
_HIDDEN = re.compile(r"\b(?:https?://|www\.)[^\s<>\"“”]+|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
                     r"|\{\{(?:[^{}\n]|\{(?!\{)|\}(?!\}))*\}\}|\{%(?:[^{%\n]|\{(?!%)|%(?!\}))*%\}", re.IGNORECASE)
_INTRO_VALUE = re.compile(r"""^\s*["']?intro["']?\s*=\s*(\"\"\"|\'\'\'|"|')""")


@dataclass(frozen=True)
class Block:
    """One block of a story (paragraph, heading, cell or raw HTML) with the source lines it came from."""

    path: Path
    line: int
    raw: str
    text: str
    token: Token | None = None
    story: Story | None = None
    kind: str = "paragraph"  # paragraph, heading, cell, list or html
    column: int = 1  # the column of raw's first character on its line
    section: tuple[str, int] = ("", 0)  # (file, heading count before the block): blocks under one heading
    language: str = "en"
    markdown: bool = True

    def line_of(self, needle: str) -> int:
        """Return the file line where needle first appears in the block, or the block's first line."""
        return self.locate(needle)[0]

    def locate(self, needle: str) -> tuple[int, int]:
        """Return (line, column) where needle first appears in the block, or where the block starts."""
        at = self.raw.find(needle) if needle else -1
        return self.position(at) if at >= 0 else self.start()

    def position(self, offset: int) -> tuple[int, int]:
        """Return the file (line, column) of an offset into raw; columns count characters from 1."""
        offset = max(0, min(offset, len(self.raw)))
        newlines = self.raw.count("\n", 0, offset)
        column = offset - (self.raw.rfind("\n", 0, offset) + 1) + 1
        return self.line + newlines, column + (self.column - 1 if not newlines else 0)

    def start(self) -> tuple[int, int]:
        """Return where the block's text starts: its first line, after any Markdown container marks."""
        first = self.raw.split("\n", 1)[0]
        marks = CONTAINER.match(first) if self.markdown else None
        skip = marks.end() if marks else len(first) - len(first.lstrip())
        return self.line, self.column + (skip if skip < len(first) else 0)


@dataclass
class Context:
    """The issue under check and helpers that map parsed content back to the writer's files."""

    settings: Settings
    issue: Issue
    rendered: Rendered | None = None
    story_files: list[Path] = field(default_factory=list)
    online: bool = False
    link_timeout: float = 10.0
    _html_bytes: int | None = field(default=None, init=False, repr=False)
    _blocks: dict[Path, list[Block]] = field(default_factory=dict, init=False, repr=False)
    _lines: dict[Path, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False)

    @property
    def meta_path(self) -> Path:
        """Return the issue's issue.toml."""
        return self.issue.path / ISSUE_FILE

    @property
    def config_path(self) -> Path:
        """Return the publication's newsletter.toml."""
        return self.settings.path

    def html_bytes(self) -> int | None:
        """Return the size of email.html as build writes it (measured once), or None when it does not render."""
        if self.rendered is None:
            return None
        if self._html_bytes is None:
            from newsletter.build import preview_filler
            from newsletter.mergetags import fill

            self._html_bytes = len(fill(self.rendered.html, preview_filler(self.rendered)).encode("utf-8"))
        return self._html_bytes

    def lines(self, path: Path) -> tuple[str, ...]:
        """Return a file's lines (read once per check), or none when it cannot be read."""
        if path not in self._lines:
            self._lines[path] = tuple(_lines(path))
        return self._lines[path]

    def meta_line(self, key: str) -> int | None:
        """Return the line of a top-level key in issue.toml."""
        return key_line("\n".join(self.lines(self.meta_path)), "", key)

    def config_line(self, table: str, key: str = "") -> int | None:
        """Return the line of a key (or of the table header) in newsletter.toml."""
        return config_line(self.settings, table, key)

    def front_line(self, story: Story, key: str) -> int | None:
        """Return the line of a front-matter key in a Markdown story."""
        lines = self.lines(story.path)
        if not lines or lines[0].strip() != "---":
            return None
        for number, text in enumerate(lines[1:story.body_line - 1], start=2):
            match = _FRONT_KEY.match(text)
            if match and match.group(1) == key:
                return number
        return None

    def title_line(self, story: Story) -> int:
        """Return the line that gives the story its title."""
        lines = self.lines(story.path)
        if story.path.suffix == ".md":
            found = self.front_line(story, "title")
            if found:
                return found
            start = story.body_line - 1
            return next((n for n, text in enumerate(lines[start:], start=start + 1) if text.strip()),
                        story.body_line)
        return next((n for n, text in enumerate(lines, start=1) if text.strip()), 1)

    def blocks(self, story: Story) -> list[Block]:
        """Return the story's text blocks with their file lines and raw source (worked out once)."""
        if story.path not in self._blocks:
            self._blocks[story.path] = _blocks(self, story)
        return self._blocks[story.path]

    def language(self, story: Story | None = None) -> str:
        """Return the language a story (or, without one, the intro) is written in: its front matter `lang`, else
        the issue's `language`, else the publication's."""
        return self.issue.story_lang(story) if story is not None else self.issue.lang

    def intro_blocks(self) -> list[Block]:
        """Return the issue intro's blocks at their lines and columns in issue.toml."""
        return _intro_blocks(self)

    def all_blocks(self) -> list[Block]:
        """Return the intro's blocks, then every story's."""
        return [*self.intro_blocks(), *(b for story in self.issue.stories for b in self.blocks(story))]


def config_line(settings: Settings, table: str, key: str = "") -> int | None:
    """Return the line of a key in newsletter.toml, else of its `[table]` header, else None."""
    text = "\n".join(_lines(settings.path))
    return (key_line(text, table, key) if key else None) or table_line(text, table)


def reading_minutes(words: int) -> int:
    """Return whole minutes to read a number of words, at least 1 for any text."""
    return -(-words // WORDS_PER_MINUTE) if words else 0


def hidden_spans(raw: str, markdown: bool = True) -> list[tuple[int, int]]:
    """Return the (start, end) spans of a block's source that readers do not read as prose, in order."""
    spans = _markdown_spans(raw) if markdown else []
    starts = [start for start, _ in spans]
    more = []
    for match in _HIDDEN.finditer(raw):
        at = bisect.bisect_right(starts, match.start()) - 1
        if at < 0 or match.start() >= spans[at][1]:  # does not start inside a span found above
            more.append(match.span())
    return sorted(spans + more)


def _markdown_spans(raw: str) -> list[tuple[int, int]]:
    """Return code spans, link targets, reference lines, tags, entities and escapes, leftmost first, in one pass.

    A code span is a run of backticks up to the next run of the same length (as CommonMark pairs them); a
    run without one is text. Each run's partner is found once, so the pass is linear in the text.
    """
    runs, partner = _tick_runs(raw)
    spans: list[tuple[int, int]] = []
    done = run = 0
    found: tuple[int, int] | None = (-1, -1)  # the next other match at or after `done`; (-1, -1): look again
    while True:
        while run < len(runs) and (runs[run][0] < done or partner[run] is None):
            run += 1  # inside what was found already, or a run no later run closes
        if found is not None and found[0] < done:  # each search starts past the last: linear in all
            match = _HIDDEN_MD.search(raw, done)
            found = match.span() if match else None
        code = (runs[run][0], runs[partner[run]][1]) if run < len(runs) else None  # type: ignore[index]
        if code is None and found is None:
            return spans
        chosen = code if found is None or (code is not None and code[0] <= found[0]) else found
        spans.append(chosen)
        done = chosen[1]


def code_spans(raw: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each Markdown code span, as CommonMark pairs backtick runs, in linear time.

    A run of backticks opens a span closed by the next run of the same length; a run no later run matches is
    literal text. (A pattern with a back-reference did this in n^1.5 on runs of growing length.)
    """
    runs, partner = _tick_runs(raw)
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        closing = partner[index]
        if closing is None:
            index += 1
        else:
            spans.append((runs[index][0], runs[closing][1]))
            index = closing + 1
    return spans


def _tick_runs(raw: str) -> tuple[list[tuple[int, int]], list[int | None]]:
    """Return the runs of backticks and, for each, the index of the next run of the same length (or None)."""
    runs = [match.span() for match in _TICKS.finditer(raw)]
    partner: list[int | None] = [None] * len(runs)
    latest: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = runs[index][1] - runs[index][0]
        partner[index] = latest.get(length)
        latest[length] = index
    return runs, partner


@functools.lru_cache(maxsize=512)
def count_words(text: str, language: str = "en") -> tuple[int, float]:
    """Return (words, minutes to read) of a text: spaced words, plus one per character of unspaced scripts."""
    wide = max(text, default="") >= UNSPACED_FROM  # else no kana nor ideograph: no need for the pattern
    unspaced_count = len(unspaced().findall(text)) if wide else 0
    spaced = sum(1 for word in (unspaced().sub(" ", text) if wide else text).split() if _ALNUM.search(word))
    rate = CHARS_PER_MINUTE.get(language.split("-", 1)[0].casefold(), DEFAULT_CHARS_PER_MINUTE)
    return spaced + unspaced_count, spaced / WORDS_PER_MINUTE + unspaced_count / rate


@functools.lru_cache(maxsize=256)
def _read(path: Path, mtime: float) -> tuple[str, ...]:
    """Read a file's lines once per modification."""
    del mtime
    try:
        return tuple(read_text(path).split("\n"))
    except NewsletterError:
        return ()


def _lines(path: Path) -> list[str]:
    """Return a file's lines through the cache."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return []
    return list(_read(path, mtime))


def _blocks(ctx: Context, story: Story) -> list[Block]:
    """Map each inline or raw-HTML token of a story to its source lines."""
    lines = ctx.lines(story.path)
    language = ctx.language(story)
    is_md = story.path.suffix == ".md"
    out: list[Block] = []
    headings = 0
    for index, token in enumerate(story.tokens):
        if token.type == "heading_open":
            headings += 1
        if token.type not in {"inline", "html_block"} or not token.map:
            continue
        start = story.body_line - 1 + token.map[0]
        end = story.body_line - 1 + token.map[1]
        if not is_md:  # paragraph maps of .txt stories cover the first line only
            while end < len(lines) and lines[end].strip():
                end += 1
        raw = "\n".join(lines[start:end]) if lines else token.content
        out.append(Block(story.path, start + 1, raw, token.content, token, story, _kind(story.tokens, index),
                         section=(story.file, headings), language=language, markdown=is_md))
    return out


def _intro_blocks(ctx: Context) -> list[Block]:
    """Return the intro's blocks: multi-line strings line for line, one-line strings at their column."""
    key = ctx.meta_line("intro")
    if key is None:
        return []
    file_lines = ctx.lines(ctx.meta_path)
    match = _INTRO_VALUE.match(file_lines[key - 1]) if key <= len(file_lines) else None
    quote = match.group(1) if match else '"'
    same_line = not match or len(quote) == 1 or file_lines[key - 1][match.end():].strip()
    first, column = (key, match.end() + 1 if match else 1) if same_line else (key + 1, 1)
    source = ctx.issue.intro_source.split("\n")
    language = ctx.language()
    out: list[Block] = []
    for index, token in enumerate(ctx.issue.intro_tokens):
        if token.type not in {"inline", "html_block"} or not token.map:
            continue
        raw = "\n".join(source[token.map[0]:token.map[1]])
        if len(quote) == 1:  # a one-line string: escapes like \n keep everything on the key's line
            found = file_lines[key - 1].find(raw.split("\n", 1)[0]) if key <= len(file_lines) else -1
            line, col = key, found + 1 if found >= 0 else column
        else:
            line, col = first + token.map[0], column if token.map[0] == 0 else 1
        out.append(Block(ctx.meta_path, line, raw, token.content, token, kind=_kind(ctx.issue.intro_tokens, index),
                         column=col, section=("", 0), language=language))
    return out


def _kind(tokens: list[Token], index: int) -> str:
    """Return what kind of block the token at index is, from the token that opens it."""
    if tokens[index].type == "html_block":
        return "html"
    opener = tokens[index - 1].type if index else ""
    if opener in {"th_open", "td_open"}:
        return "cell"
    if opener == "heading_open":
        return "heading"
    return "list" if tokens[index].level > 1 else "paragraph"
