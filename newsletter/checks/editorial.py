"""Editorial rules: repeats, pasted footers, figures that disagree, typing slips, empty and overlong stories."""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsletter.checks import Finding, Rule
from newsletter.checks.context import CONTAINER, Block, Context, code_spans, count_words
from newsletter.checks.figures import figures
from newsletter.checks.language import TYPOGRAPHIC, VISIBLE_BLANKS, Language, base, language

if TYPE_CHECKING:
    from newsletter.model import Story

REPEATED = Rule("editorial/repeated-paragraph", "error", "a paragraph appears twice in the issue",
                "delete one of the two copies")
SUBSCRIBE = Rule("editorial/own-subscribe-line", "warning", "a story carries the publication's subscribe line",
                 "delete the line: the footer with the subscribe link is added to every issue")
FIGURES = Rule("editorial/conflicting-figures", "warning", "one quantity is given two different figures",
               "check which figure is right and use it in both places")
DOUBLE_SPACE = Rule("editorial/double-space", "warning", "two blanks in a row that readers see (a no-break space)",
                    "replace the spaces with one")
REPEATED_WORD = Rule("editorial/repeated-word", "warning", "a word typed twice in a row", "delete the repeat")
QUOTES = Rule("editorial/mixed-quotes", "warning", "straight and typographic quotes mixed in one story",
              "use one style throughout the story: curly “…” ’ or straight \"…\" '")
EMPTY = Rule("editorial/empty-story", "error", "a story file with no text",
             "write the story or delete the file", ("is empty", "no text"))
NO_TITLE = Rule("editorial/no-title", "error", "a story without a title",
                "add `title: …` to the front matter, or start with a `# Heading` line (.txt: the first line)",
                ("no title",))
LONG = Rule("editorial/long-story", "warning", "a story far longer than the others",
            "cut it, split it, or keep a summary here and link to the full story with `link:`")
RULES = (REPEATED, SUBSCRIBE, FIGURES, DOUBLE_SPACE, REPEATED_WORD, QUOTES, EMPTY, NO_TITLE, LONG)

MIN_REPEAT_WORDS = 8  # shorter paragraphs ("Thanks.", "More soon.") may repeat on purpose
LISTING_WORDS = 40  # list items and table rows up to this long are listings, which may repeat across sections
LONG_FACTOR, LONG_MIN_WORDS, LONG_MIN_STORIES = 3, 400, 3
_SPACES = re.compile(r"(?<=\S)[^\S\n]{2,}(?=\S)")  # any two blanks in a row: spaces, no-break spaces, tabs
_DOUBLE_WORD = re.compile(r"\b([^\W\d_]+)\s+(\1)\b", re.IGNORECASE)
_SUBSCRIBE = re.compile(r"\bsubscri(?:be|ption)\b", re.IGNORECASE)
_STEMMERS = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "nl": "dutch",
             "pt": "portuguese", "sv": "swedish", "da": "danish", "no": "norwegian", "nb": "norwegian",
             "fi": "finnish", "ru": "russian", "tr": "turkish", "el": "greek", "ar": "arabic"}


def check(ctx: Context) -> Iterator[Finding]:
    """Run the editorial rules."""
    yield from _empty_and_untitled(ctx)
    yield from _repeated_paragraphs(ctx)
    yield from _typing(ctx.intro_blocks(), language(ctx.language()))
    for story in ctx.issue.stories:
        lang = language(ctx.language(story))
        blocks = ctx.blocks(story)
        yield from _subscribe_lines(ctx, blocks)
        yield from _figures([_title_block(ctx, story), *blocks], lang)
        yield from _typing(blocks, lang)
        yield from _quotes(story, blocks, lang)
    yield from _long_stories(ctx)


def _empty_and_untitled(ctx: Context) -> Iterator[Finding]:
    """Report story files without text and stories without a title."""
    loaded = {story.path: story for story in ctx.issue.stories}
    for path in ctx.story_files:
        story = loaded.get(path)
        if not "".join(ctx.lines(path)).strip():
            yield EMPTY.at(path, 1, "the story file is empty")
        elif story is not None and not story.source.strip() and story.image is None:
            yield EMPTY.at(path, ctx.title_line(story), f"“{story.title}” has a title but no text")
        if story is not None and not story.title:
            yield NO_TITLE.at(path, 1, "the story has no title")


def _repeated_paragraphs(ctx: Context) -> Iterator[Finding]:
    """Report a paragraph that repeats an earlier one; a listing repeated under another heading is a note."""
    seen: dict[str, Block] = {}
    for block in [*ctx.intro_blocks(), *(b for story in ctx.issue.stories for b in _row_blocks(ctx, story))]:
        if block.kind not in {"paragraph", "list", "row"}:
            continue
        words = block.text.split()
        if len(words) < MIN_REPEAT_WORDS:
            continue
        key = " ".join(words).casefold()
        first = seen.setdefault(key, block)
        if first is block:
            continue
        where = f"line {first.line}" if first.path == block.path else f"{first.path.name}:{first.line}"
        listing = block.kind in {"list", "row"} and len(words) <= LISTING_WORDS and first.section != block.section
        if listing:
            what = "list item" if block.kind == "list" else "table row"
            yield replace(REPEATED.in_block(block, None, f"this {what} repeats the one on {where}, under another "
                                                         "heading (fine for a listing in two sections)",
                                            "nothing to do if the item belongs in both sections"), level="info")
        else:
            yield REPEATED.in_block(block, None, f"this paragraph repeats the one on {where} word for word")


def _row_blocks(ctx: Context, story: Story) -> Iterator[Block]:
    """Yield a story's blocks with each table row's cells joined into one `row` block."""
    cells: list[Block] = []
    for block in ctx.blocks(story):
        if block.kind == "cell":
            if cells and block.line != cells[0].line:
                yield _row(cells)
                cells = []
            cells.append(block)
            continue
        if cells:
            yield _row(cells)
            cells = []
        yield block
    if cells:
        yield _row(cells)


def _row(cells: list[Block]) -> Block:
    """Return a table row's cells as one block."""
    first = cells[0]
    text = " | ".join(" ".join(c.text.split()) for c in cells)
    return Block(first.path, first.line, first.raw, text, first.token, first.story, "row", first.column,
                 first.section, first.language, first.markdown)


def _subscribe_lines(ctx: Context, blocks: list[Block]) -> Iterator[Finding]:
    """Report a line that asks readers to subscribe to this publication."""
    pub = ctx.settings.publication
    names = {pub.name.casefold()} | {urlsplit(u).hostname or "" for u in (pub.url, pub.subscribe_url) if u}
    names.discard("")
    for block in blocks:
        text = block.text.casefold()
        if _SUBSCRIBE.search(text) and any(name in text for name in names):
            yield SUBSCRIBE.in_block(block, None,
                                     f"“{_clip(block.text)}” repeats the subscribe line the footer already carries")


def _title_block(ctx: Context, story: Story) -> Block:
    """Return a story's title as a heading block at its line and column."""
    line = ctx.title_line(story)
    lines = ctx.lines(story.path)
    text = lines[line - 1] if 0 < line <= len(lines) else story.title
    at = text.find(story.title)
    return Block(story.path, line, story.title, story.title, story=story, kind="heading",
                 column=at + 1 if at >= 0 else 1, section=(story.file, 0), language=ctx.language(story),
                 markdown=False)


def _figures(blocks: list[Block], lang: Language) -> Iterator[Finding]:
    """Report one quantity given different figures in one story."""
    for block, offset, message in figures(blocks, lang, stemmer(lang.code)):
        yield FIGURES.in_block(block, offset, message)


def _typing(blocks: list[Block], lang: Language) -> Iterator[Finding]:
    """Report blanks a reader sees twice and doubled words, at their line and column."""
    for block in blocks:
        if block.kind in {"cell", "html"}:
            continue
        prose = _prose(block)
        lines: set[int] = set()
        for match in _SPACES.finditer(prose):
            if not VISIBLE_BLANKS & set(match.group()):
                continue  # plain spaces and tabs: HTML and the text version show one
            line, column = block.position(match.start())
            if line not in lines:
                lines.add(line)
                context = block.raw[max(0, match.start() - 20):match.end() + 20].replace("\n", " ")
                kinds = " and ".join(dict.fromkeys(_blank_name(c) for c in match.group()))
                yield DOUBLE_SPACE.at(block.path, line, f"{len(match.group())} blanks in a row ({kinds}) in "
                                                        f"“…{' '.join(context.split())}…”", column=column)
        for start, word in doubled_words(prose, lang):
            yield REPEATED_WORD.in_block(block, start, f"“{word} {word}”: the word is typed twice")


def doubled_words(prose: str, lang: Language) -> Iterator[tuple[int, str]]:
    """Yield (offset of the second word, word) for each word typed twice in a row, in the language's terms."""
    for match in _DOUBLE_WORD.finditer(prose):
        word, again = match.group(1), match.group(2)
        if word.casefold() in lang.doubles or (again[:1].isupper() and word[:1].isupper()):
            continue  # "she had had", "Bora Bora"
        yield match.start(2), again
    if lang.unspaced_doubles is not None:
        for match in lang.unspaced_doubles.finditer(prose):
            char = next(g for g in match.groups() if g)
            yield match.start() + 1, char


def _prose(block: Block) -> str:
    """Return a Markdown block's source with its line-start syntax and code spans blanked, offsets kept."""
    if not block.markdown:
        return block.raw
    raw = CONTAINER.sub(lambda m: " " * len(m.group()), block.raw)
    parts, done = [], 0
    for start, end in code_spans(raw):
        parts += [raw[done:start], re.sub(r"[^\n]", "0", raw[start:end])]
        done = end
    return "".join([*parts, raw[done:]])


def _quotes(story: Story, blocks: list[Block], lang: Language) -> Iterator[Finding]:
    """Report a story that mixes straight and typographic quotes, at the first quote of the rarer style."""
    counts = {"straight": 0, "typographic": 0}
    first: dict[str, tuple[Block, str]] = {}
    for block in blocks:
        if block.kind == "html" or block.token is None:
            continue
        text = "".join(c.content for c in block.token.children or () if c.type == "text")
        for style, chars in (("straight", "\"'"), ("typographic", TYPOGRAPHIC)):
            found = [(text.index(char), char) for char in chars if char in text]  # str methods, not a loop
            if found:
                counts[style] += sum(text.count(char) for _, char in found)
                first.setdefault(style, (block, min(found)[1]))
    if counts["straight"] and counts["typographic"]:
        rare = "straight" if counts["straight"] <= counts["typographic"] else "typographic"
        block, char = first[rare]
        line, column = block.locate(char)
        opening, closing, inner_open, inner_close = (q.strip() for q in lang.quotes)
        yield QUOTES.at(story.path, line,
                        f"{counts['straight']} straight and {counts['typographic']} typographic quotes in one "
                        f"story; the first {rare} one ({char}) is here",
                        f"use one style throughout: {opening}…{closing} and {inner_open}…{inner_close} in this "
                        "language (`newsletter check --fix` converts straight quotes)", column)


def _long_stories(ctx: Context) -> Iterator[Finding]:
    """Report a story more than three times the median length of the others, with reading times."""
    stories = ctx.issue.stories
    if len(stories) < LONG_MIN_STORIES:
        return
    counted = [count_words(s.source, ctx.language(s)) for s in stories]  # once per story
    ordered = sorted(words for words, _ in counted)
    total = math.ceil(sum(minutes for _, minutes in counted) - 1e-9)
    for story, (words, minutes) in zip(stories, counted, strict=True):
        median = _median_without(ordered, words)
        if words >= LONG_MIN_WORDS and words > LONG_FACTOR * median:
            yield LONG.at(story.path, ctx.title_line(story),
                          f"{words} words (about {math.ceil(minutes)} min to read), more than "
                          f"{LONG_FACTOR}× the other stories' median of {median:g}; the issue takes about "
                          f"{total} min")


def _median_without(ordered: list[int], value: int) -> float:
    """Return the median of a sorted list with one occurrence of value left out, without copying it."""
    at = bisect.bisect_left(ordered, value)
    size = len(ordered) - 1

    def nth(index: int) -> int:
        return ordered[index if index < at else index + 1]

    middle = size // 2
    return float(nth(middle)) if size % 2 else (nth(middle - 1) + nth(middle)) / 2


def _blank_name(char: str) -> str:
    """Return a readable name for a blank character."""
    import unicodedata

    return "space" if char == " " else "tab" if char == "\t" else unicodedata.name(char, "blank").lower()


def _clip(text: str, width: int = 60) -> str:
    """Return text shortened to width characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


@functools.cache
def stemmer(language: str) -> Callable[[str], str]:
    """Return a Snowball stemmer for the publication's language, or lower-casing for unknown ones."""
    import snowballstemmer

    name = _STEMMERS.get(base(language))
    if name is None:
        return str.casefold
    return snowballstemmer.stemmer(name).stemWord
