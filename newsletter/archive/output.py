"""The site folder as the archive updates it: each file written only when it differs from what is there."""

from __future__ import annotations

import os
from pathlib import Path

from newsletter.archive.state import STATE_NAME, State, short_hash
from newsletter.writer import update_files


class SiteFolder:
    """The site folder being updated: writes only what differs from what the last run left."""

    def __init__(self, out: Path, before: State) -> None:
        self.out = out
        self.before = before
        self.files: dict[str, str] = {}  # what this run leaves in the site: path -> hash
        self.disk = dict(before.files)  # what the site holds now, as far as the archive wrote it
        self.report_files = 0
        self.report_bytes = 0

    def keep(self, path: str) -> None:
        """Record a file an earlier run wrote that stays as it is."""
        self.files[path] = self.before.files.get(path, "")

    def put(self, path: str, data: bytes | None = None, source: Path | None = None, mark: str = "") -> None:
        """Write one file (bytes, or a copy of `source` known by `mark`) unless the site already has it."""
        mark = mark or short_hash(data or b"")
        self.files[path] = mark
        if self.disk.get(path) == mark and self.has(path):
            return
        self.disk[path] = mark
        if not (self.out / STATE_NAME).exists():  # mark a new site folder as the archive's before the first file
            update_files(self.out, {STATE_NAME: State().dumps()})
        if data is not None:
            update_files(self.out, {path: data})
            self.report_bytes += len(data)
        else:
            update_files(self.out, {}, {path: source})
            self.report_bytes += source.stat().st_size if source else 0
        self.report_files += 1

    def remove_stale(self) -> None:
        """Remove the files earlier runs wrote that this run did not."""
        stale = sorted(set(self.before.files) - set(self.files) - {STATE_NAME})
        if stale:
            update_files(self.out, {}, remove=stale)
            self.report_files += len(stale)

    def has(self, path: str) -> bool:
        """Return True when the site holds a file at path."""
        return os.path.isfile(os.path.join(self.out, path))  # noqa: PTH113, PTH118 - thousands per run
