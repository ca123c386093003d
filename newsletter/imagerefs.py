"""Story images -> checked paths inside the issue folder or assets/, with output names and sizes."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

from newsletter import markdown
from newsletter.config import Settings
from newsletter.errors import Collector, ContentError
from newsletter.files import special_kind
from newsletter.images import PreparedImage, prepare_image
from newsletter.mergetags import OPEN, written
from newsletter.model import Image, Story

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
# [^<>] keeps each try inside one tag: a long run of "<img " without ">" costs linear time, not quadratic.
_RAW_IMG = re.compile(r"""<img\b[^<>]*?\bsrc\s*=\s*["']?([^"'\s<>]+)""", re.IGNORECASE)


def resolve_images(story: Story, issue_dir: Path, settings: Settings, found: Collector) -> None:
    """Check every image path, keep it inside the issue folder, and give it output name and size."""
    if story.image is not None:
        story.image = resolve_image(story.image, story, issue_dir, settings, found)
        if story.image is not None:
            story.images.append(story.image)
    for token, line in markdown.walk(story.tokens):
        if token.type in {"html_inline", "html_block"}:
            for src in _RAW_IMG.findall(token.content):
                if not src.startswith(("http://", "https://")):
                    found.error(f"<img src={src!r}> in raw HTML is not processed: use Markdown, "
                                f"`![description]({src})`, for local images",
                                story.path, story.body_line + line if line is not None else None)
            continue
        if token.type != "image":
            continue
        src = unquote(str(token.attrGet("src") or ""))  # markdown-it percent-encodes spaces and non-ASCII
        alt = token.content or "".join(c.content for c in token.children or ())
        where = story.body_line + line if line is not None else None
        caption = str(token.attrGet("title") or "")  # a Markdown image's title is its caption
        image = resolve_image(Image(src=src, alt=alt, line=where, caption=caption), story, issue_dir, settings,
                               found)
        if image is None:
            continue
        story.images.append(image)
        token.attrSet("src", image.src)
        if image.width and image.height:
            token.attrSet("width", str(image.width))
            token.attrSet("height", str(image.height))


def resolve_image(image: Image, story: Story, issue_dir: Path, settings: Settings,
                   found: Collector) -> Image | None:
    """Return the image with its output src and display size, or None after recording a problem.

    Local images are read from the issue folder or the publication's shared assets/ folder (a path
    such as `assets/logo.png` falls back to it when the issue has no such file); nothing else.
    """
    src = image.src.strip()
    where = image.line
    if OPEN in src:
        found.error(f"image {written(src)!r}: an image address cannot hold a merge tag; write the address itself",
                    story.path, where)
        return None
    if src.startswith("http://"):
        found.warn(f"image {src!r} is loaded over plain http, which mail clients block or flag; use https://",
                   story.path, where)
    if src.startswith(("http://", "https://")):
        return image
    if where is not None and where >= story.body_line and story.path.suffix.lower() == ".md":
        # markdown-it maps the paragraph; point at the line of the paragraph that holds this image
        for offset, row in enumerate(story.source.split("\n")[where - story.body_line:]):
            if not row.strip():
                break
            if src in row or quote(src) in row:
                where += offset
                break
    if not image.alt.strip():
        found.warn(f"image {src!r} has no alt text: describe it for readers who cannot see it",
                   story.path, where)
    relative = Path(src)
    target = (issue_dir / relative).resolve()
    assets = (settings.root / "assets").resolve()
    if not target.exists() and relative.parts[:1] == ("assets",):
        target = (settings.root / relative).resolve()
    inside = target.is_relative_to(issue_dir) or target.is_relative_to(assets)
    if relative.is_absolute() or ":" in src or not inside:
        found.error(f"image path {src!r} is outside the issue folder; put the image in the issue's "
                    "images/ folder (or the publication's assets/ folder) and use a relative path",
                    story.path, where)
        return None
    if not target.is_file():
        kind = special_kind(target)
        found.error(f"image {src!r} is {kind}, not an image file" if kind else
                    f"image {src!r} not found (paths are relative to the issue folder {issue_dir.name}/)",
                    story.path, where)
        return None
    if target.suffix.lower() not in IMAGE_TYPES:
        found.error(f"image {src!r} is not a PNG, JPEG, GIF or WebP file", story.path, where)
        return None
    prepared = prepare_or_report(target, settings, found, f"image {src!r}", path=story.path, line=where)
    if prepared is None:
        return None
    # Always the local file: email.html and the preview show it; exports point it at [images] base_url.
    out_src = f"images/{prepared.name}"
    return Image(src=out_src, alt=image.alt, path=prepared.path, line=where,
                 width=prepared.width, height=prepared.height, caption=image.caption, credit=image.credit)


def prepare_or_report(target: Path, settings: Settings, found: Collector, what: str, *, path: Path,
                      line: int | None) -> PreparedImage | None:
    """Process a local image file, or record at path:line why it cannot be (over a budget, not an image)."""
    try:
        return prepare_image(target, settings.root, found)
    except ContentError as exc:  # not a regular file, or over a size or pixel budget
        found.error(f"{what}: {exc.message}", path, line)
    except ValueError:
        found.error(f"{what} cannot be read as an image; re-export it as PNG or JPEG", path, line)
    return None
