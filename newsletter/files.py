"""Read the user's files: regular files only, size-capped, UTF-8 checks, TOML with line numbers, key positions."""

from __future__ import annotations

import functools
import os
import re
import stat
import tomllib
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from newsletter import limits
from newsletter.errors import ContentError

# A file changed this close to when it was last looked at may have changed again unseen (FAT times are 2 s
# apart): it is read again, as git's index does.
RACY_NS = 2_000_000_000

_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")
_TABLE = re.compile(r"^\s*\[\[?([A-Za-z0-9_.\-\" ]+)\]\]?\s*(?:#.*)?$")  # linear: no two runs can share a space
_KEY = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")


def read_bytes(path: Path, limit: int = limits.MAX_TEXT_BYTES, *, follow: bool = True) -> bytes:
    """Return a regular file's bytes; raise for FIFOs, devices, sockets and folders, and past `limit` bytes.

    The file is opened without blocking (a named pipe would otherwise wait for a writer for ever), checked on
    the open descriptor, and read no further than the limit (a link to /dev/zero is refused, not read).
    With follow=False a symbolic link is refused too.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
        if path.is_symlink():  # not even opened (O_NOFOLLOW would refuse it too)
            raise ContentError("a symbolic link, not a regular file; replace it with a file", path)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ContentError("file not found", path) from None
    except OSError as exc:
        kind = special_kind(path)
        if kind:
            raise ContentError(f"{kind}, not a regular file; replace it with a file", path) from None
        raise ContentError(f"cannot read the file: {exc.strerror or exc}", path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ContentError(f"{_kind(info.st_mode)}, not a regular file; replace it with a file", path)
        if info.st_size > limit:
            raise ContentError(_too_big(info.st_size, limit), path)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ContentError(_too_big(size, limit), path)
        return b"".join(chunks)
    except OSError as exc:
        raise ContentError(f"cannot read the file: {exc.strerror or exc}", path) from None
    finally:
        os.close(fd)


def _too_big(size: int, limit: int) -> str:
    """Return the message for a file over its size limit."""
    return (f"the file is {limits.describe_bytes(size)}, more than the {limits.describe_bytes(limit)} this tool "
            "reads; split it up or make it smaller")


def special_kind(path: Path) -> str | None:
    """Return what a path is when it exists but is neither a regular file nor a folder ("a named pipe (FIFO)")."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else _kind(mode)


def _kind(mode: int) -> str:
    """Return the name of a file type."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a special file"


def fingerprint(path: Path) -> bytes:
    """Return what identifies a file's version without following links or reading anything but regular files.

    A regular file gives its content (read up to the image size limit, else its size and modification time),
    a symbolic link the path it points to, anything else its type: hashing a folder never blocks on a pipe or
    reads a device or a file outside it.
    """
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return b"\1link " + os.fsencode(path.readlink())
        if not stat.S_ISREG(info.st_mode):
            return b"\1" + _kind(info.st_mode).encode()
        if info.st_size > limits.MAX_IMAGE_BYTES:
            return f"\1large {info.st_size} {info.st_mtime_ns}".encode()
        return read_bytes(path, limits.MAX_IMAGE_BYTES, follow=False)
    except (OSError, ContentError):
        return b"\1unreadable"


def read_text(path: Path, limit: int = limits.MAX_TEXT_BYTES) -> str:
    """Return the file's text, or raise naming the line that is not UTF-8."""
    data = read_bytes(path, limit)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ContentError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8", path, line
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """Parse TOML text, raising with the parser's line on a syntax error (or where it nests too deeply)."""
    deep = limits.toml_depth_line(text)
    if deep is not None:
        raise ContentError(f"invalid TOML: {limits.data_depth_message('this value')}", path, deep)
    try:
        return tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or an integer too long to convert
        message = str(exc)
        match = _TOML_AT.search(message)
        line = int(match.group(1)) if match else None
        message = _TOML_AT.sub("", message).strip()
        raise ContentError(f"invalid TOML: {message}", path, line) from None


def key_line(text: str, table: str, key: str) -> int | None:
    """Return the line where `key` is set inside `[table]` ('' is the top level, key '' its header)."""
    return _key_lines(text).get((table, key))


@functools.lru_cache(maxsize=16)
def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """Return the first line of every (table, key) and (table, '') header of a TOML text, in one pass."""
    lines: dict[tuple[str, str], int] = {}
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header and "=" not in line:
            current = header.group(1).replace('"', "").strip()
            lines.setdefault((current, ""), number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((current, key.group(1) or key.group(2) or key.group(3)), number)
    return lines


def string_line(text: str, key: str) -> int:
    """Return the line where a top-level TOML string's text starts (the line after an opening triple quote)."""
    line = key_line(text, "", key) or 1
    raw = text.split("\n")[line - 1].rstrip()
    return line + 1 if raw.endswith(('"""', "'''")) else line


def table_line(text: str, table: str) -> int | None:
    """Return the line of the `[table]` header."""
    return key_line(text, table, "")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """Return "; did you mean `x`?" for the known word closest to a likely typo, or ""."""
    import difflib

    matches = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean `{matches[0]}`?" if matches else ""


def files_of(folder: Path, hidden: bool = False, *, skip: Collection[str] = (),
             follow: bool = True) -> list[tuple[str, str, os.stat_result]]:
    """Return (name below folder, path, stat) of every file under a folder, in name order: hidden folders and
    folders named in `skip` are not entered (hidden ones are with hidden=True); follow=False stats a link itself.

    Plain strings and os.scandir, not a Path per file: a publication of 1,000 issues has 12,000 files to look
    at on every run.
    """
    found: list[tuple[str, str, os.stat_result]] = []
    pending = [(str(folder), "")]
    while pending:
        where, prefix = pending.pop()
        try:
            with os.scandir(where) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in listed:
            name = prefix + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if (hidden or not entry.name.startswith(".")) and entry.name not in skip:
                        pending.append((entry.path, name + "/"))
                    continue
                found.append((name, entry.path, entry.stat(follow_symlinks=follow)))
            except OSError:
                continue
    found.sort(key=lambda item: item[0])
    return found
