"""Keep compiled regular expressions between runs: compiling them costs every process 30 ms or more.

Python compiles each pattern it meets (the tool's, and those jinja2, markdown-it, yaml, cssselect and
tomllib compile when imported) from its text in every process, in pure Python; only the last step, turning
the compiled code into a pattern object, is done in C. The cache keeps what the pure-Python part returns
(lists of integers and group names) for each pattern and flags, and hands it to that last step next time.
The C step checks the code it is given (it refuses code that could make matching read out of bounds), the
file carries its own checksum and is used only by the Python build that wrote it, and a missing, damaged or
foreign file only makes the run slower. The file is plain data read with marshal, checked value by value:
nothing in it is ever run.
"""

from __future__ import annotations

import _sre  # the C half of re: what re._compiler.compile hands its result to
import hashlib
import marshal
import os
import re
import sys
from pathlib import Path
from typing import Any

VERSION = 1
MAX_ENTRIES = 4000  # patterns kept; past this, the file keeps only those this process used
MAX_BYTES = 8 << 20
# A process that met fewer new patterns than this leaves the file as it is: a pattern built from a set (as
# markdown-it builds one) comes out in another order in every process, and is never found in the file.
MIN_NEW = 8
_TAG = f"{VERSION} {sys.implementation.cache_tag} {sys.version} {_sre.MAGIC} {_sre.CODESIZE}".encode()

Entry = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]


class RegexCache:
    """The compiled patterns of earlier runs, and what this process compiled that they lacked."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.stored: dict[tuple[str | bytes, int], Entry] = {}
        self.used: set[tuple[str | bytes, int]] = set()
        self.new = 0
        self.loaded = path is None
        self._compile = re._compiler.compile  # type: ignore[attr-defined]
        self._code = re._compiler._code  # type: ignore[attr-defined]
        self._parse = re._parser.parse  # type: ignore[attr-defined]

    def compile(self, pattern: Any, flags: int = 0) -> Any:
        """Stand in for re._compiler.compile: build the pattern from the cache, or compile it and keep it."""
        if not isinstance(pattern, (str, bytes)) or flags & re.DEBUG:
            return self._compile(pattern, flags)
        if not self.loaded:
            self.loaded = True
            self.stored = _read(self.path)
        flags = int(flags)  # a RegexFlag is an int, but marshal keeps only plain ones
        key = (pattern, flags)
        entry = self.stored.get(key)
        if entry is not None:
            try:
                compiled = _sre.compile(pattern, entry[0], entry[1], entry[2], entry[3], entry[4])
            except (RuntimeError, TypeError, ValueError, OverflowError):  # damaged code: _sre refuses it
                del self.stored[key]
            else:
                self.used.add(key)
                return compiled
        parsed = self._parse(pattern, flags)
        code = list(map(int, self._code(parsed, flags)))  # opcodes are int subclasses: marshal keeps ints
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        entry = (int(flags | parsed.state.flags), code, parsed.state.groups - 1, groupindex, tuple(indexgroup))
        compiled = _sre.compile(pattern, *entry)
        self.stored[key] = entry
        self.used.add(key)
        self.new += 1
        return compiled

    @property
    def dirty(self) -> bool:
        """Return True when this process compiled enough patterns the file lacked to write it again."""
        return self.new >= MIN_NEW

    def save(self) -> None:
        """Write the cache file when this process compiled patterns it lacked (never raises)."""
        if not self.dirty or self.path is None:
            return
        from newsletter.cache import usable
        from newsletter.writer import write_cache_file

        stored = self.stored
        if len(stored) > MAX_ENTRIES:
            stored = {key: stored[key] for key in self.used if key in stored}
        body = marshal.dumps([(key[0], key[1], *entry) for key, entry in stored.items()])
        if len(body) <= MAX_BYTES and usable(self.path.parent):
            write_cache_file(self.path, _TAG + b"\n" + hashlib.sha256(body).digest() + body)
        self.new = 0


def _read(path: Path | None) -> dict[tuple[str | bytes, int], Entry]:
    """Return the entries of the cache file, or none when it is missing, damaged or from another Python."""
    if path is None:
        return {}
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return {}
    with os.fdopen(fd, "rb") as file:
        data = file.read(MAX_BYTES + len(_TAG) + 40)
    head = len(_TAG) + 1
    if len(data) > MAX_BYTES + head + 32 or data[:head] != _TAG + b"\n":
        return {}
    digest, body = data[head:head + 32], data[head + 32:]
    if hashlib.sha256(body).digest() != digest:
        return {}
    try:
        rows = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return {}
    if type(rows) is not list:
        return {}
    entries: dict[tuple[str | bytes, int], Entry] = {}
    for row in rows:
        if _valid(row):
            entries[(row[0], row[1])] = (row[2], row[3], row[4], row[5], row[6])
    return entries


def _valid(row: Any) -> bool:
    """Return True for a well-formed row: (pattern, flags, flags, code, groups, groupindex, indexgroup)."""
    if type(row) is not tuple or len(row) != 7:
        return False
    pattern, flags, final, code, groups, groupindex, indexgroup = row
    return (type(pattern) in (str, bytes) and type(flags) is int and type(final) is int
            and type(code) is list and all(type(op) is int for op in code)
            and type(groups) is int and type(groupindex) is dict
            and all(type(k) is str and type(v) is int for k, v in groupindex.items())
            and type(indexgroup) is tuple and all(n is None or type(n) is str for n in indexgroup)
            and len(indexgroup) == groups + 1)


_installed: list[RegexCache] = []


def install(path: Path | None) -> RegexCache:
    """Make re compile through the cache at `path` from now on (once per process); return the cache."""
    if not _installed:
        import atexit

        _installed.append(RegexCache(path))
        re._compiler.compile = _installed[0].compile  # type: ignore[attr-defined]
        atexit.register(_installed[0].save)
    return _installed[0]
