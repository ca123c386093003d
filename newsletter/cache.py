"""Where caches live: a per-user cache folder keyed by publication, never inside the publication.

Every cache only makes commands faster. A cache folder that cannot be created or written is skipped (the
command works without it), and nothing is ever read from a publication's old `.newsletter-cache/` folder.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

APP = "newsletter"
SHARED = "shared"  # caches that do not depend on a publication, such as the default theme's templates
_SCRATCH_PREFIX = f"{APP}-scratch-"


def base() -> Path:
    """Return the user's cache folder for the tool (XDG_CACHE_HOME/newsletter or ~/.cache/newsletter on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def publication_key(root: Path) -> str:
    """Return the cache folder name of a publication: its folder name and a hash of its resolved path."""
    resolved = str(root.resolve())
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", root.resolve().name).strip("-")[:40] or "publication"
    return f"{stem}-{hashlib.sha256(resolved.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}"


def folder(root: Path | None, name: str) -> Path:
    """Return the cache folder `name` of a publication (or the shared one for root=None); it may not exist."""
    return base() / (publication_key(root) if root is not None else SHARED) / name


def usable(path: Path) -> bool:
    """Create a cache folder if needed and return True when files can be written into it."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return False
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def read_private(path: Path, limit: int) -> bytes | None:
    """Return a cache file's bytes when it is a regular file of at most `limit` bytes that only this user can
    have written (owned by the user, writable by no one else); else None.

    For the caches that hold compiled code (Jinja's bytecode, compile_cache): a cache folder shared with other
    users (an XDG_CACHE_HOME in /tmp) must not let them supply code. Opened without following a link or
    waiting on a named pipe, as files.read_bytes opens a file; not through it, because compile_cache reads
    with this at the first regular expression a process compiles, and importing files compiles its own.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        mine = not hasattr(os, "getuid") or (info.st_uid == os.getuid() and not info.st_mode & 0o022)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit or not mine:
            return None
        return file.read(limit + 1)


_warned: set[Path] = set()


def unwritable_note(path: Path) -> str | None:
    """Return, once per folder and process, the warning that a cache folder cannot be written."""
    if path in _warned:
        return None
    _warned.add(path)
    return (f"the cache folder {path} cannot be written, so this build runs without it (slower); make it "
            "writable, or point XDG_CACHE_HOME at a writable folder")


@functools.cache
def scratch() -> Path:
    """Return a private temporary folder for this process, for what a missing cache would have held.

    It is removed when the process ends; folders left by processes that were killed are removed by the next
    process that needs one.
    """
    from newsletter.writer import process_alive

    tmp = Path(tempfile.gettempdir())
    for old in tmp.glob(f"{_SCRATCH_PREFIX}*"):
        pid = old.name.removeprefix(_SCRATCH_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)) and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
    path = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-"))
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(path, ignore_errors=True))
    return path
