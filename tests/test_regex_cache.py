"""The compiled-pattern cache: patterns it gives back match exactly as freshly compiled ones; bad files are skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT

# Patterns of many shapes: named and numbered groups, flags inline and passed, lookarounds, backreferences,
# Unicode classes and case folding, bytes, verbose mode, and a pattern that is a RegexFlag-flagged compile.
PROBE = r'''
import json, re, sys
from pathlib import Path
from newsletter import regex_cache

cache = regex_cache.install(Path(sys.argv[1]))
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
print(json.dumps({"results": out, "dirty": cache.dirty, "stored": len(cache.stored)}))
'''


def probe(path: Path, fresh: bool = False) -> dict:
    """Run the probe in a new process with the cache file at path (fresh: without the cache, for reference)."""
    code = PROBE.replace("cache = regex_cache.install(Path(sys.argv[1]))", "cache = regex_cache.RegexCache(None)") \
        if fresh else PROBE
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(PROJECT)}, check=True)
    return json.loads(result.stdout)


def test_patterns_from_the_cache_match_as_freshly_compiled_ones(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "regex.bin"
    reference = probe(path, fresh=True)["results"]
    first = probe(path)
    assert first["dirty"] and path.is_file(), "the first process compiles the patterns and keeps them"
    second = probe(path)
    assert not second["dirty"] and second["stored"] >= 9, "the second one takes every pattern from the file"
    assert first["results"] == second["results"] == reference


def test_a_damaged_or_foreign_cache_file_only_costs_time(tmp_path: Path) -> None:
    path = tmp_path / "regex.bin"
    reference = probe(path, fresh=True)["results"]
    probe(path)
    good = path.read_bytes()
    damaged = bytearray(good)
    damaged[-5] ^= 0xFF  # inside a pattern's code: the checksum no longer matches
    for data in (bytes(damaged), b"not a cache", good.replace(b"cpython", b"pypy-xx", 1), b""):
        path.write_bytes(data)
        again = probe(path)
        assert again["results"] == reference and again["dirty"], data[:20]
        assert path.read_bytes()[:40] == good[:40], "a good file replaces the bad one"


def test_code_the_regex_engine_refuses_is_compiled_again(tmp_path: Path) -> None:
    """A file whose checksum holds but whose code is wrong (written by hand, say): _sre rejects it, re compiles."""
    import hashlib
    import marshal

    from newsletter import regex_cache

    path = tmp_path / "regex.bin"
    reference = probe(path, fresh=True)["results"]
    probe(path)
    head = len(regex_cache._TAG) + 1
    rows = marshal.loads(path.read_bytes()[head + 32:])
    rows = [(*row[:3], [999999, *row[3]], *row[4:]) for row in rows]
    body = marshal.dumps(rows)
    path.write_bytes(regex_cache._TAG + b"\n" + hashlib.sha256(body).digest() + body)
    again = probe(path)
    assert again["results"] == reference and again["dirty"]


def test_a_build_keeps_its_patterns_and_the_next_build_reuses_them(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    outputs = []
    for run in ("cold", "warm"):
        result = subprocess.run([sys.executable, "-m", "newsletter", "--root", str(PROJECT), "build",
                                 "2026-11-14-the-bridge", "--out", str(tmp_path / run)],
                                env=env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / run / "2026-11-14-the-bridge" / "email.html").read_bytes())
        files = list((tmp_path / "xdg" / "newsletter" / "shared" / "regex").iterdir())
        assert [f.name for f in files] == [f"{sys.implementation.cache_tag}.bin"]
        if run == "cold":
            written = files[0].stat().st_mtime_ns
    assert outputs[0] == outputs[1]
    assert files[0].stat().st_mtime_ns == written, "nothing new was compiled, so the file was not rewritten"
