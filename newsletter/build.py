"""build_issue() turns an issue folder into Rendered; write_build() is the only writer to dist/."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsletter import mergetags
from newsletter.config import Settings
from newsletter.content import load_issue
from newsletter.errors import RenderError
from newsletter.model import Issue, Rendered
from newsletter.render.inline import Inline, inline_now
from newsletter.render.mjml import compile_mjml
from newsletter.render.templates import INLINE_CSS, MAIN_TEMPLATE, context, render_template, theme_dirs
from newsletter.writer import write_tree

_STORY_MARK = re.compile(r"<!-- (/?)nl-story (\d+) -->")


def build_issue(settings: Settings, folder: Path, inline: Inline = inline_now,
                meanwhile: Callable[[], object] | None = None) -> Rendered:
    """Load, render and inline one issue; write nothing."""
    issue = load_issue(settings, folder)
    return render_issue(issue, inline, meanwhile)


def render_issue(issue: Issue, inline: Inline = inline_now, meanwhile: Callable[[], object] | None = None) -> Rendered:
    """Render a loaded issue to MJML, HTML, inlined HTML and text.

    With a background inliner, the text is rendered and `meanwhile` (work the caller needs next) is run
    while the CSS is inlined.
    """
    settings = issue.settings
    dirs = theme_dirs(settings.root)
    values = context(issue, logo_src=settings.theme.logo)
    mjml = render_template(dirs, MAIN_TEMPLATE, values)
    try:
        html = compile_mjml(mjml, settings.publication.language, Path("email.mjml"))
    except RenderError as exc:
        exc.mjml = mjml
        raise
    css = render_template(dirs, INLINE_CSS, values)
    finish = inline(html, css)
    from newsletter.render.text import render_text  # imported here, while a background inliner works

    text = render_text(issue)
    if meanwhile is not None:
        meanwhile()
    html, story_bytes = _measure_stories(mergetags.restore(finish()), issue)
    images = {Path(image.src).name: image.path for image in issue.images if image.path is not None}
    return Rendered(
        issue=issue,
        mjml=mjml,
        html=html,
        text=text,
        images=images,
        story_bytes=story_bytes,
        merge_tags=sorted(set(mergetags.used(html)) | set(mergetags.used(text))),
        warnings=list(issue.warnings),
    )


def _measure_stories(html: str, issue: Issue) -> tuple[str, dict[str, int]]:
    """Return the HTML without story markers and the bytes each story's section adds."""
    sizes: dict[str, int] = {}
    starts: dict[str, int] = {}
    for match in _STORY_MARK.finditer(html):
        index = match.group(2)
        if match.group(1):
            sizes[index] = len(html[starts.get(index, match.start()):match.start()].encode("utf-8"))
        else:
            starts[index] = match.end()
    by_file = {story.file: sizes.get(str(i), 0) for i, story in enumerate(issue.stories, start=1)}
    return _STORY_MARK.sub("", html), by_file


def preview_filler(rendered: Rendered) -> Callable[[str, str], str]:
    """Return the merge-tag filler for build and preview output."""
    return _preview_values(rendered.issue)


def preview_text(issue: Issue, text: str) -> str:
    """Return plain text of an issue (its subject, its preheader) with merge tags filled as build shows them."""
    return mergetags.fill(text, _preview_values(issue))


def _preview_values(issue: Issue) -> Callable[[str, str], str]:
    """Return the filler with the harmless preview values of an issue's publication."""
    pub = issue.settings.publication
    return mergetags.preview_values(pub.url, issue.web_url, pub.unsubscribe_url, pub.preferences_url,
                                    pub.postal_address)


def manifest(rendered: Rendered, html: str, text: str) -> dict[str, Any]:
    """Return the manifest.json document for a build (subject and preheader as build fills them)."""
    issue = rendered.issue
    return {
        "slug": issue.slug,
        "subject": preview_text(issue, issue.subject),
        "preheader": preview_text(issue, issue.preheader),
        "status": issue.status,
        "date": issue.date.isoformat() if isinstance(issue.date, dt.date) else None,
        "number": issue.number,
        "stories": [
            {"file": s.file, "title": s.title, "kind": s.kind, "html_bytes": rendered.story_bytes.get(s.file, 0)}
            for s in issue.stories
        ],
        "html_bytes": len(html.encode("utf-8")),
        "text_bytes": len(text.encode("utf-8")),
        "merge_tags": rendered.merge_tags,
        "images": sorted(rendered.images),
    }


def write_failed_mjml(exc: RenderError, slug: str, out_root: Path) -> None:
    """Keep the MJML that failed to compile at <out>/.failed/<slug>/email.mjml and point the error at it."""
    target = out_root / ".failed" / slug
    write_tree(target, {"email.mjml": exc.mjml.encode("utf-8")}, kind="failed build")
    exc.path = target / "email.mjml"


def write_build(rendered: Rendered, out_root: Path) -> Path:
    """Write dist/<slug>/ atomically: a temporary folder renamed into place."""
    fill = preview_filler(rendered)
    html = mergetags.fill(rendered.html, fill, html=True)
    text = mergetags.fill(rendered.text, fill)
    files: dict[str, bytes] = {
        "email.html": html.encode("utf-8"),
        "email.txt": text.encode("utf-8"),
        "email.mjml": rendered.mjml.encode("utf-8"),
        "manifest.json": (json.dumps(manifest(rendered, html, text), indent=2, ensure_ascii=False) + "\n")
        .encode("utf-8"),
    }
    target = out_root / rendered.slug
    copies = {f"images/{name}": src for name, src in rendered.images.items()}
    write_tree(target, files, copies, kind="build", folders=("images",), keep=("export",))
    return target
