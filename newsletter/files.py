"""Read the user's text files: UTF-8 checks, TOML with line numbers, key positions."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsletter.errors import ContentError

_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")
_TABLE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")


def read_text(path: Path) -> str:
    """Return the file's text, or raise naming the line that is not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ContentError("file not found", path) from None
    except OSError as exc:
        raise ContentError(f"cannot read the file: {exc.strerror}", path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ContentError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8", path, line
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """Parse TOML text, raising with the parser's line on a syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_AT.search(message)
        line = int(match.group(1)) if match else None
        message = _TOML_AT.sub("", message).strip()
        raise ContentError(f"invalid TOML: {message}", path, line) from None


def key_line(text: str, table: str, key: str) -> int | None:
    """Return the line where `key` is set inside `[table]` ('' is the top level)."""
    current = ""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header and "=" not in line:
            current = header.group(1).replace('"', "").strip()
            if current == table and key == "":
                return number
            continue
        if current == table and pattern.match(line):
            return number
    return None


def table_line(text: str, table: str) -> int | None:
    """Return the line of the `[table]` header."""
    return key_line(text, table, "")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """Return "; did you mean `x`?" for the known word closest to a likely typo, or ""."""
    import difflib

    matches = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean `{matches[0]}`?" if matches else ""
