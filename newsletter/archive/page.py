"""The email adapted for the web, and the issue as clean HTML for the feed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from newsletter import mergetags
from newsletter.archive.head import SiteInfo, head_values, issue_language
from newsletter.archive.pager import PAGER_END, PAGER_START
from newsletter.build import preview_filler
from newsletter.i18n import Translator, normalise, translator
from newsletter.model import Rendered
from newsletter.render.templates import render_template, theme_dirs

_PERSONAL = ("unsubscribe_url", "preferences_url", "email")
_SEPARATOR_BEFORE = re.compile(r"(?<!\s)\s*[·•|]\s*$")  # the lookbehind keeps a long run of spaces linear
_SEPARATOR_AFTER = re.compile(r"^\s*[·•|]\s*")


def web_filler(rendered: Rendered) -> Callable[[str, str], str]:
    """Return the merge-tag values for a public page: the preview values, without a subscriber's own links."""
    shared = preview_filler(rendered)
    pub = rendered.issue.settings.publication
    public = pub.subscribe_url or pub.url or "../index.html"
    own = {
        "web_url": rendered.issue.web_url or "index.html",
        "unsubscribe_url": pub.unsubscribe_url or public,
        "preferences_url": pub.preferences_url or pub.unsubscribe_url or public,
        "email": "",
    }

    def value(name: str, fallback: str) -> str:
        return own[name] if name in own else shared(name, fallback)

    return value


def public_text(rendered: Rendered, text: str) -> str:
    """Return a subject or preheader as a reader of the public archive sees it (merge tags filled)."""
    return mergetags.fill(text, web_filler(rendered))


def lead_image(rendered: Rendered) -> dict[str, Any] | None:
    """Return the lead story's image as the site serves it (for the front page and sharing cards), or None."""
    stories = rendered.issue.stories
    lead = next((s for s in stories if s.kind == "lead"), stories[0] if stories else None)
    image = lead.image if lead is not None else None
    if image is None:
        return None
    if not image.is_local:
        return {"src": image.src, "alt": image.alt, "width": None, "height": None}
    name = Path(image.src).name
    if name not in rendered.images:
        return None
    return {"src": f"{rendered.slug}/images/{name}", "alt": image.alt, "width": image.width, "height": image.height}


def web_page(rendered: Rendered, site: SiteInfo) -> str:
    """Return the issue's web page: the email without preheader and subscriber links, as a page of the site.

    The page gets the subject as its one <h1>, a <main>, the archive's head tags and an empty pager
    (filled by set_pager() once the neighbours are known).
    """
    import lxml.html

    issue = rendered.issue
    settings = issue.settings
    doc = lxml.html.document_fromstring(rendered.html)
    lang, direction = issue_language(issue)
    doc.set("lang", lang)
    doc.set("dir", direction)
    body = doc.body
    for hidden in body.find_class("nl-preheader"):
        hidden.drop_tree()  # the preheader and its spacer
    for anchor in list(doc.iter("a")):
        if _has_tag(anchor.get("href") or "", "web_url"):
            _drop_link(anchor)
    values = _values(rendered, site)
    _replace_personal(doc, settings.publication.subscribe_url, settings.publication.name, values["i18n"])
    _localise_images(doc, rendered)
    for heading in body.iter("h1"):
        heading.tag = "h2"  # the subject is the page's one <h1>
    subject = public_text(rendered, issue.subject)
    main = lxml.html.Element("main", id="main")
    main.text, body.text = body.text, None
    for child in list(body):
        main.append(child)
    _add_title(main, subject)
    dirs = theme_dirs(settings.root)
    body.append(lxml.html.fragment_fromstring(render_template(dirs, "archive/nav.html", values)))
    body.append(main)
    body.append(lxml.html.etree.Comment(PAGER_START[4:-3]))
    body.append(lxml.html.etree.Comment(PAGER_END[4:-3]))
    head = doc.head
    title = head.find("title")
    if title is None:
        title = lxml.html.Element("title")
        head.insert(0, title)
    title.text = subject
    meta = head_values(settings, site, title=subject, description=public_text(rendered, issue.preheader),
                       path=f"{rendered.slug}/", base="../", kind="article", image=lead_image(rendered),
                       published=issue.date.isoformat() if issue.date else "")
    for tag in lxml.html.fragments_fromstring(render_template(dirs, "archive/head.html", {"meta": meta})):
        if not isinstance(tag, str):
            head.append(tag)
    style = lxml.html.Element("style")
    style.text = render_template(dirs, "archive/web.css", values)
    head.append(style)
    html = lxml.html.tostring(doc, encoding="unicode", doctype="<!doctype html>")
    return mergetags.fill(mergetags.restore(html), web_filler(rendered), html=True)


def _add_title(main: Any, subject: str) -> None:
    """Put the subject under the masthead's issue line as the page's <h1> (at the top without a masthead)."""
    import lxml.html

    heading = lxml.html.Element("h1", {"class": "nl-web-title"})
    heading.text = subject
    line = next(iter(main.find_class("nl-issue")), None)
    if line is not None:
        line.addnext(heading)
        heading.tail, line.tail = line.tail, None
    else:
        heading.tail, main.text = main.text, None
        main.insert(0, heading)


def _values(rendered: Rendered, site: SiteInfo) -> dict[str, Any]:
    """Return what the archive's page templates see."""
    issue = rendered.issue
    settings = issue.settings
    return {"publication": settings.publication, "theme": settings.theme, "feed": site.feed, "base": "../",
            "issue": {"subject": public_text(rendered, issue.subject), "slug": rendered.slug},
            "lang": issue.lang, "dir": issue.dir, "i18n": translator(settings, issue.lang)}


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


def _replace_personal(doc: Any, subscribe_url: str, name: str, words: Translator) -> None:
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
            # Translators: on an issue's web page, where the email's footer addressed one subscriber.
            paragraph.text = words.gettext("Read %(name)s in your inbox:", name=name) + " "
            link = lxml.html.Element("a", href=subscribe_url)
            if style:
                link.set("style", style)
            link.text = words.gettext("Subscribe")
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


def feed_entry(rendered: Rendered) -> str:
    """Return the issue as plain semantic HTML with absolute URLs, for the Atom feed's content."""
    import lxml.html

    issue = rendered.issue
    settings = issue.settings
    stories = [{"title": s.title, "link": s.link, "byline": s.byline, "html": Markup(s.html),
                "image": s.image if s.image is not None and s.image.width else None,
                "lang": issue.story_lang(s) if issue.story_lang(s) != issue.lang else "", "dir": issue.story_dir(s)}
               for s in issue.stories]
    other = issue.lang != normalise(settings.publication.language or "en")  # the feed's language is the publication's
    values = {"issue": {"intro": Markup(issue.intro_html), "lang": issue.lang if other else "", "dir": issue.dir},
              "stories": stories, "publication": settings.publication, "i18n": translator(settings, issue.lang)}
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
