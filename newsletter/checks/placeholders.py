"""Placeholder rules: text `init` and `new` wrote for the editor to replace, and the marks writers leave (TODO, TK)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter import scaffold
from newsletter.checks import Finding, Rule
from newsletter.checks.context import Block, Context
from newsletter.checks.mergetags import _around

if TYPE_CHECKING:
    from markdown_it.token import Token

PLACEHOLDER = Rule("editorial/placeholder", "error", "placeholder text left in: scaffold text, TODO, TK, XXX, "
                   "lorem ipsum, [link], a link to LINK_HERE", "write the real text, or delete the placeholder")
RULES = (PLACEHOLDER,)

# Writers' marks, matched case-sensitively as whole words (TKTK and XXXX too), outside code.
_MARKS = re.compile(r"(?<![\w-])(?P<mark>TODO|FIXME|(?:TK)+|X{3,})(?![\w-])")
_MEANING = {"TODO": "a note left for later", "FIXME": "a note left for later", "TK": "journalists' “to come”",
            "XXX": "a placeholder"}
_DUMMY = re.compile(r"\blorem\s+ipsum\b|\bdolor\s+sit\s+amet\b", re.IGNORECASE)
_LINK_WORD = re.compile(r"[\[(]\s*(?:link|url|link here|insert link|add link)\s*[\])]", re.IGNORECASE)
_CAPS_NAME = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w-])")  # LINK_HERE, INSERT_URL
_TARGET_WORDS = {"link", "url", "here", "tk", "tktk", "todo", "xxx", "tbd", "insert link", "link here"}
_HTML_CODE = re.compile(r"<(pre|code|script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_HREF = re.compile(r"""\bhref\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[^\W\d_]+")


def check(ctx: Context) -> Iterator[Finding]:
    """Report every placeholder in the publication's settings, issue.toml and the stories."""
    yield from _settings(ctx)
    issue = ctx.issue
    for key, value in (("subject", issue.subject), ("preheader", issue.preheader)):
        yield from _in_text(ctx.meta_path, ctx.meta_line(key), value, f"the {key}")
    for block in ctx.intro_blocks():
        yield from _in_block(block, "the intro")
    for story in issue.stories:
        yield from _in_text(story.path, ctx.title_line(story), story.title, "the title")
        if story.byline.strip() == scaffold.NEW_STORY["byline"]:
            yield PLACEHOLDER.at(story.path, ctx.front_line(story, "byline"),
                                 f"the byline “{story.byline}” is the placeholder `newsletter new` wrote",
                                 "write who wrote the story, or delete the byline line")
        elif story.byline:
            yield from _in_text(story.path, ctx.front_line(story, "byline"), story.byline, "the byline")
        for block in ctx.blocks(story):
            yield from _in_block(block, "")


def _settings(ctx: Context) -> Iterator[Finding]:
    """Report what `init` wrote into newsletter.toml for the editor to replace: every issue carries it."""
    pub = ctx.settings.publication
    if pub.postal_address.strip() == scaffold.POSTAL_PLACEHOLDER:
        yield PLACEHOLDER.at(ctx.config_path, ctx.config_line("publication", "postal_address"),
                             f"postal_address is still “{scaffold.POSTAL_PLACEHOLDER}”, the placeholder "
                             "`newsletter init` wrote", "write the publication's real postal address: the law "
                             "(CAN-SPAM, and the EU's rules on commercial email) requires one in every issue")
    site = scaffold.EXAMPLE_SITE
    examples = [key for key in ("url", "subscribe_url", "unsubscribe_url", "preferences_url")
                if getattr(pub, key) == site or getattr(pub, key).startswith(site + "/")]
    examples += [key for key in ("from_email", "reply_to") if getattr(pub, key) == scaffold.EXAMPLE_SENDER]
    if examples:
        yield PLACEHOLDER.at(ctx.config_path, ctx.config_line("publication", examples[0]),
                             f"{', '.join(examples)} {'is' if len(examples) == 1 else 'are'} still "
                             f"{'the example.org address' if len(examples) == 1 else 'example.org addresses'} "
                             "`newsletter init` wrote, which reach nobody",
                             "write your own addresses: where the archive lives, the subscribe and unsubscribe "
                             "pages, and the address the newsletter is sent from")


def _in_text(path: Path, line: int | None, text: str, what: str) -> Iterator[Finding]:
    """Report placeholders in one line of text (a subject, a title, a byline)."""
    for message, fix, _ in _findings(text, what):
        yield PLACEHOLDER.at(path, line, message, fix)


def _in_block(block: Block, what: str) -> Iterator[Finding]:
    """Report placeholders in a block of a story or the intro: its prose, outside code, and its links."""
    token = block.token
    if block.kind == "html":
        prose = _HTML_TAG.sub(" ", _HTML_CODE.sub(" ", block.raw))
        links = [("", href) for href in _HTML_HREF.findall(_HTML_CODE.sub(" ", block.raw))]
    else:
        prose, links = _prose(token.children if token is not None and token.children else None, block.text)
    raw = " ".join(block.text.split())
    for message, fix, needle in _findings(prose, what, raw):
        yield PLACEHOLDER.at(block.path, block.line_of(needle), message, fix)
    for text, href in links:
        if _placeholder_target(href):
            shown = f"the link “{text}”" if text else "a link"
            yield PLACEHOLDER.at(block.path, block.line_of(href), f"{shown} points at {href!r}, a placeholder",
                                 "put the real address in: [words](https://…)")


def _prose(children: list[Token] | None, content: str) -> tuple[str, list[tuple[str, str]]]:
    """Return an inline token's text without code spans, and its links as (text, href)."""
    if children is None:
        return content, []
    words: list[str] = []
    links: list[tuple[str, str]] = []
    open_link: list[str] | None = None
    href = ""
    for child in children:
        if child.type == "link_open":
            open_link, href = [], str(child.attrGet("href") or "")
        elif child.type == "link_close" and open_link is not None:
            links.append(("".join(open_link), href))
            open_link = None
        elif child.type in {"text", "softbreak", "hardbreak"}:
            piece = child.content if child.type == "text" else " "
            words.append(piece)
            if open_link is not None:
                open_link.append(piece)
        elif child.type == "code_inline":
            words.append(" ")  # code explains software: a TODO there is not a note to the editor
    return "".join(words), links


def _findings(prose: str, what: str, raw: str | None = None) -> Iterator[tuple[str, str, str]]:
    """Yield (message, fix, text to locate) for each kind of placeholder in prose (raw: the block's source)."""
    source = " ".join((raw if raw is not None else prose).split())
    where = f" in {what}" if what else ""
    for pattern, command in _scaffold_patterns():
        match = pattern.search(source)
        if match:
            yield (f"“{_short(match.group(0))}”{where} is placeholder text `newsletter {command}` wrote",
                   "replace it with your own text, or delete it", match.group(0).split()[0])
            return  # the rest of a scaffold paragraph is scaffold too
    seen: set[str] = set()
    for match in _MARKS.finditer(prose):
        mark = match.group("mark")
        kind = "TK" if mark.startswith("TK") else "XXX" if mark.startswith("X") else mark
        if kind in seen or _reads_as_a_word(prose, match, kind):
            continue
        seen.add(kind)
        yield (f"{mark}{where} (“{' '.join(_around(prose, match).split())}”) is {_MEANING[kind]}",
               f"write what the {mark} stands for, then delete it", mark)
    dummy = _DUMMY.search(prose)
    if dummy:
        yield (f"“{dummy.group(0)}”{where} is dummy text", "write the real text", dummy.group(0).split()[0])
    names = [m.group(0) for m in _CAPS_NAME.finditer(prose) if _link_name(m.group(0))]
    for shown in [m.group(0) for m in _LINK_WORD.finditer(prose)][:1] + names[:1]:
        yield (f"“{shown}”{where} marks a link still to add", "add the link: [words](https://…)", shown)


def _reads_as_a_word(prose: str, match: re.Match[str], kind: str) -> bool:
    """Return True when a TODO, TK or XXX is ordinary text: in a capitals headline, a name or a numeral."""
    words = [w for w in _WORD.findall(prose) if not _MARKS.fullmatch(w)]
    if len(words) >= 2 and sum(w.isupper() for w in words) >= 0.6 * len(words):
        return True  # "TODO INCLUIDO", "TK MAXX OPENS": a headline set in capitals
    before, after = prose[:match.start()], prose[match.end():]
    if kind == "TK" and match.group("mark") == "TK" and re.match(r" [A-Z][a-z]", after):
        return True  # "TK Maxx", "TK Elevator": a name
    # "Super Bowl XXX", "Pope Leo XXX": a Roman numeral after a name (not after a sentence's first word)
    return match.group("mark") == "XXX" and bool(re.search(r"[^\s.!?]\s+[A-Z][\w-]* $", before))


def _link_name(name: str) -> bool:
    """Return True for an ALL_CAPS name that stands for a link (LINK_HERE, INSERT_URL), not a setting's name."""
    parts = name.split("_")
    return "HERE" in parts or parts[0] in {"LINK", "URL"} or (
        parts[0] in {"INSERT", "ADD", "PUT", "PASTE", "YOUR"} and bool({"LINK", "URL"} & set(parts)))


def _placeholder_target(href: str) -> bool:
    """Return True for a link target that is a placeholder: `link`, `TK`, `#url`, `LINK_HERE`."""
    target = href.strip().removeprefix("#")
    return target.casefold() in _TARGET_WORDS or bool(_CAPS_NAME.fullmatch(target)) or \
        bool(re.fullmatch(r"https?://(?:LINK|URL|TK|TODO|XXX)\S*", target))


@functools.cache
def _scaffold_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Return a pattern for each text `init` and `new` write (any whitespace, any slug), and the command."""
    found = []
    for text, command in scaffold.placeholder_texts().items():
        parts = [r"\s+".join(map(re.escape, part.split())) for part in text.split("{slug}")]
        found.append((re.compile(r"\S+".join(parts), re.IGNORECASE), command))
    return tuple(found)


def _short(text: str, width: int = 60) -> str:
    """Return text on one line, cut to width."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"
