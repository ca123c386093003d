"""The publication's static/ folder, copied into the site root as it is, and the site's icon."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from newsletter.archive.state import short_hash
from newsletter.config import Settings
from newsletter.errors import Problem
from newsletter.files import RACY_NS, files_of

STATIC_DIR = "static"
LOGO_DIR = "logo"  # the site's copies of [theme] logo and logo_dark when they are files of the publication
GENERATED_ICON = "favicon.svg"
# Icons a publication may put in static/, and how a page links each.
ICONS = {
    "favicon.ico": {"rel": "icon", "type": "image/x-icon", "sizes": ""},
    "favicon.svg": {"rel": "icon", "type": "image/svg+xml", "sizes": ""},
    "favicon.png": {"rel": "icon", "type": "image/png", "sizes": ""},
    "apple-touch-icon.png": {"rel": "apple-touch-icon", "type": "", "sizes": "180x180"},
}
# Files in static/ may replace these generated ones; any other generated path is the archive's own.
REPLACEABLE = {"robots.txt", GENERATED_ICON}


def static_files(settings: Settings, before: dict[str, list[Any]], scanned: int,
                 reserved: set[str]) -> tuple[dict[str, Path], dict[str, list[Any]], list[Problem]]:
    """Return static/'s files by site path, their [size, mtime, hash] (read again only when changed), problems.

    Only regular files inside static/ are copied; a link to a file elsewhere is skipped with a warning, and a
    file that would replace one of the archive's own pages (`reserved`: the names it uses at the site root) is
    an error.
    """
    folder = settings.root / STATIC_DIR
    inside = folder.resolve()
    found: dict[str, Path] = {}
    signatures: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for name, where, info in files_of(folder, hidden=True):
        path = Path(where)
        if not stat.S_ISREG(info.st_mode) or not path.resolve().is_relative_to(inside):
            problems.append(Problem(f"static/{name} is not a regular file inside static/, so it is not copied; "
                                    "copy the file itself into static/", path, level="warning"))
            continue
        if name.split("/")[0] in reserved and name not in REPLACEABLE:
            problems.append(Problem(f"static/{name} would replace the archive's own {name}; rename or move it",
                                    path))
            continue
        old = before.get(name)
        if old and old[:2] == [info.st_size, info.st_mtime_ns] and info.st_mtime_ns < scanned - RACY_NS:
            signatures[name] = old
        else:
            try:
                signatures[name] = [info.st_size, info.st_mtime_ns, short_hash(path.read_bytes())]
            except OSError as exc:
                problems.append(Problem(f"cannot read static/{name}: {exc.strerror or exc}", path))
                continue
        found[name] = path
    return found, signatures, problems


def site_logos(settings: Settings) -> tuple[dict[str, str], dict[str, Path]]:
    """Return the front pages' logos ({"light": src, "dark": src}, a web address or a file under logo/) and the
    processed files to copy there (problems with them are the build's to report)."""
    from newsletter.errors import Collector
    from newsletter.logos import resolve_logo

    shown: dict[str, str] = {}
    files: dict[str, Path] = {}
    for key, setting in (("light", "logo"), ("dark", "logo_dark")):
        image = resolve_logo(settings, setting, Collector())
        if image is None:
            continue
        if image.path is None:
            shown[key] = image.src
        else:
            shown[key] = f"{LOGO_DIR}/{Path(image.src).name}"
            files[shown[key]] = image.path
    return shown, files


def icons(statics: dict[str, Path], logos: dict[str, str]) -> tuple[dict[str, str], ...]:
    """Return the icon links every page carries: static/'s icons, else the logo, else the generated icon."""
    own = tuple({**link, "href": name} for name, link in ICONS.items() if name in statics)
    if own:
        return own
    if logos.get("light"):
        return ({"rel": "icon", "href": logos["light"], "type": "", "sizes": ""},)
    return ({"rel": "icon", "href": GENERATED_ICON, "type": "image/svg+xml", "sizes": ""},)


def generated_icon(settings: Settings) -> bytes:
    """Return an SVG icon: the publication's initial in white on its accent colour."""
    name = settings.publication.name.strip()
    initial = escape(next((c for c in name if c.isalnum()), "N").upper())
    theme = settings.theme
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
           f'<rect width="64" height="64" rx="14" fill={quoteattr(theme.accent_color)}/>'
           f'<text x="32" y="45" text-anchor="middle" font-family={quoteattr(theme.heading_font_family)} '
           f'font-size="38" font-weight="700" fill="#ffffff">{initial}</text></svg>\n')
    return svg.encode("utf-8")
