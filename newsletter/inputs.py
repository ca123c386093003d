"""Hash what an issue's output depends on, so that a command can skip an issue whose inputs did not change.

An issue's output depends on its own folder, newsletter.toml, the theme (the publication's templates/ and the
default theme), the shared assets/ folder, the publication's catalogs in locale/, a logo file named in
[theme], how images are processed, and the tool itself: its version and its own files, and the libraries
that render (each one's files change when it is upgraded). Files are hashed by name and content; nothing is
followed out of the publication.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from newsletter import __version__
from newsletter.config import Settings
from newsletter.files import RACY_NS, files_of, fingerprint

# The publication's folders beside issues/ that a build reads (a test keeps this list in step with the code).
ROOT_FOLDERS = ("templates", "assets", "locale")
# The libraries whose behaviour shows in what an issue becomes (rendering, inlining, text, images, the checks).
LIBRARIES = ("jinja2", "markdown_it", "mjml", "premailer", "cssutils", "lxml", "nh3", "yaml",
             "PIL", "wcwidth", "anyascii", "babel", "snowballstemmer", "Stemmer", "cssselect")


def digest(*parts: str) -> str:
    """Return the hash of several strings (hashes, names)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def folder_hash(folder: Path) -> str:
    """Return a hash of every file under a folder, names and contents, skipping hidden files and folders."""
    hashed = hashlib.sha256()
    for name, path, _ in _visible_files(folder):
        hashed.update(os.fsencode(name) + b"\0")
        item = fingerprint(Path(path))  # never blocks on a FIFO nor follows a link out
        hashed.update(len(item).to_bytes(8, "big") + item)
    return hashed.hexdigest()


def _visible_files(folder: Path, follow: bool = True) -> list[tuple[str, str, os.stat_result]]:
    """Return files_of() a folder without hidden files and folders (nothing for a link to a folder)."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    return [item for item in files_of(folder, follow=follow) if not item[0].rpartition("/")[2].startswith(".")]


@functools.cache
def tool_hash() -> str:
    """Return what identifies this installation: Python, the tool's version and files, the rendering libraries.

    Files are identified by path, size and modification time: every file of the tool (an edit changes
    them), the entry file of each library (an upgrade rewrites it); reading them all would cost every
    command more than it saves.
    """
    parts = [sys.version, __version__, *_stat_lines(Path(__file__).resolve().parent)]
    for name in LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)  # finds, does not import
        except (ImportError, ValueError):
            spec = None
        parts.append(_stat_line(spec.origin) if spec is not None and spec.origin else f"{name} missing")
    return digest(*parts)


def _stat_lines(folder: Path) -> Iterable[str]:
    """Yield `path size mtime` of every file in and below a package folder (bytecode left out), in name order."""
    for name, path, info in files_of(folder, skip={"__pycache__"}):
        if not name.endswith((".pyc", ".pyo")):
            yield f"{path} {info.st_size} {info.st_mtime_ns}"


def _stat_line(path: str | Path) -> str:
    """Return `path size mtime` of a file (`path missing` when it cannot be read)."""
    try:
        info = Path(path).stat()
    except OSError:
        return f"{path} missing"
    return f"{path} {info.st_size} {info.st_mtime_ns}"


def publication_hash(settings: Settings, purpose: str) -> str:
    """Return a hash of what every issue's output depends on besides its own folder (`purpose`: build, check)."""
    from newsletter.images import _SETTINGS
    from newsletter.render.templates import theme_dirs

    parts = [purpose, tool_hash(), _SETTINGS.decode(), fingerprint(settings.path).hex()]
    parts.extend(f"{name}:{folder_hash(settings.root / name)}" for name in ROOT_FOLDERS)
    parts.extend(f"{folder}:{folder_hash(folder)}" for folder in theme_dirs(settings.root))
    for key in ("logo", "logo_dark"):
        src = str(getattr(settings.theme, key)).strip()
        path = settings.root / src
        if src and not src.startswith(("http://", "https://")) and path.resolve().is_relative_to(settings.root):
            parts.append(f"{key}:{fingerprint(path).hex()}")
    return digest(*parts)


def issue_inputs(common: str, folder: Path, before: dict[str, object] | None) -> tuple[str, dict[str, object]]:
    """Return an issue's input hash (the publication's hash and its folder's) and its folder's source_hash().

    `before` is what source_hash() returned last time: its content hash is reused when nothing changed.
    """
    source = source_hash(folder, before)
    return digest(common, folder.name, str(source["content"])), source


def folder_stats(folder: Path) -> tuple[str, int]:
    """Return a hash of the names, sizes, change times and inodes under a folder, and the newest modification.

    Cheap (no file is read): when it matches what was recorded with an earlier folder_hash(), the contents
    are taken as unchanged, as git does with its index.
    """
    hashed = hashlib.sha256()
    newest = 0
    for name, _, info in _visible_files(folder, follow=False):  # a link's own stat, taken while listing
        newest = max(newest, info.st_mtime_ns)
        hashed.update(os.fsencode(name) + b"\0" + (
            f"{info.st_mode} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns} {info.st_ino}".encode()))
    return hashed.hexdigest(), newest


def source_hash(folder: Path, before: dict[str, object] | None) -> dict[str, object]:
    """Return {content, stats, hashed_at} of an issue folder, reusing the content hash of `before` when safe.

    `before` is what this returned last time. Its content hash is reused when the folder's stats are the
    same and every file was last changed well before that hash was taken (a file changed in the same clock
    tick as it was hashed could change again unseen: such a folder is read again, as git does).
    """
    hashed_at = time.time_ns()
    stats, newest = folder_stats(folder)
    if (isinstance(before, dict) and before.get("stats") == stats and isinstance(before.get("content"), str)
            and isinstance(before.get("hashed_at"), int) and newest < before["hashed_at"] - RACY_NS):
        return {"content": before["content"], "stats": stats, "hashed_at": before["hashed_at"]}
    return {"content": folder_hash(folder), "stats": stats, "hashed_at": hashed_at}
