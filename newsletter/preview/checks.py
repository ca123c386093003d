"""Show `newsletter check` findings in the preview when that module exists; say so when it does not."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from newsletter.errors import NewsletterError, Problem
from newsletter.model import Rendered

NOT_AVAILABLE = "check not available: this version of newsletter has no `check` command yet"


def run_checks(rendered: Rendered, root: Path) -> dict[str, Any]:
    """Return {available, note, findings} for a build, never raising for a missing or failing checker."""
    try:
        module = importlib.import_module("newsletter.checks")
    except ImportError:
        return {"available": False, "note": NOT_AVAILABLE, "findings": []}
    entry = getattr(module, "check_rendered", None)
    if not callable(entry):
        return {"available": False, "note": NOT_AVAILABLE, "findings": []}
    try:
        found = entry(rendered)
    except NewsletterError as exc:
        return {"available": True, "note": "", "findings": [_finding(p, root) for p in exc.problems]}
    except Exception as exc:  # a checker bug must not stop the preview
        return {"available": False, "note": f"check failed: {type(exc).__name__}: {exc}", "findings": []}
    return {"available": True, "note": "", "findings": [_finding(f, root) for f in found or ()]}


def _finding(finding: Any, root: Path) -> dict[str, str]:
    """Return a finding (anything with level, path, line and message) as location, message and level."""
    path = getattr(finding, "path", None)
    problem = Problem(str(getattr(finding, "message", finding)), Path(path) if path else None,
                      getattr(finding, "line", None), str(getattr(finding, "level", "warning")))
    fix = str(getattr(finding, "fix", "") or "")
    return {"location": problem.location(root), "message": problem.message, "level": problem.level, "fix": fix}
