"""Helpers for the archive and preview tests: more issues in a fixture, and an editor that records what it opens."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

RECORDER = """import pathlib, sys
record = pathlib.Path(sys.argv[1])
partial = record.with_suffix(".partial")
partial.write_text(" ".join(sys.argv[2:]))
partial.replace(record)
"""


def add_issues(pub: Path, source: str, count: int) -> list[str]:
    """Copy one issue of a publication `count` times as 'Extra issue N', dated in early 2023; return the slugs."""
    slugs = []
    for n in range(1, count + 1):
        target = pub / "issues" / f"2023-{(n - 1) // 28 + 1:02d}-{(n - 1) % 28 + 1:02d}-extra-{n}"
        shutil.copytree(pub / "issues" / source, target)
        toml = target / "issue.toml"
        text = re.sub(r"(?m)^date = .*$", f"date = {target.name[:10]}", toml.read_text())
        text = re.sub(r'(?m)^subject = .*$', f'subject = "Extra issue {n}"', text)
        toml.write_text(re.sub(r"(?m)^number = .*$", f"number = {n}", text))
        slugs.append(target.name)
    return slugs


def recording_editor(pub: Path, folder: Path) -> Path:
    """Set the publication's [preview] editor to a script that writes the `path:line` it is given to a file."""
    record = folder / "opened.txt"
    script = folder / "editor.py"
    script.write_text(RECORDER)
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + f'\n[preview]\neditor = "python3 {script} {record} {{path}}:{{line}}"\n')
    return record
