"""Helpers for the `newsletter check` tests: edit a copy of the clean fixture, run check, read its JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from newsletter.checks.report import JSON_SCHEMA

CLEAN = "check-clean"
ISSUE = "issues/2024-06-01-summer"
Change = str | bytes | None | Callable[[str], str]


def apply(pub: Path, changes: dict[str, Change]) -> Path:
    """Apply changes to a publication: text or bytes writes a file, None deletes it, a function edits it."""
    for name, change in changes.items():
        path = pub / name.replace("ISSUE", ISSUE)
        path.parent.mkdir(parents=True, exist_ok=True)
        if change is None:
            path.unlink()
        elif isinstance(change, bytes):
            path.write_bytes(change)
        elif isinstance(change, str):
            path.write_text(change, encoding="utf-8")
        else:
            path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return pub


def check_json(run: Callable[..., Any], pub: Path, *args: str) -> tuple[dict[str, Any], int]:
    """Run `check --format json` in pub; return the schema-validated document and the exit code."""
    result = run("check", "--format", "json", *args, cwd=pub)
    assert result.exit_code in {0, 1}, result.output
    document = json.loads(result.stdout)
    Draft202012Validator(JSON_SCHEMA).validate(document)
    return document, result.exit_code


def findings(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every finding of a check document."""
    return [f for issue in document["issues"] for f in issue["findings"]]


def places(document: dict[str, Any], rule: str) -> list[tuple[str, int | None]]:
    """Return (file name, line) of every finding of one rule."""
    return [(Path(f["path"]).name if f["path"] else "", f["line"]) for f in findings(document) if f["rule"] == rule]
