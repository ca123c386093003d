"""Show the send-day gate's findings in the preview, and every problem or finding in one shape for the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsletter.checks import Finding
from newsletter.errors import NewsletterError, Problem
from newsletter.gate import gate
from newsletter.model import Rendered


def run_checks(rendered: Rendered, root: Path) -> dict[str, Any]:
    """Return {available, note, findings, errors, warnings, verdict} for a build, never raising for a checker."""
    stories = [story.path for story in rendered.issue.stories]
    status = rendered.issue.status
    try:
        found = gate(rendered).findings
    except NewsletterError as exc:
        found = tuple(exc.problems)
    except Exception as exc:  # a checker bug must not stop the preview
        return {"available": False, "note": f"check failed: {type(exc).__name__}: {exc}", "findings": [],
                "errors": 0, "warnings": 0, "verdict": "check did not run"}
    errors = sum(f.level == "error" for f in found)
    warnings = sum(f.level == "warning" for f in found)
    return {"available": True, "note": "", "findings": [item(f, root, stories) for f in found], "errors": errors,
            "warnings": warnings, "verdict": verdict(status, errors, warnings)}


def verdict(status: str, errors: int, warnings: int) -> str:
    """Return the gate's verdict in a few words, as the inbox row shows it: '2 errors stop export'."""
    if errors:
        return f"{errors} error{'s' if errors != 1 else ''} stop{'s' if errors == 1 else ''} export"
    noted = f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
    if status == "draft":
        return f"no errors{noted}; export waits for status = \"ready\""
    if status == "sent":
        return f"no errors{noted}; already sent"
    return f"ready to export{noted}"


def item(found: Problem | Finding, root: Path, stories: list[Path] | None = None) -> dict[str, Any]:
    """Return a build problem or a check finding as the page lists it: where, what, how to fix, which story."""
    fix = found.fix if isinstance(found, Finding) else ""
    path = ""
    story = 0
    if found.path is not None:
        try:
            path = found.path.resolve().relative_to(root.resolve()).as_posix()
        except (OSError, ValueError):
            path = ""
        if stories:
            story = next((i for i, s in enumerate(stories, start=1) if s.resolve() == found.path.resolve()), 0)
    return {"location": found.location(root), "message": found.message, "level": found.level, "fix": fix,
            "path": path, "line": found.line or 0, "story": story}
