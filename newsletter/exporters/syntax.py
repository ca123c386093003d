"""Each platform's template language: how literal text is written so the engine outputs it unchanged."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

ZWSP = "\u200b"

_MAILGUN_NAMES = (r"(?:recipient(?:[._][\w.]+)?|unsubscribe_url|unsubscribe_email|tag_unsubscribe_url"
                  r"|mailing_list_unsubscribe_url)")
# What a browser or mail client must see as text, never as an engine's token, outside these blocks.
_SKIP = re.compile(r"(<!--.*?-->|<style\b.*?</style>|<script\b.*?</script>)", re.S | re.I)


def _go_string(value: str) -> str:
    """Return a Go string literal for value (JSON's escapes are a subset of Go's)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Syntax:
    """How one template language writes a literal: in HTML, in plain text and subjects, and HTML comments."""

    name: str
    opener: re.Pattern[str]
    in_html: Callable[[str], str]
    in_text: Callable[[str], str]
    # How an HTML comment is written so the engine keeps it (Go's html/template drops comments).
    comment: Callable[[str], str] | None = None
    # Characters of plain text the engine would change, and how to write them (Go's html/template and `<`).
    text_extra: re.Pattern[str] | None = None

    def text(self, text: str) -> str:
        """Return plain text (a text part, a subject) written so the engine outputs it byte for byte."""
        text = self.opener.sub(lambda m: self.in_text(m.group(0)), text)
        if self.text_extra is not None:
            text = self.text_extra.sub(lambda m: self.in_text(m.group(0)), text)
        return text

    def html(self, html: str) -> str:
        """Return HTML whose literal text the engine leaves alone; comments survive as the language allows."""
        parts = _SKIP.split(html)
        for i, part in enumerate(parts):
            if i % 2 == 0:
                parts[i] = self.opener.sub(lambda m: self.in_html(m.group(0)), part)
            elif self.comment is not None and part.startswith("<!--"):
                parts[i] = self.comment(part)
        return "".join(parts)

    def broken(self, text: str) -> list[str]:
        """Return the literal tokens that this language can only break (no escape form), for the export's notes."""
        return sorted({m.group(0) for m in self.opener.finditer(text) if ZWSP in self.in_text(m.group(0))})


def _char_ref(token: str) -> str:
    """Write a token's braces (or its first character) as character references: the browser shows the same text."""
    if token.startswith("{"):
        return token.replace("{", "&#123;")
    return f"&#{ord(token[0])};{token[1:]}"


def _handlebars_text(token: str) -> str:
    """Handlebars: a backslash before {{ makes the mustache literal text (`\\{{x}}` outputs `{{x}}`)."""
    return "\\" + token


def _mustachio_text(token: str) -> str:
    """Mustachio (Postmark): put an empty comment between two braces, so no `{{…}}` token forms.

    Mustachio has no Set Delimiter tag and no escape; its tokenizer takes every `{{…}}` without braces
    inside. `{` + `{{!}}` + `{ x }}` holds no such token but the comment, which renders as nothing.
    """
    return token + "{{!}}"


def _string_output(token: str) -> str:
    """Liquid, pongo2: output the opener as a string literal (`{{ "{{" }}`)."""
    return "{{ " + json.dumps(token) + " }}"


_DJANGO_TAGS = {"{{": "openvariable", "{%": "openblock", "{#": "opencomment"}


def _django_text(token: str) -> str:
    """Django: `{% templatetag openvariable %}` and its siblings write the openers."""
    return "{% templatetag " + _DJANGO_TAGS[token] + " %}"


def _go_text(token: str) -> str:
    """Go templates: output the opener (or a `<` html/template would parse) as a string through listmonk's Safe."""
    return "{{ " + _go_string(token) + " | Safe }}"


def _go_comment(comment: str) -> str:
    """Go's html/template strips comments: emit them through Safe, as listmonk's maintainers advise."""
    return "{{ " + _go_string(comment) + " | Safe }}"


def _zwsp(token: str) -> str:
    """Break a token after its first character (only where the platform has no escape form)."""
    return token[0] + ZWSP + token[1:]


HANDLEBARS = Syntax("handlebars", re.compile(r"\{\{"), _char_ref, _handlebars_text)
# Every brace followed by another: the comment goes between them (runs of three braces included).
MUSTACHIO = Syntax("mustachio", re.compile(r"\{(?=\{)"), _char_ref, _mustachio_text)
LIQUID = Syntax("liquid", re.compile(r"\{[{%]"), _char_ref, _string_output)
DJANGO = Syntax("django", re.compile(r"\{[{%#]"), _char_ref, _django_text)
PONGO2 = Syntax("pongo2", re.compile(r"\{[{%#]"), _char_ref, _string_output)
GO = Syntax("go", re.compile(r"\{\{|@TrackLink"), _char_ref, _go_text, comment=_go_comment,
            text_extra=re.compile(r"<"))
MAILCHIMP = Syntax("mailchimp", re.compile(r"\*\|(?=[^|*\s]*\|\*)"), lambda t: "*&#124;", _zwsp)
BRACKETS = Syntax("brackets", re.compile(
    r"\[(?=[A-Za-z][\w ]*(?:,fallback=[^\]]*)?\])|<(?=/?(?:unsubscribe|webversion|preferences|forwardtoafriend)\b)",
    re.I), lambda t: "&#91;" if t == "[" else t, _zwsp)
PERCENT = Syntax("percent", re.compile(r"%(?=" + _MAILGUN_NAMES + r"%)"), lambda t: "&#37;", _zwsp)


def combine(first: Syntax, second: Syntax) -> Syntax:
    """Return a syntax for text that two engines read in turn (a Mailgun template: Handlebars, then %tags%)."""
    opener = re.compile(f"(?:{first.opener.pattern})|(?:{second.opener.pattern})", first.opener.flags)

    def pick(token: str, attr: str) -> str:
        chosen = first if first.opener.fullmatch(token) else second
        return str(getattr(chosen, attr)(token))

    return Syntax(f"{first.name}+{second.name}", opener, lambda t: pick(t, "in_html"), lambda t: pick(t, "in_text"),
                  comment=first.comment)
