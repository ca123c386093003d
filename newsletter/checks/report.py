"""Print check reports: text grouped by file for people, one JSON document (with its schema) for tools."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from newsletter.checks import LEVELS, Finding, IssueReport
from newsletter.model import STATUSES

SHOWN_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
JSON_VERSION = 1

_COUNTS = {
    "type": "object",
    "required": ["error", "warning", "info"],
    "additionalProperties": False,
    "properties": {level: {"type": "integer", "minimum": 0} for level in LEVELS},
}
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "newsletter check --format json",
    "type": "object",
    "required": ["version", "issues", "counts"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": JSON_VERSION},
        "counts": {"$ref": "#/$defs/counts"},
        "issues": {"type": "array", "items": {"$ref": "#/$defs/issue"}},
    },
    "$defs": {
        "counts": _COUNTS,
        "finding": {
            "type": "object",
            "required": ["rule", "level", "path", "line", "column", "message", "fix"],
            "additionalProperties": False,
            "properties": {
                "rule": {"type": "string", "pattern": "^[a-z0-9]+/[a-z0-9-]+$"},
                "level": {"enum": list(LEVELS)},
                "path": {"type": ["string", "null"], "description": "relative to the publication root"},
                "line": {"type": ["integer", "null"], "minimum": 1},
                "column": {"type": ["integer", "null"], "minimum": 1,
                           "description": "characters from the start of the line, from 1"},
                "message": {"type": "string", "minLength": 1},
                "fix": {"type": "string"},
            },
        },
        "story": {
            "type": "object",
            "required": ["file", "title", "words", "reading_minutes", "html_bytes"],
            "additionalProperties": False,
            "properties": {
                "file": {"type": "string"},
                "title": {"type": "string"},
                "words": {"type": "integer", "minimum": 0},
                "reading_minutes": {"type": "integer", "minimum": 0},
                "html_bytes": {"type": ["integer", "null"], "minimum": 0},
            },
        },
        "issue": {
            "type": "object",
            "required": ["slug", "path", "status", "counts", "words", "reading_minutes", "html_bytes", "stories",
                         "findings"],
            "additionalProperties": False,
            "properties": {
                "slug": {"type": "string"},
                "status": {"enum": list(STATUSES)},
                "path": {"type": "string"},
                "counts": {"$ref": "#/$defs/counts"},
                "words": {"type": "integer", "minimum": 0},
                "reading_minutes": {"type": "integer", "minimum": 0},
                "html_bytes": {"type": ["integer", "null"], "minimum": 0},
                "stories": {"type": "array", "items": {"$ref": "#/$defs/story"}},
                "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
            },
        },
    },
}


def to_json(reports: list[IssueReport], root: Path) -> str:
    """Return the reports as one JSON document (see JSON_SCHEMA)."""
    total: Counter[str] = Counter()
    issues = []
    for report in reports:
        counts = report.counts()
        total.update(counts)
        issues.append({
            "slug": report.slug,
            "status": report.status,
            "path": _relative(report.path, root),
            "counts": counts,
            "words": report.words,
            "reading_minutes": report.reading_minutes,
            "html_bytes": report.html_bytes,
            "stories": [{"file": s.file, "title": s.title, "words": s.words, "reading_minutes": s.reading_minutes,
                         "html_bytes": s.html_bytes} for s in report.stories],
            "findings": [_finding(f, root) for f in report.findings],
        })
    document = {"version": JSON_VERSION, "counts": {level: total.get(level, 0) for level in LEVELS},
                "issues": issues}
    return json.dumps(document, indent=2, ensure_ascii=False)


def to_text(reports: list[IssueReport], root: Path) -> str:
    """Return the reports for reading: per issue, findings grouped by file, then reading times and a count."""
    out: list[str] = []
    for report in reports:
        out.append(f"== {report.slug} ({report.status}): {_counts(report.counts())}")
        current: Path | str | None = ""
        for finding in report.findings:
            if finding.path != current:  # a blank line between files
                current = finding.path
                out.append("")
            out.extend(finding_lines(finding, root))
        out += ["", _reading(report), ""]
    if len(reports) > 1:
        total: Counter[str] = Counter()
        for report in reports:
            total.update(report.counts())
        out.append(f"{len(reports)} issues: {_counts(dict(total))}")
    return "\n".join(out).rstrip() + "\n"


def finding_lines(finding: Finding, root: Path | None) -> list[str]:
    """Return one finding as check prints it: `  path:line:column: level: message [rule]`, then its fix."""
    lines = [f"  {finding.where(root)}: {SHOWN_LEVEL[finding.level]}: {finding.message} [{finding.rule}]"]
    if finding.fix:
        lines.append(f"      fix: {finding.fix}")
    return lines


def _reading(report: IssueReport) -> str:
    """Return the reading-time line of an issue."""
    size = f", email.html {report.html_bytes / 1024:.1f} KB" if report.html_bytes is not None else ""
    parts = [f"reading time: about {report.reading_minutes} min ({report.words:,} words){size}"]
    for story in report.stories:
        cost = f", {story.html_bytes / 1024:.1f} KB" if story.html_bytes is not None else ""
        parts.append(f"  {story.file}: {story.reading_minutes} min, {story.words:,} words{cost}")
    return "\n".join(parts)


def _counts(counts: dict[str, int]) -> str:
    """Return `2 errors, 1 warning, 0 notes`."""
    names = {"error": "error", "warning": "warning", "info": "note"}
    return ", ".join(f"{counts.get(level, 0)} {names[level]}{'' if counts.get(level, 0) == 1 else 's'}"
                     for level in LEVELS)


def _finding(finding: Finding, root: Path) -> dict[str, Any]:
    """Return one finding as a JSON object."""
    return {"rule": finding.rule, "level": finding.level,
            "path": _relative(finding.path, root) if finding.path else None,
            "line": finding.line, "column": finding.column if finding.line else None, "message": finding.message,
            "fix": finding.fix}


def _relative(path: Path, root: Path) -> str:
    """Return a path relative to the publication root, with forward slashes."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
