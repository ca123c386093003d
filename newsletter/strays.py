"""Name what sits in an issue folder without being a story or an image, and say what to do with it."""

from __future__ import annotations

from pathlib import Path

from newsletter.errors import Collector

# Files in an issue folder that are not stories: what to do with each kind (any other is "save it as .md or .txt").
_WORD = "save it as .md or .txt (in your word processor: Save As, Plain Text)"
_HTML = "save it as .md (Markdown allows raw HTML) or .txt"
STRAY_ADVICE = {".markdown": "rename it to {stem}.md (stories are .md or .txt)", ".mdown": "rename it to {stem}.md",
                ".html": _HTML, ".htm": _HTML, ".docx": _WORD, ".doc": _WORD, ".rtf": _WORD, ".odt": _WORD,
                ".pages": _WORD, ".pdf": "copy its text into a .md or .txt file"}
IGNORED = {"issue.toml", "thumbs.db", "desktop.ini"}  # the issue's own file and what file managers leave


def name_stray(path: Path, found: Collector, images: set[str]) -> None:
    """Warn about a file or folder in an issue folder that the issue does not read (images: image suffixes)."""
    name = path.name
    if name.startswith(("_", ".", "~")) or name.endswith("~") or name.lower() in IGNORED or (
        path.is_dir() and name == "images") or (not path.is_dir() and path.suffix.lower() in images):
        return
    if path.is_dir():
        found.warn(f"{name}/ is a folder the issue does not read: stories go directly in the issue folder, "
                   "images in images/; or start its name with _ to keep it here unread", path)
        return
    how = STRAY_ADVICE.get(path.suffix.lower(), "save it as .md or .txt")
    found.warn(f"{name} is not a story: {how.format(stem=path.stem)}; or start its name with _ to keep it here "
               "unread", path)
