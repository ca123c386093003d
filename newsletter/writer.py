"""The one writer: every file the tool makes is written here, into a folder swapped in atomically."""

from __future__ import annotations

import errno
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from newsletter.errors import ContentError, NewsletterError, UsageError
from newsletter.files import read_bytes

MARKER = ".newsletter-output"  # in every folder write_tree makes: what kind of output it holds


def write_tree(target: Path, files: dict[str, bytes], copies: dict[str, Path] | None = None,
               *, kind: str | None, replace: bool = True, folders: tuple[str, ...] = (),
               keep: tuple[str, ...] = ()) -> None:
    """Write files (and copies of source files) into a fresh folder, then swap it in for `target`.

    A failure at any point leaves `target` as it was, and so does a kill: on Linux the new folder and the old
    one change places in one step (renameat2 RENAME_EXCHANGE); elsewhere, or on a file system that cannot,
    the old folder is renamed aside first and a later run puts it back if the process died in between.
    Staging folders left by a killed run are removed by the next write to the same target, and an entry
    carried over in them (`keep`, such as a build's export/ folder) is given back first. An existing `target`
    is only replaced when it is empty or holds output of the same `kind` (its marker file says so), so a
    mistaken --out never deletes someone's files. `kind=None` (scaffolding, with replace=False) writes no
    marker, and fills an existing empty folder in place, so a shell whose current folder it is keeps working.
    """
    staging: Path | None = None
    kept: list[str] = []
    try:
        recover(target, keep)
        _check_replaceable(target, kind, replace, keep)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp", dir=target.parent))
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
        if staging is not None:
            _give_back(staging, target, kept)
        raise cannot_write(exc, target) from None
    except BaseException:
        if staging is not None:
            _give_back(staging, target, kept)
        raise


def cannot_write(exc: OSError, target: Path) -> NewsletterError:
    """Return the error for a write that failed, at the folder that refused it: why, and what to do."""
    folder = Path(exc.filename).parent if isinstance(exc.filename, str) and exc.filename else target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if exc.errno in {errno.EACCES, errno.EPERM, errno.EROFS}:
        advice = "make it writable, or write the output somewhere else (--out)"
    elif exc.errno in {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}:
        advice = "the disk is full: free some space and run again"
    else:
        advice = "check the folder and run again"
    why = exc.strerror or str(exc)
    return NewsletterError(f"cannot write {target.name} into this folder: {why[:1].lower() + why[1:]}; {advice}",
                           folder)


_LEFTOVER = re.compile(r"(\d+)(?:-\w+)?\.(tmp|old)")


def recover(target: Path, keep: tuple[str, ...] = ()) -> None:
    """Finish what a killed write to `target` left: put the old folder back or hand back kept entries, then clean.

    Only leftovers of processes that no longer run are touched (a concurrent write keeps its staging folder).
    """
    prefix = f".{target.name}."
    try:
        names = [entry.name for entry in os.scandir(target.parent) if entry.name.startswith(prefix)]
    except OSError:
        return
    found = []
    for name in names:
        match = _LEFTOVER.fullmatch(name[len(prefix):])
        if match and not process_alive(int(match.group(1))):
            found.append((match.group(2) != "old", target.parent / name))
    for _, leftover in sorted(found):  # an old folder first: it is the target a kill left missing
        if leftover.is_symlink() or not leftover.is_dir():
            continue
        try:
            if leftover.suffix == ".old" and not target.exists():
                leftover.rename(target)
                continue
            for name in keep:
                if target.is_dir() and (leftover / name).exists() and not (target / name).exists():
                    (leftover / name).rename(target / name)
        except OSError:
            continue
        shutil.rmtree(leftover, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """Return True when a process with this id runs (this one included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it runs, as another user
    return True


def check_target(target: Path, kind: str, keep: tuple[str, ...] = ()) -> None:
    """Raise the UsageError write_tree() would raise for `target`, before any work is done for it."""
    _check_replaceable(target, kind, True, keep)


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
        found = read_bytes(target / MARKER, 256, follow=False).decode("utf-8", "replace").strip()
    except ContentError:
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
    """Put staging where target is, in one step where the system can; the previous target is then removed."""
    if not target.exists():
        staging.rename(target)
        return
    if exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # it holds the previous output now
        return
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    if old.exists():
        shutil.rmtree(old)
    target.rename(old)  # a kill from here to the next rename leaves `old`, which recover() puts back
    try:
        staging.rename(target)
    except OSError:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths atomically (Linux renameat2 RENAME_EXCHANGE); False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)  # glibc 2.28 and later, musl 1.2.5 and later
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}:
        return False  # the file system cannot exchange (or the kernel is older than 3.15)
    raise OSError(code, os.strerror(code), str(second))


def write_cache_entry(entry: Path, files: dict[str, bytes]) -> bool:
    """Create a cache folder holding `files` in one step (a rename); return False when it cannot be written.

    When another process created the same entry first, its entry is kept and this returns True.
    """
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{entry.name[:12]}.", suffix=".tmp", dir=entry.parent))
    except OSError:
        return False
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        staging.rename(entry)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return entry.is_dir() and not entry.is_symlink()
    return True


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
