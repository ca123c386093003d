"""Show `newsletter check` findings in the preview, and every problem or finding in one shape for the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsletter.checks import Finding, check_rendered
from newsletter.errors import NewsletterError, Problem
from newsletter.model import Rendered


def run_checks(rendered: Rendered, root: Path) -> dict[str, Any]:
    """Return {available, note, findings} for a build, never raising for a failing checker."""
    try:
        found = check_rendered(rendered)
    except NewsletterError as exc:
        return {"available": True, "note": "", "findings": [item(p, root) for p in exc.problems]}
    except Exception as exc:  # a checker bug must not stop the preview
        return {"available": False, "note": f"check failed: {type(exc).__name__}: {exc}", "findings": []}
    return {"available": True, "note": "", "findings": [item(f, root) for f in found]}


def item(found: Problem | Finding, root: Path) -> dict[str, str]:
    """Return a build problem or a check finding as the page lists it: location, message, level and fix."""
    fix = found.fix if isinstance(found, Finding) else ""
    return {"location": found.location(root), "message": found.message, "level": found.level, "fix": fix}
