"""The one writer: every file the tool makes is written here, into a folder swapped in atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from newsletter.errors import NewsletterError

CACHE_DIR = ".newsletter-cache"  # under the publication root: caches that only make builds faster


def write_tree(target: Path, files: dict[str, bytes], copies: dict[str, Path] | None = None,
               *, replace: bool = True, folders: tuple[str, ...] = ()) -> None:
    """Write files (and copies of source files) into a fresh folder, then rename it to `target`.

    A failure at any point leaves `target` as it was: the old folder is only removed once the new one
    is in place.
    """
    if target.exists() and not replace:
        raise NewsletterError(f"{target.name} already exists; choose another name or remove it", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for name, data in files.items():
            _place(staging, name).write_bytes(data)
        for name in folders:
            _place(staging, f"{name}/.").mkdir(parents=True, exist_ok=True)
        for name, source in (copies or {}).items():
            shutil.copyfile(source, _place(staging, name))
        staging.chmod(0o755)
        _swap(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise NewsletterError(f"cannot write {target.name}: {exc.strerror or exc}", target) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _place(staging: Path, name: str) -> Path:
    """Return the path for a relative file name inside staging, creating its folder."""
    path = (staging / name).resolve()
    if not path.is_relative_to(staging.resolve()):
        raise OSError(f"refusing to write outside the output folder: {name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _swap(staging: Path, target: Path) -> None:
    """Put staging where target is; the previous target is kept until the rename succeeded."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
    try:
        staging.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_cache_file(path: Path, data: bytes) -> bool:
    """Write one cache file atomically (temporary file, then rename); return False when it cannot be written.

    A cache that cannot be written only makes the next build slower, so this never raises.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        Path(temporary).replace(path)
    except OSError:
        return False
    return True
