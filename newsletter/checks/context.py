"""What every rule reads: the issue, its rendering, and the writer's source lines behind each block."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.content import ISSUE_FILE
from newsletter.errors import NewsletterError
from newsletter.files import key_line, read_text, table_line

if TYPE_CHECKING:
    from markdown_it.token import Token

    from newsletter.config import Settings
    from newsletter.model import Issue, Rendered, Story

WORDS_PER_MINUTE = 238  # average silent reading speed for non-fiction (Brysbaert, 2019)
_FRONT_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")


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

    def line_of(self, needle: str) -> int:
        """Return the file line where needle first appears in the block, or the block's first line."""
        at = self.raw.find(needle) if needle else -1
        return self.line + self.raw.count("\n", 0, at) if at >= 0 else self.line


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

    def lines(self, path: Path) -> list[str]:
        """Return a file's lines (cached), or none when it cannot be read."""
        return _lines(path)

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
        """Return the story's text blocks with their file lines and raw source."""
        return _blocks(self, story)

    def intro_blocks(self) -> list[Block]:
        """Return the issue intro's blocks, located at the `intro` key of issue.toml."""
        line = self.meta_line("intro") or 1
        return [Block(self.meta_path, line, token.content, token.content, token)
                for token in self.issue.intro_tokens if token.type in {"inline", "html_block"}]

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
    out: list[Block] = []
    for index, token in enumerate(story.tokens):
        if token.type not in {"inline", "html_block"} or not token.map:
            continue
        start = story.body_line - 1 + token.map[0]
        end = story.body_line - 1 + token.map[1]
        if story.path.suffix == ".txt":  # paragraph maps of .txt stories cover the first line only
            while end < len(lines) and lines[end].strip():
                end += 1
        raw = "\n".join(lines[start:end]) if lines else token.content
        out.append(Block(story.path, start + 1, raw, token.content, token, story, _kind(story.tokens, index)))
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
