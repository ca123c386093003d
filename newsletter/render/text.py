"""Plain text from the story model (not scraped from the HTML): masthead, intro, stories, footer."""

from __future__ import annotations

from newsletter.i18n import Translator, translator
from newsletter.mergetags import mark
from newsletter.model import Issue, Story
from newsletter.render.text_blocks import Blocks, Refs, TextStyle, safe_url
from newsletter.render.text_wrap import display_width, set_direction

MAX_WIDTH = 78


def render_text(issue: Issue) -> str:
    """Render the issue as a plain-text letter; merge tags stay as markers for the caller to fill."""
    options = issue.settings.text
    style = TextStyle(
        width=max(min(options.width, MAX_WIDTH), 20),
        inline_links=options.links == "inline",
        ascii=options.ascii,
        markers=options.emphasis == "markers",
    )
    blocks = Blocks(style, Refs(), translator(issue.settings, issue.lang), issue.dir)
    separator = "-" * style.width
    out = _masthead(issue, blocks)
    if issue.intro_tokens:
        out += ["", *blocks.render(issue.intro_tokens), *_references(blocks)]
    for story in issue.stories:
        blocks.dir = issue.story_dir(story)
        out += ["", separator, "", *_story(story, blocks)]
    blocks.dir = issue.dir
    out += ["", separator, "", *_footer(issue, blocks)]
    return "\n".join(line.rstrip() for line in out).strip("\n") + "\n"


def _masthead(issue: Issue, blocks: Blocks) -> list[str]:
    """Return the publication's name and the issue's number and date."""
    width = blocks.style.width
    t = blocks.i18n
    if issue.number and issue.date:
        meta = t.gettext("Issue %(number)s · %(date)s", number=issue.number, date=t.date(issue.date))
    else:
        meta = t.gettext("Issue %(number)s", number=issue.number) if issue.number else ""
        meta = meta or (t.date(issue.date) if issue.date else "")
    lines = blocks.wrap(blocks.text(issue.settings.publication.name), width)
    return lines + (blocks.wrap(blocks.text(meta), width) if meta else [])


def _story(story: Story, blocks: Blocks) -> list[str]:
    """Return one story: label, underlined title, byline, lead image, body, read-more and references."""
    width = blocks.style.width
    out: list[str] = [blocks.i18n.gettext("Sponsor"), ""] if story.kind == "sponsor" else []
    title = blocks.wrap(blocks.text(story.title), width)
    out += [*title, "=" * min(max(map(display_width, title)), width)]
    if story.byline and story.kind != "quote":
        out += blocks.wrap(blocks.text(story.byline), width)
    body: list[str] = []
    if story.image is not None:
        caption = " ".join(part for part in (story.image.caption, story.image.credit) if part)
        body += [*blocks.wrap(blocks.image(story.image.alt, caption), width), ""]
    blocks.digest = story.kind == "digest"
    body += blocks.render(story.tokens)
    blocks.digest = False
    if story.byline and story.kind == "quote":
        body += ["", *blocks.wrap(blocks.text(f"— {story.byline}"), width)]
    more = _read_more(story, blocks)
    if more:
        body += ["", *blocks.wrap(more, width)]
    return [*out, "", *body, *_references(blocks)]


def _read_more(story: Story, blocks: Blocks) -> str:
    """Return the story's one "Read more" line: a reference number when the body already cites the URL.

    No line when the body already prints the URL itself (a bare link, or any link with links = "inline").
    """
    url = safe_url(story.link)
    t = blocks.i18n
    if not url or url in blocks.refs.shown:
        return ""
    if not blocks.style.inline_links and url in blocks.refs.current:
        return f"{t.gettext('Read more')} [{blocks.refs.current[url]}]"
    return _labelled(t, t.gettext("Read more"), url)


def _references(blocks: Blocks) -> list[str]:
    """Return the numbered URLs cited since the last list, after a blank line."""
    lines = blocks.refs.take()
    return ["", *lines] if lines else []


def _footer(issue: Issue, blocks: Blocks) -> list[str]:
    """Return the footer: subscribe URL, unsubscribe, preferences and browser merge tags, postal address."""
    pub = issue.settings.publication
    width = blocks.style.width
    name = blocks.text(pub.name)
    t = blocks.i18n
    out: list[str] = []
    if pub.subscribe_url:
        forwarded = f"{t.gettext('Was this forwarded to you?')} {t.gettext('Subscribe to %(name)s', name=name)}"
        out += [*blocks.wrap(_labelled(t, forwarded, pub.subscribe_url), width), ""]
    out += blocks.wrap(t.gettext("You are receiving %(name)s because you subscribed as %(email)s.", name=name,
                                 email=mark("email")), width)
    out += [_labelled(t, t.gettext("Unsubscribe"), mark("unsubscribe_url")),
            _labelled(t, t.gettext("Email preferences"), mark("preferences_url")),
            _labelled(t, t.gettext("View in browser"), mark("web_url"))]
    if pub.postal_address:
        out += ["", mark("postal_address")]
    return [set_direction(line, blocks.dir) for line in out]


def _labelled(t: Translator, label: str, value: str) -> str:
    """Return "label: value" with the language's punctuation ("label : value" in French)."""
    # Translators: a label and what it names in the plain-text email, as in "Unsubscribe: https://…".
    return t.gettext("%(label)s: %(value)s", label=label, value=value)
