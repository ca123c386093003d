"""[theme] logo and logo_dark: a file in the publication is processed like a story's image; a URL passes."""

from __future__ import annotations

from pathlib import Path

from newsletter.config import Settings
from newsletter.errors import Collector
from newsletter.files import key_line, read_text
from newsletter.imagerefs import IMAGE_TYPES, prepare_or_report
from newsletter.model import Image


def resolve_logo(settings: Settings, key: str, found: Collector) -> Image | None:
    """Return [theme] logo or logo_dark as an image (a local file processed like a story's), or None."""
    src = str(getattr(settings.theme, key)).strip()
    if not src:
        return None
    line = key_line(read_text(settings.path), "theme", key)
    alt = settings.publication.name
    if src.startswith("http://"):
        found.warn(f"[theme] {key} {src!r} is loaded over plain http, which mail clients block or flag; use "
                   "https:// or a file in the publication (assets/logo.png)", settings.path, line)
    if src.startswith(("http://", "https://")):
        return Image(src=src, alt=alt, line=line)
    target = (settings.root / src).resolve()
    where = f"[theme] {key} {src!r}"
    if Path(src).is_absolute() or ":" in src or not target.is_relative_to(settings.root):
        found.error(f"{where} is outside the publication; put the file in its assets/ folder and write "
                    f'`{key} = "assets/{Path(src).name}"`', settings.path, line)
    elif not target.is_file():
        found.error(f"{where} not found (the path is relative to the folder of newsletter.toml)", settings.path, line)
    elif target.suffix.lower() not in IMAGE_TYPES:
        found.error(f"{where} is not a PNG, JPEG, GIF or WebP file", settings.path, line)
    else:
        prepared = prepare_or_report(target, settings, found, where, path=settings.path, line=line)
        if prepared is None:
            return None
        return Image(src=f"images/{prepared.name}", alt=alt, path=prepared.path, line=line,
                     width=prepared.width, height=prepared.height)
    return None
