"""An issue's lifecycle (draft → ready → sent): read each issue's status, and move one by editing one line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.content import ISSUE_FILE, list_issues, peek
from newsletter.errors import ContentError, UsageError
from newsletter.files import key_line, parse_toml, read_text
from newsletter.model import STATUSES
from newsletter.writer import replace_file

if TYPE_CHECKING:
    from newsletter.config import Settings

_STATUS_LINE = re.compile(r"""^(?P<head>\s*["']?status["']?\s*=\s*)(?P<value>"[^"\\]*"|'[^']*')"""
                          r"(?P<tail>\s*(?:#.*)?)$")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True)
class Change:
    """What `newsletter status` did to one issue: the status before (None: no status line) and after."""

    path: Path
    before: str | None
    after: str
    line: int

    @property
    def changed(self) -> bool:
        """Return False when the issue already had this status."""
        return self.before != self.after


def status_of(folder: Path) -> tuple[str, bool]:
    """Return an issue's status as issue.toml gives it, and whether the key is written (absent = ready)."""
    value = peek(folder, "status")
    return (value, True) if isinstance(value, str) else ("ready", False)


def statuses(settings: Settings) -> list[tuple[str, str, bool]]:
    """Return (slug, status, written) for every issue of the publication, oldest first."""
    return [(folder.name, *status_of(folder)) for folder in list_issues(settings)]


def set_status(folder: Path, status: str) -> Change:
    """Set `status` in an issue's issue.toml, changing only that line (or adding it), comments and all."""
    if status not in STATUSES:
        raise UsageError(f"{status!r} is not a status; use one of {', '.join(STATUSES)}")
    path = folder / ISSUE_FILE
    text = read_text(path)
    meta = parse_toml(text, path)
    line = key_line(text, "", "status")
    before = meta.get("status")
    if before == status:
        return Change(path, before, status, line or 0)
    raw = path.read_bytes().decode("utf-8")  # read_text has checked it; keep the BOM and line ends as they are
    lines = _LINES.findall(raw)
    want = {**meta, "status": status}
    for candidate, at in _candidates(lines, line, status):
        edited = "".join(candidate)
        try:
            if parse_toml(edited.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"), path) == want:
                replace_file(path, edited.encode("utf-8"))
                return Change(path, before if isinstance(before, str) else None, status, at)
        except ContentError:
            continue
    raise ContentError(f"cannot change `status` here without touching other lines; write `status = \"{status}\"` "
                       "in issue.toml by hand", path, line)


def _candidates(lines: list[str], line: int | None, status: str) -> list[tuple[list[str], int]]:
    """Return edited copies of the file's lines to try, each with the line of `status` in it."""
    if line is not None:  # rewrite the value, keeping the key's spelling, the quotes' style and any comment
        body = lines[line - 1].rstrip("\r\n")
        match = _STATUS_LINE.match(body)
        if not match:
            return []
        quote = match.group("value")[0]
        new = f"{match.group('head')}{quote}{status}{quote}{match.group('tail')}{lines[line - 1][len(body):]}"
        return [([*lines[:line - 1], new, *lines[line:]], line)]
    end = next((line[len(line.rstrip("\r\n")):] for line in lines if line.endswith(("\n", "\r"))), "\n")
    added = f'status = "{status}"{end}'
    first = next((i for i, row in enumerate(lines) if row.strip() and not row.lstrip().startswith("#")), len(lines))
    tail = [*lines[:-1], lines[-1] + end] if lines and not lines[-1].endswith(("\n", "\r")) else lines
    return [([*tail, added], len(tail) + 1),  # at the end: after the intro, where most issue.toml files end
            ([*lines[:first], added, *lines[first:]], first + 1)]  # before the first key: always top level
