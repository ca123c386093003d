"""Deliverability and law: subject and preheader, CAN-SPAM address, subscribe links, Gmail clipping, image weight."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from newsletter.checks import Finding, Rule
from newsletter.checks.context import Context
from newsletter.images import COLUMN_WIDTH
from newsletter.mergetags import mark
from newsletter.model import Rendered

NO_SUBJECT = Rule("deliverability/no-subject", "error", "the issue has no subject line",
                  'add `subject = "…"` to issue.toml', ("missing `subject", "`subject` is empty"))
NO_PREHEADER = Rule("deliverability/no-preheader", "warning", "no preheader (the inbox preview text)",
                    'add `preheader = "…"` to issue.toml: one sentence of 40–140 characters that makes people open')
LONG_SUBJECT = Rule("deliverability/long-subject", "warning", "subject over 70 characters",
                    "shorten the subject to 70 characters or fewer; inboxes cut the rest")
SHOUTING = Rule("deliverability/shouting-subject", "warning", "subject in capitals or with !!",
                "write the subject in normal case with at most one exclamation mark; spam filters score both")
PREHEADER_LENGTH = Rule("deliverability/preheader-length", "warning", "preheader outside 40–140 characters",
                        "make the preheader 40–140 characters: shorter lets body text leak into the preview")
NO_ADDRESS = Rule("deliverability/no-postal-address", "warning", "no postal address (CAN-SPAM)",
                  'add `postal_address = "…"` under [publication] in newsletter.toml (a PO box is allowed)')
NO_SUBSCRIBE = Rule("deliverability/no-subscribe-link", "warning", "no subscribe link for forwarded copies",
                    'add `subscribe_url = "https://…"` under [publication] in newsletter.toml')
NO_UNSUBSCRIBE = Rule("deliverability/no-unsubscribe-link", "error", "the email has no unsubscribe link",
                      "keep `{{ tag('unsubscribe_url') }}` in the theme's footer.mjml")
NO_UNSUBSCRIBE_URL = Rule("deliverability/no-unsubscribe-url", "info", "no unsubscribe_url for .eml and test sends",
                          'add `unsubscribe_url = "https://…"` under [publication] (platform exports use their own '
                          "tag)")
NEAR_CLIPPING = Rule("deliverability/near-gmail-clipping", "warning", "email.html is 90 KB or more",
                     "cut or shorten the biggest stories; Gmail clips from 102 KB")
CLIPPED = Rule("deliverability/gmail-clipping", "error", "email.html is 102 KB or more: Gmail clips it",
               "cut or shorten the biggest stories until email.html is under 90 KB")
IMAGE_HEAVY = Rule("deliverability/image-heavy", "warning", "images make up most of the email",
                   "add text or drop an image: image-heavy mail looks like spam and says nothing with images off")
NOT_MEASURED = Rule("deliverability/not-measured", "info", "the issue does not render, so its size is unknown",
                    "fix the errors above, then check again")
RULES = (NO_SUBJECT, NO_PREHEADER, LONG_SUBJECT, SHOUTING, PREHEADER_LENGTH, NO_ADDRESS, NO_SUBSCRIBE,
         NO_UNSUBSCRIBE, NO_UNSUBSCRIBE_URL, NEAR_CLIPPING, CLIPPED, IMAGE_HEAVY, NOT_MEASURED)

SUBJECT_MAX = 70
PREHEADER_MIN, PREHEADER_MAX = 40, 140
WARN_BYTES, CLIP_BYTES = 90 * 1024, 102 * 1024
IMAGE_SHARE = 0.5  # images above half the email's area
_BANGS = re.compile(r"!{2,}")
_HREF = re.compile(r'href="([^"]*)"')
_UTM = re.compile(r"(?:[?&]|&amp;)utm_\w+=[^&#]*", re.IGNORECASE)


@dataclass(frozen=True)
class SizeBreakdown:
    """What email.html is made of, in bytes: the stories' own HTML, the links' tracking, the layout."""

    total: int
    stories: int
    tracking: int
    tracked: int  # links carrying utm_ parameters
    layout: int
    per_story: dict[str, int]


def tracking_bytes(html: str) -> tuple[int, int]:
    """Return the bytes of utm_ parameters in html's links and how many links carry them."""
    sizes = [sum(len(m.group(0)) for m in _UTM.finditer(href)) for href in _HREF.findall(html)]
    return sum(sizes), sum(1 for size in sizes if size)


def size_breakdown(rendered: Rendered, total: int | None = None) -> SizeBreakdown:
    """Split email.html's size into stories (without their tracking), tracking and layout (all the rest)."""
    total = len(rendered.html.encode("utf-8")) if total is None else total
    tracking, tracked = tracking_bytes(rendered.html)
    outside, _ = tracking_bytes(rendered.issue.intro_html)  # the intro is layout; its links are tracked too
    stories = max(sum(rendered.story_bytes.values()) - (tracking - outside), 0)
    return SizeBreakdown(total, stories, tracking, tracked, max(total - stories - tracking, 0),
                         dict(rendered.story_bytes))


def check(ctx: Context) -> Iterator[Finding]:
    """Run the deliverability rules."""
    yield from _subject(ctx)
    yield from _preheader(ctx)
    yield from _publication(ctx)
    yield from _size(ctx)
    yield from _image_share(ctx)


def _subject(ctx: Context) -> Iterator[Finding]:
    """Check the subject line is there, short, and not shouting."""
    from newsletter.build import preview_text  # merge tags counted as readers see them

    subject, path, line = preview_text(ctx.issue, ctx.issue.subject), ctx.meta_path, ctx.meta_line("subject")
    if not subject:
        yield NO_SUBJECT.at(path, line, "the issue has no subject line")
        return
    if len(subject) > SUBJECT_MAX:
        yield LONG_SUBJECT.at(path, line, f"the subject is {len(subject)} characters; inboxes show about "
                                          f"{SUBJECT_MAX}: “{subject[:SUBJECT_MAX]}…”")
    letters = [c for c in subject if c.isalpha()]
    if len(letters) >= 6 and all(c.isupper() for c in letters):
        yield SHOUTING.at(path, line, f"the subject is in capitals: “{subject}”")
    if _BANGS.search(subject):
        yield SHOUTING.at(path, line, f"the subject has repeated exclamation marks: “{subject}”")


def _preheader(ctx: Context) -> Iterator[Finding]:
    """Check the preheader is there and 40–140 characters long."""
    from newsletter.build import preview_text

    preheader = preview_text(ctx.issue, ctx.issue.preheader)
    if not preheader:
        yield NO_PREHEADER.at(ctx.meta_path, ctx.meta_line("subject"),
                              "the issue has no preheader, so inboxes preview the first text they find")
    elif not PREHEADER_MIN <= len(preheader) <= PREHEADER_MAX:
        side = "short" if len(preheader) < PREHEADER_MIN else "long"
        yield PREHEADER_LENGTH.at(ctx.meta_path, ctx.meta_line("preheader"),
                                  f"the preheader is {len(preheader)} characters, too {side} for the "
                                  f"{PREHEADER_MIN}–{PREHEADER_MAX} an inbox preview shows")


def _publication(ctx: Context) -> Iterator[Finding]:
    """Check the postal address, subscribe and unsubscribe links."""
    pub, path = ctx.settings.publication, ctx.config_path
    where = ctx.config_line("publication")
    if not pub.postal_address.strip():
        yield NO_ADDRESS.at(path, where, "no postal address: CAN-SPAM requires one in commercial email")
    if not pub.subscribe_url.strip():
        yield NO_SUBSCRIBE.at(path, where, "no subscribe_url, so readers of a forwarded copy cannot subscribe")
    if not pub.unsubscribe_url.strip():
        yield NO_UNSUBSCRIBE_URL.at(path, where, "no unsubscribe_url: .eml files and test sends carry no "
                                                 "working unsubscribe link")
    rendered = ctx.rendered
    if rendered is not None:
        marker = mark("unsubscribe_url")
        missing = [name for name, body in (("email.html", rendered.html), ("email.txt", rendered.text))
                   if marker not in body]
        if missing:
            override = ctx.settings.root / "templates" / "footer.mjml"
            yield NO_UNSUBSCRIBE.at(override if override.is_file() else path, None,
                                    f"{' and '.join(missing)} would go out without an unsubscribe link")


def _size(ctx: Context) -> Iterator[Finding]:
    """Check email.html against Gmail's clipping, naming what each story costs."""
    size = ctx.html_bytes()
    if size is None:
        yield NOT_MEASURED.at(ctx.meta_path, None, "the issue does not render, so its size was not measured")
        return
    if size < WARN_BYTES:
        return
    rule = CLIPPED if size >= CLIP_BYTES else NEAR_CLIPPING
    verb = "Gmail clips it and hides the footer" if rule is CLIPPED else "Gmail clips from 102 KB"
    message = f"email.html is {size / 1024:.1f} KB; {verb}."
    if ctx.rendered is not None:
        message += " " + _costs(size_breakdown(ctx.rendered, size))
    yield rule.at(ctx.meta_path, ctx.meta_line("stories"), message)


def _costs(parts: SizeBreakdown) -> str:
    """Return what each story, the links' tracking and the layout cost, biggest stories first."""
    costs = sorted(parts.per_story.items(), key=lambda kv: -kv[1])
    listed = ", ".join(f"{name} {bytes_ / 1024:.1f} KB" for name, bytes_ in costs)
    tracking = (f"links' tracking {parts.tracking / 1024:.1f} KB (utm_ parameters on {parts.tracked} links; "
                "a shorter utm_campaign or fewer [links] values cut it)" if parts.tracked else
                "links' tracking 0 KB")
    return (f"Stories {parts.stories / 1024:.1f} KB without tracking, each with it: {listed}; {tracking}; "
            f"layout {parts.layout / 1024:.1f} KB (head styles, masthead, intro, footer).")


def _image_share(ctx: Context) -> Iterator[Finding]:
    """Check images do not take most of the email's area (text area estimated from the word count)."""
    sized = [img for story in ctx.issue.stories for img in story.images if img.width and img.height]
    if not sized:
        return
    image_area = sum((img.width or 0) * (img.height or 0) for img in sized)
    font = ctx.settings.theme.font_size
    per_line = COLUMN_WIDTH / (font * 0.5 * 6)  # words per line: about half an em per character, 6 per word
    words = sum(s.words for s in ctx.issue.stories) + len(ctx.issue.intro_source.split())
    text_area = words / per_line * font * 1.6 * COLUMN_WIDTH
    share = image_area / (image_area + text_area)
    if share > IMAGE_SHARE:
        first = sized[0]
        story = next(s for s in ctx.issue.stories if first in s.images)
        line = first.line or ctx.front_line(story, "image")
        yield IMAGE_HEAVY.at(story.path, line, f"images take about {share:.0%} of the email "
                                               f"({len(sized)} images, {words} words of text)")
