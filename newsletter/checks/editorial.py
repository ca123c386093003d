"""Editorial rules: repeats, pasted footers, figures that disagree, typing slips, empty and overlong stories."""

from __future__ import annotations

import functools
import re
import statistics
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsletter.checks import Finding, Rule
from newsletter.checks.context import Block, Context, reading_minutes

if TYPE_CHECKING:
    from newsletter.model import Story

REPEATED = Rule("editorial/repeated-paragraph", "error", "a paragraph appears twice in the issue",
                "delete one of the two copies")
SUBSCRIBE = Rule("editorial/own-subscribe-line", "warning", "a story carries the publication's subscribe line",
                 "delete the line: the footer with the subscribe link is added to every issue")
FIGURES = Rule("editorial/conflicting-figures", "warning", "one quantity is given two different figures",
               "check which figure is right and use it in both places")
DOUBLE_SPACE = Rule("editorial/double-space", "warning", "two or more spaces between words",
                    "replace the spaces with one")
REPEATED_WORD = Rule("editorial/repeated-word", "warning", "a word typed twice in a row", "delete the repeat")
QUOTES = Rule("editorial/mixed-quotes", "warning", "straight and curly quotes mixed in one story",
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
LONG_FACTOR, LONG_MIN_WORDS, LONG_MIN_STORIES = 3, 400, 3
ALLOWED_DOUBLES = {"had", "that"}  # "she had had enough", "that that is"
_SPACES = re.compile(r"(?<=\S)[^\S\n]{2,}(?=\S)")  # any two blanks in a row: spaces, no-break spaces, tabs
_DOUBLE_WORD = re.compile(r"\b([^\W\d_]+)\s+(\1)\b", re.IGNORECASE)
# Markdown syntax at a line's start (quote marks, list markers, heading marks, indentation), not typing.
_CONTAINER = re.compile(r"^[ \t]*(?:(?:>|(?:[-+*]|\d{1,9}[.)]|#{1,6})(?=[ \t]))[ \t]*)*", re.MULTILINE)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_SUBSCRIBE = re.compile(r"\bsubscri(?:be|ption)\b", re.IGNORECASE)
_TOKEN = re.compile(r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)|(?P<word>[^\W\d_][\w'’-]*)"
                    r"|(?P<stop>[.;:!?,()\[\]])")
_STOPWORDS = frozenset(
    ["a", "an", "the", "at", "least", "most", "about", "around", "nearly", "almost", "some", "over", "under", "more",
     "than", "of", "and", "or", "to", "by", "with", "only", "just", "roughly", "approximately", "up", "as",
     "another", "further", "fewer", "less"])
_DATES = frozenset(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "monday",
     "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
_DETACHED = frozenset(  # after these a number is a time or rate, not a count of something
    ["every", "per", "each", "in", "on", "for", "from", "after", "before", "within", "since", "between", "until",
     "during", "aged", "age", "number", "no", "page", "chapter", "room", "route", "line"])
_STEMMERS = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "nl": "dutch",
             "pt": "portuguese", "sv": "swedish", "da": "danish", "no": "norwegian", "fi": "finnish"}
MAX_SKIP = 3  # stop words allowed between a number and the word it is attached to


def check(ctx: Context) -> Iterator[Finding]:
    """Run the editorial rules."""
    yield from _empty_and_untitled(ctx)
    yield from _repeated_paragraphs(ctx)
    stem = stemmer(ctx.settings.publication.language)
    for story in ctx.issue.stories:
        blocks = ctx.blocks(story)
        yield from _subscribe_lines(ctx, blocks)
        title = Block(story.path, ctx.title_line(story), story.title, story.title, story=story, kind="heading")
        yield from _figures([title, *blocks], stem)
        yield from _typing(blocks)
        yield from _quotes(story, blocks)
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
    """Report a paragraph that repeats an earlier one, in the same story or anywhere in the issue."""
    seen: dict[str, Block] = {}
    for block in ctx.all_blocks():
        if block.kind not in {"paragraph", "list"}:
            continue
        words = block.text.split()
        if len(words) < MIN_REPEAT_WORDS:
            continue
        key = " ".join(words).casefold()
        first = seen.setdefault(key, block)
        if first is block:
            continue
        where = f"line {first.line}" if first.path == block.path else f"{first.path.name}:{first.line}"
        yield REPEATED.at(block.path, block.line, f"this paragraph repeats the one on {where} word for word")


def _subscribe_lines(ctx: Context, blocks: list[Block]) -> Iterator[Finding]:
    """Report a line that asks readers to subscribe to this publication."""
    pub = ctx.settings.publication
    names = {pub.name.casefold()} | {urlsplit(u).hostname or "" for u in (pub.url, pub.subscribe_url) if u}
    names.discard("")
    for block in blocks:
        text = block.text.casefold()
        if _SUBSCRIBE.search(text) and any(name in text for name in names):
            yield SUBSCRIBE.at(block.path, block.line,
                               f"“{_clip(block.text)}” repeats the subscribe line the footer already carries")


def _figures(blocks: list[Block], stem: Callable[[str], str]) -> Iterator[Finding]:
    """Report one quantity (same words either side, stemmed) given different numbers in one story."""
    seen: dict[tuple[str, str], tuple[str, str, int]] = {}
    reported: set[tuple[tuple[str, str], str]] = set()
    for block in blocks:
        for value, before, after, number in _numbers(block.text):
            key = (stem(before.casefold()), stem(after.casefold()))
            phrase = f"{before} {number} {after}"
            line = block.line_of(number)
            first = seen.setdefault(key, (value, phrase, line))
            if first[0] == value or (key, value) in reported:
                continue
            reported.add((key, value))
            where = "on the same line" if first[2] == line else f"on line {first[2]}"
            yield FIGURES.at(block.path, line, f"“{phrase}” here, but “{first[1]}” {where}")


def _numbers(text: str) -> Iterator[tuple[str, str, str, str]]:
    """Yield (value, word before, word after, number as written) for each number attached to words."""
    tokens = [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(text)]
    for i, (kind, number) in enumerate(tokens):
        if kind != "num":
            continue
        value = number.replace(",", "")
        if re.fullmatch(r"1[89]\d\d|20\d\d", value):
            continue  # a year
        before, after = _neighbour(tokens, i, -1), _neighbour(tokens, i, 1)
        if before and after and not {before.casefold(), after.casefold()} & _DATES \
                and before.casefold() not in _DETACHED:
            yield value, before, after, number


def _neighbour(tokens: list[tuple[str, str]], index: int, step: int) -> str:
    """Return the nearest word on one side of a number, skipping a few stop words, or ''."""
    j = index + step
    for _ in range(MAX_SKIP + 1):
        if not 0 <= j < len(tokens) or tokens[j][0] != "word":
            return ""
        if tokens[j][1].casefold() not in _STOPWORDS:
            return tokens[j][1]
        j += step
    return ""


def _typing(blocks: list[Block]) -> Iterator[Finding]:
    """Report double spaces and doubled words, at the line they are on."""
    for block in blocks:
        if block.kind in {"cell", "html"}:
            continue
        prose = _prose(block)
        lines: set[int] = set()
        for match in _SPACES.finditer(prose):
            line = block.line + block.raw.count("\n", 0, match.start())
            if line not in lines:
                lines.add(line)
                context = block.raw[max(0, match.start() - 20):match.end() + 20].replace("\n", " ")
                kinds = " and ".join(dict.fromkeys(_blank_name(c) for c in match.group()))
                yield DOUBLE_SPACE.at(block.path, line, f"{len(match.group())} blanks in a row ({kinds}) in "
                                                        f"“…{' '.join(context.split())}…”")
        for match in _DOUBLE_WORD.finditer(prose):
            if match.group(1).casefold() in ALLOWED_DOUBLES:
                continue
            line = block.line + block.raw.count("\n", 0, match.start(2))
            yield REPEATED_WORD.at(block.path, line, f"“{match.group(0)}”: the word is typed twice")


def _prose(block: Block) -> str:
    """Return a Markdown block's source with its line-start syntax and code spans blanked, offsets kept."""
    if block.path.suffix != ".md":
        return block.raw
    raw = _CONTAINER.sub(lambda m: " " * len(m.group()), block.raw)
    return _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", "0", m.group()), raw)


def _quotes(story: Story, blocks: list[Block]) -> Iterator[Finding]:
    """Report a story that mixes straight and curly quotes, at the first quote of the rarer style."""
    counts = {"straight": 0, "curly": 0}
    first: dict[str, tuple[Block, str]] = {}
    for block in blocks:
        if block.kind == "html" or block.token is None:
            continue
        text = "".join(c.content for c in block.token.children or () if c.type == "text")
        for char in text:
            style = "straight" if char in "\"'" else "curly" if char in "“”‘’" else ""
            if style:
                counts[style] += 1
                first.setdefault(style, (block, char))
    if counts["straight"] and counts["curly"]:
        rare = "straight" if counts["straight"] <= counts["curly"] else "curly"
        block, char = first[rare]
        yield QUOTES.at(story.path, block.line_of(char),
                        f"{counts['straight']} straight and {counts['curly']} curly quotes in one story; "
                        f"the first {rare} one ({char}) is here")


def _long_stories(ctx: Context) -> Iterator[Finding]:
    """Report a story more than three times the median length of the others, with reading times."""
    stories = ctx.issue.stories
    if len(stories) < LONG_MIN_STORIES:
        return
    total = reading_minutes(sum(s.words for s in stories))
    for story in stories:
        median = statistics.median(s.words for s in stories if s is not story)
        if story.words >= LONG_MIN_WORDS and story.words > LONG_FACTOR * median:
            yield LONG.at(story.path, ctx.title_line(story),
                          f"{story.words} words (about {reading_minutes(story.words)} min to read), more than "
                          f"{LONG_FACTOR}× the other stories' median of {median:g}; the issue takes about "
                          f"{total} min")


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

    name = _STEMMERS.get(language.split("-", maxsplit=1)[0].casefold())
    if name is None:
        return str.casefold
    return snowballstemmer.stemmer(name).stemWord
