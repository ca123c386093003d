"""Plain text from the story model (not scraped from the HTML): masthead, intro, stories, footer."""

from __future__ import annotations

from newsletter.mergetags import mark
from newsletter.model import Issue, Story, long_date
from newsletter.render.text_blocks import Blocks, Refs, TextStyle, safe_url
from newsletter.render.text_wrap import display_width, wrap

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
    blocks = Blocks(style, Refs())
    separator = "-" * style.width
    out = _masthead(issue, blocks)
    if issue.intro_tokens:
        out += ["", *blocks.render(issue.intro_tokens), *_references(blocks)]
    for story in issue.stories:
        out += ["", separator, "", *_story(story, blocks)]
    out += ["", separator, "", *_footer(issue, blocks)]
    return "\n".join(line.rstrip() for line in out).strip("\n") + "\n"


def _masthead(issue: Issue, blocks: Blocks) -> list[str]:
    """Return the publication's name and the issue's number and date."""
    width = blocks.style.width
    meta = " · ".join(part for part in (
        f"Issue {issue.number}" if issue.number else "",
        long_date(issue.date) if issue.date else "",
    ) if part)
    lines = wrap(blocks.text(issue.settings.publication.name), width)
    return lines + (wrap(blocks.text(meta), width) if meta else [])


def _story(story: Story, blocks: Blocks) -> list[str]:
    """Return one story: label, underlined title, byline, lead image, body, read-more and references."""
    width = blocks.style.width
    out: list[str] = ["Sponsor", ""] if story.kind == "sponsor" else []
    title = wrap(blocks.text(story.title), width)
    out += [*title, "=" * max(map(display_width, title))]
    if story.byline and story.kind != "quote":
        out += wrap(blocks.text(story.byline), width)
    body: list[str] = []
    if story.image is not None:
        caption = " ".join(part for part in (story.image.caption, story.image.credit) if part)
        body += [*wrap(blocks.image(story.image.alt, caption), width), ""]
    blocks.digest = story.kind == "digest"
    body += blocks.render(story.tokens)
    blocks.digest = False
    if story.byline and story.kind == "quote":
        body += ["", *wrap(blocks.text(f"— {story.byline}"), width)]
    more = _read_more(story, blocks)
    if more:
        body += ["", *wrap(more, width)]
    return [*out, "", *body, *_references(blocks)]


def _read_more(story: Story, blocks: Blocks) -> str:
    """Return the story's one "Read more" line: a reference number when the body already cites the URL.

    No line when the body already prints the URL itself (a bare link, or any link with links = "inline").
    """
    url = safe_url(story.link)
    if not url or url in blocks.refs.shown:
        return ""
    if not blocks.style.inline_links and url in blocks.refs.current:
        return f"Read more [{blocks.refs.current[url]}]"
    return f"Read more: {url}"


def _references(blocks: Blocks) -> list[str]:
    """Return the numbered URLs cited since the last list, after a blank line."""
    lines = blocks.refs.take()
    return ["", *lines] if lines else []


def _footer(issue: Issue, blocks: Blocks) -> list[str]:
    """Return the footer: subscribe URL, unsubscribe, preferences and browser merge tags, postal address."""
    pub = issue.settings.publication
    width = blocks.style.width
    name = blocks.text(pub.name)
    out: list[str] = []
    if pub.subscribe_url:
        out += [*wrap(f"Was this forwarded to you? Subscribe to {name}: {pub.subscribe_url}", width), ""]
    out += wrap(f"You are receiving {name} because you subscribed as {mark('email')}.", width)
    out += [f"Unsubscribe: {mark('unsubscribe_url')}", f"Email preferences: {mark('preferences_url')}",
            f"View in browser: {mark('web_url')}"]
    if pub.postal_address:
        out += ["", mark("postal_address")]
    return out
