"""Merge-tag rules: misspelt neutral tags, unsafe tags in link targets, and text a platform reads as its syntax."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter import markdown
from newsletter.checks import Finding, Rule
from newsletter.checks.context import Context
from newsletter.content import peek
from newsletter.files import string_line
from newsletter.mergetags import MARKED, OPEN, TAGS, URL_TAGS, WRITTEN, escaped, marked_url_ok, url_scheme_ok

if TYPE_CHECKING:
    from markdown_it.token import Token

UNKNOWN = Rule("mergetags/unknown", "error", "a {{ tag }} that is not a neutral merge tag",
               f"use one of {', '.join(TAGS)}, such as {{{{ first_name | default: \"there\" }}}}")
PLATFORM = Rule("mergetags/platform-syntax", "warning", "literal text a mailing platform reads as its own syntax",
                "write the neutral tag if you meant one; otherwise rephrase, or check the export shows it as text")
UNSAFE = Rule("mergetags/unsafe-url", "error", "a merge tag that could turn a link or image address into an unsafe one",
              "fallbacks are text: write the address itself (https://…) and put the tag after it, or in the link text")
RULES = (UNKNOWN, PLATFORM, UNSAFE)

# (pattern, platforms that would parse it). Each pattern stops at its own opening characters, so a long run
# of openings without a close ("%%{%%{…", "[firstname,[firstname,…") costs linear time, not quadratic.
SYNTAX = (
    (re.compile(r"\*\|[A-Z0-9_:]+\|\*"), "Mailchimp merge tag"),
    (re.compile(r"%%\{[^{}]*\}%%"), "Ghost merge tag"),
    (re.compile(r"<%[^%]*%>"), "SendGrid substitution tag"),
    (re.compile(r"%(?:recipient|unsubscribe|tag_unsubscribe|mailing_list)[a-z0-9_.]*%"), "Mailgun variable"),
    (re.compile(r"\[(?:firstname|lastname|fullname|email)(?:,[^\]\[]*)?\](?!\()", re.IGNORECASE),
     "Campaign Monitor tag"),
    (re.compile(r"</?(?:unsubscribe|webversion|preferences|forwardtoafriend)>", re.IGNORECASE),
     "Campaign Monitor tag"),
    (re.compile(r"\{\{|\}\}|\{%|%\}"), "template syntax that Kit, Buttondown, Brevo, SendGrid, Postmark, SES "
                                       "and listmonk parse"),
)
NEUTRAL = {"fname": "first_name", "firstname": "first_name", "first_name": "first_name", "first": "first_name",
           "unsub": "unsubscribe_url", "unsubscribe": "unsubscribe_url", "unsubscribe_url": "unsubscribe_url",
           "email": "email", "email_address": "email", "archive": "web_url", "webversion": "web_url",
           "update_profile": "preferences_url", "preferences": "preferences_url"}


def check(ctx: Context) -> Iterator[Finding]:
    """Scan issue.toml's texts and every story file line by line for merge-tag slips, and link targets for tags."""
    intro_line = None
    for key in ("subject", "preheader", "intro"):
        value = peek(ctx.issue.path, key)
        line = ctx.meta_line(key)
        if not isinstance(value, str) or line is None:
            continue
        first = string_line("\n".join(ctx.lines(ctx.meta_path)), key)  # after a triple quote
        literal = _literal(value, first) if key == "intro" else {}
        intro_line = first if key == "intro" else intro_line
        for offset, text in enumerate(value.split("\n")):
            yield from _line(ctx.meta_path, first + offset, text, literal.get(first + offset, set()))
    stories = {story.path: story for story in ctx.issue.stories}
    for path in ctx.story_files:
        story = stories.get(path)
        literal = _literal(story.source, story.body_line) if story and path.suffix.lower() == ".md" else {}
        for number, line in enumerate(ctx.lines(path), start=1):
            yield from _line(path, number, line, literal.get(number, set()))
    if intro_line is not None:
        yield from _unsafe(ctx.issue.intro_tokens, ctx.meta_path, intro_line, ctx.issue.intro_source)
    for story in ctx.issue.stories:
        yield from _unsafe(story.tokens, story.path, story.body_line, story.source)


def _literal(source: str, first_line: int) -> dict[int, set[int]]:
    """Return, per file line, the columns where a `{{ tag }}` inside code starts (it is text, not a tag)."""
    found: dict[int, set[int]] = {}
    for offset in markdown.literal_tags(source):
        line = first_line + source.count("\n", 0, offset)
        found.setdefault(line, set()).add(offset - source.rfind("\n", 0, offset) - 1)
    return found


_ATTRIBUTE = re.compile(r"""\b(?:href|src)\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE)


def _unsafe(tokens: Iterable[Token], path: Path, first_line: int, source: str) -> Iterator[Finding]:
    """Report link and image addresses whose merge tags could make them unsafe once filled."""
    for token, line in markdown.walk(list(tokens)):
        if token.type in {"html_inline", "html_block"}:
            urls = [unescape(m.group(1)[1:-1]) for m in _ATTRIBUTE.finditer(token.content)]
        else:
            urls = [str(v) for k, v in (token.attrs or {}).items() if k in {"href", "src"}]
        for url in urls:
            if OPEN in url and not marked_url_ok(url):
                yield UNSAFE.at(path, _tag_line(source, first_line, line, url), _unsafe_message(url))


def _tag_line(source: str, first_line: int, block: int | None, url: str) -> int | None:
    """Return the file line of the block's first line that writes one of the URL's tags."""
    if block is None:
        return None
    names = [m.group(1) for m in MARKED.finditer(url)]
    for offset, row in enumerate(source.split("\n")[block:]):
        if "{{" in row and any(name in row for name in names):
            return first_line + block + offset
    return first_line + block


def _unsafe_message(url: str) -> str:
    """Say why an address with merge tags is unsafe."""
    for match in MARKED.finditer(url):
        name, fallback = match.group(1), match.group(2) or ""
        if fallback and not url_scheme_ok(fallback):
            return (f"the fallback “{fallback}” of {{{{ {name} }}}} is inside a link or image address, where it "
                    "would become an unsafe link (only https, http, mailto and tel are allowed)")
    first = next((m.group(1) for m in MARKED.finditer(url) if m.group(1) not in URL_TAGS), None)
    if first is None:
        return "the text before the merge tag makes this address unsafe once filled; start it with https://"
    return (f"{{{{ {first} }}}} stands where the address's scheme goes, so a reader's value (or a fallback) "
            "would decide what kind of link this is; start the address with https:// or mailto: before the tag")


def _line(path: Path, number: int, line: str, literal: set[int]) -> Iterator[Finding]:
    """Check one source line; tags starting at a `literal` column (inside code) or after a backslash are text."""
    spans: list[tuple[int, int]] = []
    for match in WRITTEN.finditer(line):
        spans.append(match.span())
        if match.start() in literal or escaped(line, match.start()):
            continue
        name = match.group(1)
        if name not in TAGS:
            import difflib  # here: only an unknown tag needs it

            hint = difflib.get_close_matches(name, TAGS, n=1, cutoff=0.6)
            yield UNKNOWN.at(path, number, f"“{match.group(0)}” is not a merge tag"
                                           + (f"; did you mean {hint[0]}?" if hint else ""),
                             f"write {{{{ {hint[0]} }}}}" if hint else None)
    reported = False
    for pattern, what in SYNTAX:
        for match in pattern.finditer(line):
            if reported or any(start <= match.start() < end for start, end in spans):
                continue
            reported = True  # one finding per line is enough
            token = match.group(0)
            neutral = NEUTRAL.get(re.sub(r"[^a-z_]", "", token.lower().split(",")[0]).strip("_"))
            fix = f"write the neutral tag {{{{ {neutral} }}}} instead" if neutral else None
            yield PLATFORM.at(path, number, f"“{_around(line, match)}” contains {token!r}, a {what}", fix)


def _around(line: str, match: re.Match[str], width: int = 24) -> str:
    """Return the text around a match, shortened."""
    start, end = max(0, match.start() - width), min(len(line), match.end() + width)
    return ("…" if start else "") + line[start:end].strip() + ("…" if end < len(line) else "")
