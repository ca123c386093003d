"""The email adapted for the web, and the issue as clean HTML for the feed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from newsletter import mergetags
from newsletter.model import Rendered
from newsletter.render.templates import render_template, theme_dirs

_PERSONAL = ("unsubscribe_url", "preferences_url", "email")
_SEPARATOR_BEFORE = re.compile(r"(?<!\s)\s*[·•|]\s*$")  # the lookbehind keeps a long run of spaces linear
_SEPARATOR_AFTER = re.compile(r"^\s*[·•|]\s*")


def web_filler(rendered: Rendered) -> Callable[[str, str], str]:
    """Return the merge-tag values for a public page: no subscriber, plain public links."""
    pub = rendered.issue.settings.publication
    public = pub.subscribe_url or pub.url or "../index.html"
    values = {
        "web_url": rendered.issue.web_url or "index.html",
        "unsubscribe_url": pub.unsubscribe_url or public,
        "preferences_url": pub.preferences_url or pub.unsubscribe_url or public,
        "email": "",
        "postal_address": pub.postal_address,
    }

    def value(name: str, fallback: str) -> str:
        return (fallback or "reader") if name == "first_name" else values[name]

    return value


def web_page(rendered: Rendered, feed: bool) -> str:
    """Return the issue's web page: the email without preheader, view-in-browser and subscriber links."""
    import lxml.html

    issue = rendered.issue
    settings = issue.settings
    doc = lxml.html.document_fromstring(rendered.html)
    body = doc.body
    for hidden in body.find_class("nl-preheader"):
        hidden.drop_tree()  # the preheader and its spacer
    for anchor in list(doc.iter("a")):
        href = anchor.get("href") or ""
        if _has_tag(href, "web_url"):
            _drop_link(anchor)
    _replace_personal(doc, settings.publication.subscribe_url, settings.publication.name)
    _localise_images(doc, rendered)
    dirs = theme_dirs(settings.root)
    nav = render_template(dirs, "archive/nav.html", _values(rendered, feed))
    body.insert(0, lxml.html.fragment_fromstring(nav))
    head = doc.head
    for extra in _head_links(rendered, feed):
        head.append(lxml.html.fragment_fromstring(extra))
    style = lxml.html.Element("style")
    style.text = render_template(dirs, "archive/web.css", _values(rendered, feed))
    head.append(style)
    html = lxml.html.tostring(doc, encoding="unicode", doctype="<!doctype html>")
    return mergetags.fill(mergetags.restore(html), web_filler(rendered), html=True)


def _values(rendered: Rendered, feed: bool) -> dict[str, Any]:
    """Return what the archive templates see."""
    settings = rendered.issue.settings
    return {"publication": settings.publication, "theme": settings.theme, "feed": feed,
            "issue": {"subject": rendered.issue.subject, "slug": rendered.slug}}


def _has_tag(text: str, name: str) -> bool:
    """Return True when text holds the marker of a merge tag, as written or as lxml escaped it."""
    return name in mergetags.used(mergetags.restore(text))


def _drop_link(anchor: Any) -> None:
    """Remove a link and the `·` separator that joined it to its neighbours, keeping the text after it."""
    previous = anchor.getprevious()
    parent = anchor.getparent()
    before = (previous.tail if previous is not None else parent.text) or ""
    stripped = _SEPARATOR_BEFORE.sub("", before)
    if stripped != before:
        if previous is not None:
            previous.tail = stripped
        else:
            parent.text = stripped
    else:
        anchor.tail = _SEPARATOR_AFTER.sub("", anchor.tail or "")
    anchor.drop_tree()


def _replace_personal(doc: Any, subscribe_url: str, name: str) -> None:
    """Turn paragraphs addressed to one subscriber (unsubscribe, preferences, email) into a Subscribe link."""
    import lxml.html

    linked = subscribe_url and any(a.get("href") == subscribe_url for a in doc.iter("a"))
    for paragraph in list(doc.iter("p")):
        text = lxml.html.tostring(paragraph, encoding="unicode")
        if not any(_has_tag(text, tag) for tag in _PERSONAL):
            continue
        if subscribe_url and not linked:
            style = next((a.get("style") for a in paragraph.iter("a") if a.get("style")), None)
            for child in list(paragraph):
                paragraph.remove(child)
            paragraph.text = f"Read {name} in your inbox: "
            link = lxml.html.Element("a", href=subscribe_url)
            if style:
                link.set("style", style)
            link.text = "Subscribe"
            paragraph.append(link)
            linked = True
        else:
            paragraph.drop_tree()


def _localise_images(doc: Any, rendered: Rendered) -> None:
    """Point hosted copies of the issue's own images at the page's images/ folder, for file:// viewing."""
    for img in doc.iter("img"):
        src = img.get("src") or ""
        name = src.rsplit("/", 1)[-1]
        if name in rendered.images and src.endswith(f"/{rendered.slug}/images/{name}"):
            img.set("src", f"images/{name}")


def _head_links(rendered: Rendered, feed: bool) -> list[str]:
    """Return the <link> and <meta> tags a web page adds to the email's head."""
    issue = rendered.issue
    extra = []
    if issue.preheader:
        extra.append(f'<meta name="description" content="{escape(issue.preheader)}">')
    if issue.web_url:
        extra.append(f'<link rel="canonical" href="{escape(issue.web_url)}">')
    if feed:
        extra.append(f'<link rel="alternate" type="application/atom+xml" '
                     f'title="{escape(issue.settings.publication.name)}" href="../feed.xml">')
    return extra


def feed_entry(rendered: Rendered) -> str:
    """Return the issue as plain semantic HTML with absolute URLs, for the Atom feed's content."""
    import lxml.html

    issue = rendered.issue
    settings = issue.settings
    stories = [{"title": s.title, "link": s.link, "byline": s.byline, "html": Markup(s.html),
                "image": s.image if s.image is not None and s.image.width else None} for s in issue.stories]
    values = {"issue": {"intro": Markup(issue.intro_html)}, "stories": stories, "publication": settings.publication}
    html = render_template(theme_dirs(settings.root), "archive/entry.html", values)
    html = mergetags.fill(html, web_filler(rendered), html=True)
    fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    if issue.web_url:
        fragment.make_links_absolute(issue.web_url, resolve_base_href=False)
    return (fragment.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in fragment)


def page_files(rendered: Rendered, page: str) -> tuple[dict[str, bytes], dict[str, Path]]:
    """Return an issue folder's files: its page and its images (copied from the image cache)."""
    files = {"index.html": page.encode("utf-8")}
    copies = {f"images/{name}": path for name, path in rendered.images.items()}
    return files, copies
