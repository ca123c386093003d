"""The one writer: every file the tool makes is written here, into a folder swapped in atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from newsletter.errors import NewsletterError, UsageError

CACHE_DIR = ".newsletter-cache"  # under the publication root: caches that only make builds faster


MARKER = ".newsletter-output"  # in every folder write_tree makes: what kind of output it holds


def write_tree(target: Path, files: dict[str, bytes], copies: dict[str, Path] | None = None,
               *, kind: str | None, replace: bool = True, folders: tuple[str, ...] = (),
               keep: tuple[str, ...] = ()) -> None:
    """Write files (and copies of source files) into a fresh folder, then rename it to `target`.

    A failure at any point leaves `target` as it was: the old folder is only removed once the new one
    is in place. An existing `target` is only replaced when it is empty or holds output of the same `kind`
    (its marker file says so), so a mistaken --out never deletes someone's files. Entries named in `keep`
    (such as a build's export/ folder) are carried over from the old folder. `kind=None` (scaffolding,
    with replace=False) writes no marker, and fills an existing empty folder in place, so a shell whose
    current folder it is keeps working.
    """
    _check_replaceable(target, kind, replace, keep)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    kept: list[str] = []
    try:
        if kind:
            _place(staging, MARKER).write_text(kind + "\n", encoding="utf-8")
        for name, data in files.items():
            _place(staging, name).write_bytes(data)
        for name in folders:
            _place(staging, f"{name}/.").mkdir(parents=True, exist_ok=True)
        for name, source in (copies or {}).items():
            shutil.copyfile(source, _place(staging, name))
        staging.chmod(0o755)
        for name in keep:
            if (target / name).exists() and not (staging / name).exists():
                (target / name).rename(staging / name)
                kept.append(name)
        if not replace and target.is_dir():
            _fill(staging, target)
        else:
            _swap(staging, target)
    except OSError as exc:
        _give_back(staging, target, kept)
        raise NewsletterError(f"cannot write {target.name}: {exc.strerror or exc}", target) from None
    except BaseException:
        _give_back(staging, target, kept)
        raise


def _check_replaceable(target: Path, kind: str, replace: bool, keep: tuple[str, ...]) -> None:
    """Refuse a target that is a file, or a folder holding anything but our own output of this kind."""
    if not target.exists():
        return
    if not target.is_dir():
        raise UsageError(f"{target} is a file; give a folder for the output", target)
    entries = {entry.name for entry in target.iterdir()} - set(keep)
    if not entries:
        return
    if not replace:
        raise UsageError(f"{target.name} already exists; choose another name or remove it", target)
    try:
        found = (target / MARKER).read_text(encoding="utf-8").strip()
    except OSError:
        found = ""
    if found != kind:
        what = f"holds {found} output" if found else "was not written by newsletter"
        raise UsageError(f"{target} is not empty and {what}; choose a new or empty folder (its contents "
                         f"would be replaced by the {kind})", target)


def _fill(staging: Path, target: Path) -> None:
    """Move staging's entries into the existing empty target, taking them back out if one move fails."""
    moved: list[Path] = []
    try:
        for entry in sorted(staging.iterdir()):
            entry.rename(target / entry.name)
            moved.append(target / entry.name)
    except OSError:
        for path in moved:
            path.rename(staging / path.name)
        raise
    staging.rmdir()


def _give_back(staging: Path, target: Path, kept: list[str]) -> None:
    """Return carried-over entries to the old folder and remove the staging folder."""
    for name in kept:
        if (staging / name).exists() and target.exists() and not (target / name).exists():
            (staging / name).rename(target / name)
    shutil.rmtree(staging, ignore_errors=True)


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


def replace_file(path: Path, data: bytes, new_mode: int | None = None) -> None:
    """Replace one of the user's files atomically (a temporary file beside it, then rename), keeping its mode.

    A file that does not exist yet gets `new_mode` (default: private to the user, as mkstemp makes it).
    """
    mode = path.stat().st_mode & 0o7777 if path.exists() else new_mode
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if mode is not None:
            Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_cache_file(path: Path, data: bytes) -> bool:
    """Write one cache file atomically (temporary file, then rename); return False when it cannot be written.

    A cache that cannot be written only makes the next build slower, so this never raises.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, data)
    except OSError:
        return False
    return True


def update_files(target: Path, files: dict[str, bytes], copies: dict[str, Path] | None = None,
                 remove: tuple[str, ...] | list[str] = ()) -> None:
    """Write, copy and remove single files inside an existing output folder, each file replaced atomically.

    For output updated a little at a time (the web archive): each file is written beside its final name and
    renamed over it (replace_file), so a reader never sees half a file and a failure leaves that file as it
    was; new files are readable by a web server. Nothing in `target` but the named files is touched; folders
    left empty by a removal are removed too.
    """
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    jobs: list[tuple[str, bytes | Path]] = [*files.items(), *(copies or {}).items()]
    for name, content in jobs:
        path = _place(target, name)
        try:
            replace_file(path, content if isinstance(content, bytes) else content.read_bytes(), new_mode=0o644)
        except OSError as exc:
            raise NewsletterError(f"cannot write {name}: {exc.strerror or exc}", path) from None
    for name in remove:
        path = _place(target, name)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise NewsletterError(f"cannot remove {name}: {exc.strerror or exc}", path) from None
        folder = path.parent
        while folder != root and folder.is_relative_to(root):
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
