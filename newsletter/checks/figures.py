"""`editorial/conflicting-figures`: one quantity of one thing given two figures in a story, read in its language.

Only figures in the text a reader reads count: URLs, e-mail addresses, code, HTML and merge tags are blanked
first; versions (`1.2.3`, `v2`), ranges, identifiers (`COVID-19`, `Python 3.12`), dates (`1er mars`,
`23. März`, `March 22`) and times (`8pm`, `20 h`) are not quantities. Two figures pair when the words either
side agree (stemmed) and the two sentences are about the same thing: they share another word, neither says
the figure changed, and they are not set in different times. List items and table cells are separate facts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from newsletter.checks.context import Block, hidden_spans
from newsletter.checks.language import Language, parse_figure

_DIGIT = re.compile(r"\d")

MAX_SKIP = 3  # stop words allowed between a figure and the word it is attached to
_STOPWORDS = frozenset(
    ["a", "an", "the", "at", "least", "most", "about", "around", "nearly", "almost", "some", "over", "under", "more",
     "than", "of", "and", "or", "to", "by", "with", "only", "just", "roughly", "approximately", "up", "as",
     "another", "further", "fewer", "less", "mindestens", "etwa", "rund", "über", "fast", "knapp", "und", "die",
     "der", "das", "au", "moins", "environ", "près", "de", "des", "plus", "et", "les", "unos", "unas", "casi",
     "más", "y", "los", "las"])
_SENTENCE_END = frozenset(".!?。！？;")
_INLINE_TAG = re.compile(r"</?(?:b|i|em|strong|span|u|small|mark|sup|sub|font)\b[^>]*>", re.IGNORECASE)
# Words that start a sentence without naming anyone.
_OPENERS = frozenset(["the", "a", "an", "in", "on", "at", "this", "that", "these", "those", "it", "its", "we", "our",
                      "they", "their", "he", "she", "his", "her", "there", "but", "and", "however", "after",
                      "before", "for", "of", "to", "by", "with", "from", "as", "so", "then", "now", "also", "some",
                      "all", "both", "each", "every", "one", "two", "three", "about", "around", "over", "nearly",
                      "since", "until", "when", "while", "if", "last", "next", "this", "der", "die", "das", "le",
                      "la", "les", "el", "los"])


@dataclass(frozen=True)
class _Figure:
    """A figure attached to words, with the sentence it is in."""

    value: float
    number: str
    before: str
    after: str
    offset: int
    context: frozenset[str]  # stems of the sentence's other words
    times: frozenset[str]  # the sentence's years, dates and time words
    changing: bool  # the sentence says the figure changed or compares it
    phrase: frozenset[str]  # stems of the noun phrase the figure counts ("million dollars")
    names: frozenset[str] | None  # the sentence's capitalised names; None in a heading (all capitals)


@dataclass(frozen=True)
class _Seen:
    """An earlier figure and where it is."""

    figure: _Figure
    block: Block
    line: int


def figures(blocks: list[Block], lang: Language, stem: Callable[[str], str]) -> Iterator[tuple[Block, int, str]]:
    """Yield (block, offset, message) for each figure that disagrees with an earlier one of the same quantity."""
    seen: dict[tuple[str, str], list[_Seen]] = {}
    reported: set[tuple[tuple[str, str], float]] = set()
    for block in blocks:
        for figure in _figures(block, lang, stem):
            key = (stem(figure.before.casefold()), stem(figure.after.casefold()))
            line = block.position(figure.offset)[0]
            earlier = seen.setdefault(key, [])
            match = next((s for s in earlier if _conflict(s, figure, block, key)), None)
            earlier.append(_Seen(figure, block, line))
            if match is None or (key, figure.value) in reported:
                continue
            reported.add((key, figure.value))
            first = match.figure
            where = "on the same line" if match.line == line and match.block.path == block.path else \
                f"on line {match.line}"
            yield block, figure.offset, (f"“{figure.before} {figure.number} {figure.after}” here, but "
                                         f"“{first.before} {first.number} {first.after}” {where}")


def _conflict(seen: _Seen, figure: _Figure, block: Block, key: tuple[str, str]) -> bool:
    """Return True when two figures of one quantity disagree and their sentences are about the same fact."""
    first = seen.figure
    if first.value == figure.value:
        return False
    if seen.block is not block and {seen.block.kind, block.kind} & {"list", "cell"}:
        return False  # items of a listing are separate facts
    if first.changing or figure.changing:
        return False
    if first.times and figure.times and first.times != figure.times:
        return False
    if first.names and figure.names and not first.names & figure.names:
        return False  # "Acme hired 12 people" and "Globex hired 30 people": two subjects, two facts
    return bool((first.context & figure.context) - set(key) - first.phrase - figure.phrase)


def blank(block: Block) -> str:
    """Return the block's source with what readers do not read as prose blanked, offsets kept.

    Inline formatting tags and entities become spaces; anything else (a link's target, code, a URL, a tag
    between two links) becomes a stop, so the words either side are not read as one phrase.
    """
    raw = block.raw
    parts, done = [], 0
    for start, end in hidden_spans(raw, block.markdown):
        piece = raw[start:end]
        blanks = re.sub(r"[^\n]", " ", piece)
        if not _INLINE_TAG.fullmatch(piece) and not piece.startswith("&"):
            blanks = "|" + blanks[1:]
        parts += [raw[done:start], blanks]
        done = end
    return "".join([*parts, raw[done:]])


def _tokens(text: str, lang: Language) -> list[tuple[str, str, int]]:
    """Return (kind, text, offset) tokens: figures in the language's notation, words and stops."""
    pattern = _token_pattern(lang.group, lang.decimal)
    return [(m.lastgroup or "", m.group(), m.start()) for m in pattern.finditer(text) if m.lastgroup != "skip"]


@functools.lru_cache(maxsize=32)
def _token_pattern(group: str, decimal: str) -> re.Pattern[str]:
    """Return the token pattern for a language's digit grouping and decimal marks."""
    groups, dec = re.escape(group), re.escape(decimal)
    figure = (rf"(?<![\w.,:/#@’'-])(?:\d{{1,3}}(?:[{groups}]\d{{3}})+|\d+)(?:{dec}\d+)?"
              rf"(?![^\W_]|[.,:’'/]\d|-\w)")
    return re.compile(rf"(?P<num>{figure})|(?P<word>[^\W\d_][\w'’.-]*[^\W_]|[^\W\d_])"
                      r"|(?P<stop>[.;:!?,()|。！？；：，])|(?P<skip>\d[\w.,:-]*)")


def _figures(block: Block, lang: Language, stem: Callable[[str], str]) -> Iterator[_Figure]:
    """Yield the figures of a block that count something named by the words around them."""
    if not _DIGIT.search(block.raw):
        return  # no figure to find (most blocks of prose)
    text = blank(block)
    if not _DIGIT.search(text):
        return  # digits only in what readers do not read: link targets, code, addresses
    tokens = _tokens(text, lang)
    sentences = _sentences(tokens, lang, stem)
    words = [t[1] for t in tokens if t[0] == "word" and len(t[1]) > 3]
    heading = block.kind == "heading" or (bool(words) and sum(w[0].isupper() for w in words) >= 0.6 * len(words))
    for i, (kind, number, offset) in enumerate(tokens):
        if kind != "num":
            continue
        value = parse_figure(number, lang)
        if value is None or (value.is_integer() and 1800 <= value <= 2099 and len(number) == 4):
            continue  # a year
        if _is_date_or_time(tokens, i, lang) or (not heading and _after_name(tokens, i)):
            continue
        before, after = _neighbour(tokens, i, -1), _neighbour(tokens, i, 1)
        if not before or not after or before.casefold() in lang.detached:
            continue
        context, times, changing, names = sentences[i]
        phrase = frozenset(stem(t[1].casefold()) for t in tokens[i + 1:i + 1 + MAX_SKIP] if t[0] == "word")
        yield _Figure(value, number, before, after, offset, context, times, changing, phrase,
                      None if heading else names)


def _sentences(tokens: list[tuple[str, str, int]], lang: Language,
               stem: Callable[[str], str]) -> dict[int, tuple[frozenset[str], frozenset[str], bool, frozenset[str]]]:
    """Return, for each figure token, its sentence's content stems, time words, talk of change and names."""
    out: dict[int, tuple[frozenset[str], frozenset[str], bool, frozenset[str]]] = {}
    start = 0
    for end in [*(i for i, t in enumerate(tokens) if t[0] == "stop" and t[1] in _SENTENCE_END), len(tokens)]:
        written = [t[1] for t in tokens[start:end] if t[0] == "word"]
        words = [w.casefold() for w in written]
        names = frozenset(w for w in written if w[:1].isupper() and w.casefold() not in _OPENERS
                          and w.casefold() not in lang.dates)
        years = {t[1] for t in tokens[start:end] if t[0] == "num" and re.fullmatch(r"1[89]\d\d|20\d\d", t[1])}
        context = frozenset(stem(w) for w in words if w not in _STOPWORDS and w not in lang.dates)
        times = frozenset({w for w in words if w in lang.dates} | years)
        changing = any(w in lang.change for w in words)
        for i in range(start, end):
            if tokens[i][0] == "num":
                out[i] = (context, times, changing, names)
        start = end + 1
    return out


def _is_date_or_time(tokens: list[tuple[str, str, int]], index: int, lang: Language) -> bool:
    """Return True for a day of a month ("22 March", "23. März", "March 22") or a time ("8 pm", "20 h")."""
    near = []
    for step in (-1, 1, 2):
        j = index + step
        if 0 <= j < len(tokens):
            near.append((step, tokens[j]))
    for step, (kind, text, _) in near:
        word = text.casefold().rstrip(".")
        if kind != "word":
            continue
        if word in lang.dates and (step != 2 or tokens[index + 1][1] == "."):
            return True
        if step == 1 and word in lang.time_words:
            return True
    return False


def _after_name(tokens: list[tuple[str, str, int]], index: int) -> bool:
    """Return True when a capitalised word inside a sentence names the figure ("Python 3.12", "Route 66")."""
    if index < 2 or tokens[index - 1][0] != "word":
        return False
    word = tokens[index - 1][1]
    sentence_start = tokens[index - 2][0] == "stop" and tokens[index - 2][1] in _SENTENCE_END
    return word[:1].isupper() and not sentence_start


def _neighbour(tokens: list[tuple[str, str, int]], index: int, step: int) -> str:
    """Return the nearest word on one side of a figure, skipping a few stop words, or ''."""
    j = index + step
    for _ in range(MAX_SKIP + 1):
        if not 0 <= j < len(tokens) or tokens[j][0] != "word":
            return ""
        if tokens[j][1].casefold() not in _STOPWORDS:
            return tokens[j][1]
        j += step
    return ""
