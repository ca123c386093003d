"""Merge-tag rules: misspelt neutral tags, and literal text a mailing platform would read as its own syntax."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

from newsletter.checks import Finding, Rule
from newsletter.checks.context import Context
from newsletter.content import peek
from newsletter.mergetags import TAGS, WRITTEN

UNKNOWN = Rule("mergetags/unknown", "error", "a {{ tag }} that is not a neutral merge tag",
               f"use one of {', '.join(TAGS)}, such as {{{{ first_name | default: \"there\" }}}}")
PLATFORM = Rule("mergetags/platform-syntax", "warning", "literal text a mailing platform reads as its own syntax",
                "write the neutral tag if you meant one; otherwise rephrase, or check the export shows it as text")
RULES = (UNKNOWN, PLATFORM)

# (pattern, platforms that would parse it)
SYNTAX = (
    (re.compile(r"\*\|[A-Z0-9_:]+\|\*"), "Mailchimp merge tag"),
    (re.compile(r"%%\{[^}]*\}%%"), "Ghost merge tag"),
    (re.compile(r"<%[^%]*%>"), "SendGrid substitution tag"),
    (re.compile(r"%(?:recipient|unsubscribe|tag_unsubscribe|mailing_list)[a-z0-9_.]*%"), "Mailgun variable"),
    (re.compile(r"\[(?:firstname|lastname|fullname|email)(?:,[^\]]*)?\](?!\()", re.IGNORECASE),
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
    """Scan issue.toml's texts and every story file line by line for merge-tag slips."""
    for key in ("subject", "preheader", "intro"):
        value = peek(ctx.issue.path, key)
        line = ctx.meta_line(key)
        if not isinstance(value, str) or line is None:
            continue
        raw = ctx.lines(ctx.meta_path)[line - 1]
        first = line + 1 if raw.rstrip().endswith(('"""', "'''")) else line  # a multi-line string
        for offset, text in enumerate(value.split("\n")):
            yield from _line(ctx.meta_path, first + offset, text)
    for path in ctx.story_files:
        for number, line in enumerate(ctx.lines(path), start=1):
            yield from _line(path, number, line)


def _line(path: Path, number: int, line: str) -> Iterator[Finding]:
    """Check one source line."""
    spans: list[tuple[int, int]] = []
    for match in WRITTEN.finditer(line):
        spans.append(match.span())
        name = match.group(1)
        if name not in TAGS:
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
