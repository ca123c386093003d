"""Keep what every process compiles the same way between runs: regular expressions and dataclass methods.

Python compiles, in every process, each regular expression it meets (the tool's, and those jinja2,
markdown-it, yaml, cssselect and tomllib compile when imported), in pure Python, and the methods of every
dataclass, from generated source: about 30 and 20 ms of a 220 ms build. This cache keeps the results:

- for a pattern and its flags, what re's pure-Python compiler returns (integer code and group names), handed
  next time to `_sre.compile`, the C step re itself ends with; that step checks the code it is given;
- for the source text dataclasses generates (the same for the same class in every run), the code object
  Python compiles from it, as Python's own __pycache__ and Jinja's bytecode cache (see render/templates.py)
  keep compiled code.

The file lives in the user's cache folder, never in a publication (which must not be able to supply code),
is written atomically and privately by the writer, carries a checksum and the tag of the Python build that
wrote it, and is read only by that build and only when this user alone could have written it; a missing,
damaged or foreign file only makes the run slower.
"""

from __future__ import annotations

import _sre  # the C half of re: what re._compiler.compile hands its result to
import hashlib
import marshal
import re
import sys
import types
from array import array
from pathlib import Path
from typing import Any

VERSION = 1
MAX_ENTRIES = 6000  # patterns and sources kept, in memory and in the file; a full file keeps what was used
MAX_BYTES = 16 << 20
# A process that met fewer new entries than this leaves the file as it is: a pattern built from a set (as
# markdown-it builds one) comes out in another order in every process, and is never found in the file.
MIN_NEW = 8
_CODE_WORD = next(t for t in "IL" if array(t).itemsize == _sre.CODESIZE)  # pattern code, stored as bytes
_TAG = (f"newsletter compile cache {VERSION} {sys.implementation.cache_tag} {marshal.version} {sys.version} "
        f"{_sre.MAGIC} {_sre.CODESIZE}").encode()

Pattern = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]  # what _sre.compile takes


class CompileCache:
    """What earlier runs compiled, and what this process compiled that they lacked."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.patterns: dict[tuple[str | bytes, int], Pattern] = {}
        self.code: dict[str, types.CodeType] = {}
        self.used: set[object] = set()
        self.new = 0
        self.loaded = path is None
        self._compile = re._compiler.compile  # type: ignore[attr-defined]

    def _load(self) -> None:
        """Read the file on first use (after install, so that finding it costs nothing here)."""
        self.loaded = True
        try:
            patterns, code = _read(self.path)
        except Exception:  # whatever the file holds, a cache must not stop the tool
            return
        self.patterns.update(patterns)
        self.code.update(code)

    def compile_pattern(self, pattern: Any, flags: int = 0) -> Any:
        """Stand in for re._compiler.compile: build the pattern from the cache, or compile it and keep it."""
        if not isinstance(pattern, (str, bytes)) or flags & re.DEBUG:
            return self._compile(pattern, flags)
        if not self.loaded:
            self._load()
        key = (pattern, int(flags))  # a RegexFlag is an int, but marshal keeps only plain ones
        entry = self.patterns.get(key)
        if entry is not None:
            try:
                compiled = _sre.compile(pattern, *entry)
            except (RuntimeError, TypeError, ValueError, OverflowError):  # code _sre refuses: compile again
                del self.patterns[key]
            else:
                self.used.add(key)
                return compiled
        parsed = re._parser.parse(pattern, flags)  # type: ignore[attr-defined]
        code = list(map(int, re._compiler._code(parsed, flags)))  # type: ignore[attr-defined]  # int subclasses
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in parsed.state.groupdict.items():
            indexgroup[index] = name
        entry = (int(flags | parsed.state.flags), code, parsed.state.groups - 1, dict(parsed.state.groupdict),
                 tuple(indexgroup))
        compiled = _sre.compile(pattern, *entry)
        if self._room():
            self.patterns[key] = entry
        self._added(key)
        return compiled

    def exec_source(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        """Stand in for exec in dataclasses: run the code compiled from this source in an earlier run."""
        if globals is None:  # as exec() itself: the caller's namespaces
            frame = sys._getframe(1)
            globals, locals = frame.f_globals, frame.f_locals if locals is None else locals
        if type(source) is not str:
            exec(source, globals, locals)
            return
        if not self.loaded:
            self._load()
        code = self.code.get(source)
        if code is None:
            code = compile(source, "<string>", "exec")  # as exec(source) compiles it
            if self._room():
                self.code[source] = code
            self._added(source)
        else:
            self.used.add(source)
        exec(code, globals, locals)

    def _room(self) -> bool:
        """Return True while the cache holds fewer than MAX_ENTRIES (a long preview must not grow without end)."""
        return len(self.patterns) + len(self.code) < MAX_ENTRIES

    def _added(self, key: object) -> None:
        """Count what the cache lacked (kept, or left out when the cache is full)."""
        self.used.add(key)
        self.new += 1

    @property
    def dirty(self) -> bool:
        """Return True when this process compiled enough that the file lacked to write it again."""
        return self.new >= MIN_NEW

    def save(self) -> None:
        """Write the cache file when this process compiled enough that it lacked (never raises)."""
        if not self.dirty or self.path is None:
            return
        from newsletter.cache import usable
        from newsletter.writer import write_cache_file

        patterns, code = self.patterns, self.code
        if not self._room():  # full: keep what this process used, so that what it lacked fits next time
            patterns = {key: value for key, value in patterns.items() if key in self.used}
            code = {key: value for key, value in code.items() if key in self.used}
        body = marshal.dumps((
            [(key[0], key[1], entry[0], array(_CODE_WORD, entry[1]).tobytes(), *entry[2:])
             for key, entry in patterns.items()],
            list(code.items())))
        if len(body) <= MAX_BYTES and usable(self.path.parent):
            write_cache_file(self.path, _TAG + b"\n" + hashlib.sha256(body).digest() + body)
        self.new = 0


def _read(path: Path | None) -> tuple[dict[tuple[str | bytes, int], Pattern], dict[str, types.CodeType]]:
    """Return the patterns and code of the cache file; none when it is missing, damaged or from another Python."""
    from newsletter.cache import read_private

    head = len(_TAG) + 1
    data = read_private(path, MAX_BYTES + head + 32) if path is not None else None
    if data is None:
        return {}, {}
    digest, body = data[head:head + 32], data[head + 32:]
    if data[:head] != _TAG + b"\n" or len(body) > MAX_BYTES or hashlib.sha256(body).digest() != digest:
        return {}, {}
    try:
        rows, sources = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return {}, {}
    patterns: dict[tuple[str | bytes, int], Pattern] = {}
    for row in rows if type(rows) is list else ():
        if _valid(row):
            words = array(_CODE_WORD)
            words.frombytes(row[3])
            patterns[(row[0], row[1])] = (row[2], words.tolist(), row[4], row[5], row[6])
    code = {item[0]: item[1] for item in (sources if type(sources) is list else ())
            if type(item) is tuple and len(item) == 2 and type(item[0]) is str and type(item[1]) is types.CodeType}
    return patterns, code


def _valid(row: Any) -> bool:
    """Return True for a well-formed pattern row: (pattern, flags, flags, code, groups, groupindex, indexgroup)."""
    if type(row) is not tuple or len(row) != 7:
        return False
    pattern, flags, final, code, groups, groupindex, indexgroup = row
    return (type(pattern) in (str, bytes) and type(flags) is int and type(final) is int
            and type(code) is bytes and len(code) % _sre.CODESIZE == 0
            and type(groups) is int and type(groupindex) is dict
            and all(type(k) is str and type(v) is int for k, v in groupindex.items())
            and type(indexgroup) is tuple and all(n is None or type(n) is str for n in indexgroup)
            and len(indexgroup) == groups + 1)


_installed: list[CompileCache] = []


def install(path: Path | None) -> CompileCache:
    """Make re and dataclasses compile through the cache at `path` from now on (once per process)."""
    if not _installed:
        import atexit
        import dataclasses

        cache = CompileCache(path)
        _installed.append(cache)
        re._compiler.compile = cache.compile_pattern  # type: ignore[attr-defined]
        dataclasses.exec = cache.exec_source  # type: ignore[attr-defined]  # its only way to make methods
        atexit.register(cache.save)
    return _installed[0]
