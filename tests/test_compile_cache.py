"""The compile cache: patterns and dataclasses it gives back behave as freshly compiled ones; bad files are skipped."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import subprocess
import sys
from array import array
from pathlib import Path

from newsletter import compile_cache
from tests.conftest import PROJECT

# Patterns of many shapes (named and numbered groups, flags inline and passed, lookarounds, backreferences,
# Unicode classes and case folding, bytes, verbose mode) and dataclasses (frozen, defaults, factories, order).
PROBE = r'''
import dataclasses, json, re, sys
from pathlib import Path
from newsletter import compile_cache

cache = compile_cache.install(Path(sys.argv[1])) if sys.argv[1] != "-" else None
cases = [
    (r"(?P<year>\d{4})-(?P<month>\d\d)(?:-(\d\d))?", 0, "on 2024-05-01 and 2023-12"),
    (r"(?i)straße|STRASSE", 0, "Strasse STRASSE straße"),
    (r"\bcolou?r\b", re.IGNORECASE | re.MULTILINE, "Colour\ncolor COLOR"),
    (r"(?<=\$)\d+(?!\d*%)", 0, "$15 and $20% and $7"),
    (r"(\w)\1", re.UNICODE, "book keeper ññ"),
    (r"""(?x) ^ \s* [#] \s* (?P<title> .+? ) \s* $""", re.M, "# Title  \n text\n#  Other"),
    (r"[^\x00-\x7f]+", 0, "café naïve 東京"),
    (r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL, "{{ a\n}} {% b %}"),
]
out = []
for pattern, flags, text in cases:
    compiled = re.compile(pattern, flags)
    out.append([compiled.pattern, compiled.flags, compiled.groups, dict(compiled.groupindex),
                [[m.span(), m.groups(), m.groupdict()] for m in compiled.finditer(text)]])
raw = re.compile(rb"\x00(?P<tag>[A-Z]{2})", re.S)
out.append([raw.flags, [m.span() for m in raw.finditer(b"..\x00AB\x00c\x00CD")]])

@dataclasses.dataclass(frozen=True, order=True)
class Point:
    x: int
    y: int = 2
    tags: tuple = ()

@dataclasses.dataclass
class Box:
    items: list = dataclasses.field(default_factory=list)

p = Point(1)
try:
    p.x = 5
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
box = Box()
box.items.append(1)
out.append([repr(p), p == Point(1, 2), hash(p) == hash(Point(1)), Point(0) < p, frozen, repr(box), Box().items])
print(json.dumps({"results": out, "dirty": bool(cache and cache.dirty),
                  "stored": len(cache.patterns) + len(cache.code) if cache else 0}))
'''


def probe(path: Path | None) -> dict:
    """Run the probe in a new process with the cache file at path (None: no cache at all, for reference)."""
    result = subprocess.run([sys.executable, "-c", PROBE, str(path) if path else "-"], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(PROJECT)}, check=True)
    return json.loads(result.stdout)


def test_what_the_cache_gives_back_behaves_as_freshly_compiled(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "compiled.bin"
    reference = probe(None)["results"]
    first = probe(path)
    assert first["dirty"] and path.is_file(), "the first process compiles the patterns and keeps them"
    second = probe(path)
    assert not second["dirty"] and second["stored"] >= 20, "the second one takes everything from the file"
    assert first["results"] == second["results"] == reference


def test_a_damaged_or_foreign_cache_file_only_costs_time(tmp_path: Path) -> None:
    path = tmp_path / "compiled.bin"
    reference = probe(None)["results"]
    probe(path)
    good = path.read_bytes()
    damaged = bytearray(good)
    damaged[-5] ^= 0xFF  # the checksum no longer matches
    for data in (bytes(damaged), b"not a cache", good.replace(b"cpython", b"pypy-xx", 1), good[:-100], b""):
        path.write_bytes(data)
        again = probe(path)
        assert again["results"] == reference and again["dirty"], data[:20]
        assert path.read_bytes()[:60] == good[:60], "a good file replaces the bad one"


def test_pattern_code_the_regex_engine_refuses_is_compiled_again(tmp_path: Path) -> None:
    """A file whose checksum holds but whose pattern code is wrong (written by hand): _sre rejects it."""
    path = tmp_path / "compiled.bin"
    reference = probe(None)["results"]
    probe(path)
    head = len(compile_cache._TAG) + 1
    rows, sources = marshal.loads(path.read_bytes()[head + 32:])
    bogus = array(compile_cache._CODE_WORD, [999999]).tobytes()  # no opcode has this number
    rows = [(*row[:3], bogus + row[3], *row[4:]) for row in rows]
    body = marshal.dumps((rows, [*sources, ("not code", 1), (2, "x"), 3, ("a", "b", "c")]))
    path.write_bytes(compile_cache._TAG + b"\n" + hashlib.sha256(body).digest() + body)
    again = probe(path)
    assert again["results"] == reference and again["dirty"]


def test_a_build_keeps_what_it_compiled_and_the_next_build_reuses_it(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    outputs = []
    for run in ("cold", "warm"):
        result = subprocess.run([sys.executable, "-m", "newsletter", "--root", str(PROJECT), "build",
                                 "2026-11-14-the-bridge", "--out", str(tmp_path / run)],
                                env=env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / run / "2026-11-14-the-bridge" / "email.html").read_bytes())
        files = list((tmp_path / "xdg" / "newsletter" / "shared" / "compiled").iterdir())
        assert [f.name for f in files] == [f"{sys.implementation.cache_tag}.bin"]
        if run == "cold":
            written = files[0].stat().st_mtime_ns
    assert outputs[0] == outputs[1]
    assert files[0].stat().st_mtime_ns == written, "nothing new was compiled, so the file was not rewritten"


def test_the_cache_stays_bounded_and_a_full_file_keeps_what_was_used(tmp_path: Path, monkeypatch) -> None:
    """Patterns built from ever-new text (a long preview) do not grow the cache past MAX_ENTRIES."""
    monkeypatch.setattr(compile_cache, "MAX_ENTRIES", 20)
    path = tmp_path / "compiled.bin"
    cache = compile_cache.CompileCache(path)
    for n in range(60):
        pattern = cache.compile_pattern(f"word{n}+", 0)
        assert pattern.fullmatch(f"word{n}") and not pattern.fullmatch(f"word{n}x")
    assert len(cache.patterns) == 20 and cache.dirty
    cache.save()
    again = compile_cache.CompileCache(path)
    again.compile_pattern("word3+", 0)
    assert len(again.patterns) == 20 and "word3+" in {key[0] for key in again.patterns}
    for n in range(100, 140):
        again.compile_pattern(f"other{n}", 0)
    again.save()  # full: only what this process used is kept, so the next process has room
    kept = compile_cache.CompileCache(path)
    kept.compile_pattern("word3+", 0)
    assert {key[0] for key in kept.patterns} == {"word3+"}


def test_code_caches_are_read_only_when_this_user_alone_could_have_written_them(tmp_path: Path) -> None:
    """A cache folder shared with other users (XDG_CACHE_HOME in /tmp) must not let them supply code."""
    from newsletter.cache import read_private

    path = tmp_path / "entry.bin"
    path.write_bytes(b"compiled")
    path.chmod(0o600)
    assert read_private(path, 100) == b"compiled"
    assert read_private(path, 4) is None, "past the limit"
    path.chmod(0o666)
    assert read_private(path, 100) is None, "others could have written it"
    path.chmod(0o600)
    (tmp_path / "link.bin").symlink_to(path)
    assert read_private(tmp_path / "link.bin", 100) is None
    os.mkfifo(tmp_path / "pipe.bin")
    assert read_private(tmp_path / "pipe.bin", 100) is None, "a named pipe is not waited on"
    if os.getuid() == 0:  # only root can give a file to another user
        os.chown(path, 4242, -1)
        assert read_private(path, 100) is None, "another user's file"


def test_a_compiled_template_others_could_write_is_compiled_again(tmp_path: Path) -> None:
    """Jinja's bytecode cache goes through the same check: a planted entry is never run."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    command = [sys.executable, "-m", "newsletter", "--root", str(PROJECT), "build", "2026-11-14-the-bridge",
               "--out", str(tmp_path / "out")]
    assert subprocess.run(command, env=env, capture_output=True, timeout=120, check=False).returncode == 0
    entries = list((tmp_path / "xdg" / "newsletter" / "shared" / "jinja").glob("*.cache"))
    assert entries
    planted = tmp_path / "planted"
    code = compile(f"open({str(planted)!r}, 'w').write('ran')", "<planted>", "exec")
    for entry in entries:  # what Jinja's bucket reads: its magic, the checksum of the source, then marshal
        data = entry.read_bytes()
        magic_and_checksum = data[:data.index(b"\xe3")] if b"\xe3" in data else data[:40]
        entry.write_bytes(magic_and_checksum + marshal.dumps(code))
        entry.chmod(0o666)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert not planted.exists(), "a cache entry others could write was run"
