"""Build one issue for the archive (in a worker process): its page, images, feed content and the gate's verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter.archive.head import SiteInfo
from newsletter.config import Settings
from newsletter.errors import NewsletterError, Problem


@dataclass
class Built:
    """What a worker returns for one issue: its page, entry and images, or the problems that stopped it."""

    slug: str
    page: str = ""
    entry: dict[str, Any] = field(default_factory=dict)
    copies: dict[str, Path] = field(default_factory=dict)
    content: str | None = None
    errors: list[str] = field(default_factory=list)  # the gate's errors, as `check` prints them
    error_count: int = 0
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def build_page(settings: Settings, folder: Path, site: SiteInfo, with_content: bool) -> Built:
    """Build one issue's web page and images, run the gate on it, and its feed content when asked."""
    from newsletter.archive.page import feed_entry, lead_image, public_text, web_page
    from newsletter.build import build_issue
    from newsletter.checks.report import finding_lines
    from newsletter.gate import gate

    try:
        rendered = build_issue(settings, folder)
        verdict = gate(rendered)
        page = web_page(rendered, site)
        content = feed_entry(rendered) if with_content else None
    except NewsletterError as exc:
        return Built(slug=folder.name, problems=[name_issue(p, folder, settings.root) for p in exc.problems])
    issue = rendered.issue
    entry = {
        "slug": issue.slug,
        "subject": public_text(rendered, issue.subject),
        "preheader": public_text(rendered, issue.preheader),
        "date": issue.date.isoformat() if issue.date else None,
        "number": issue.number,
        "status": issue.status,
        "lang": issue.lang,
        "dir": issue.dir,
        "image": lead_image(rendered),
        "files": sorted(["index.html", *(f"images/{name}" for name in rendered.images)]),
    }
    errors = [line for finding in verdict.errors for line in finding_lines(finding, settings.root)]
    known = set(settings.warnings)
    return Built(slug=issue.slug, page=page, entry=entry, content=content, errors=errors,
                 error_count=len(verdict.errors), warnings=[w for w in rendered.warnings if w not in known],
                 copies={f"images/{name}": path for name, path in rendered.images.items()})


def feed_content(settings: Settings, folder: Path) -> str:
    """Return an issue's feed content, building it again (for an older issue that moves into the feed)."""
    from newsletter.archive.page import feed_entry
    from newsletter.build import build_issue

    return feed_entry(build_issue(settings, folder))


def name_issue(problem: Problem, folder: Path, root: Path) -> Problem:
    """Return a problem that names the issue it stopped: generated files become the issue folder."""
    path = problem.path
    if path is not None and path.is_absolute() and path.resolve().is_relative_to(folder.resolve()):
        return problem
    shown = f"{path}:{problem.line}" if path is not None and problem.line else str(path or "")
    if path is None or not path.is_absolute():  # a generated file such as email.mjml
        where = f" (in the generated {shown})" if shown else ""
        return Problem(f"{problem.message}{where}", folder, None, problem.level)
    try:
        issue = folder.resolve().relative_to(root.resolve())
    except ValueError:
        issue = folder
    return Problem(f"{problem.message} (building {issue})", path, problem.line, problem.level)
