"""Load an issue for checking: normally, or story by story when the loader refuses it, so every rule still runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsletter.config import Settings
from newsletter.content import ISSUE_FILE, apply_meta, load_issue, load_story, story_files
from newsletter.errors import Collector, NewsletterError, Problem
from newsletter.files import parse_toml, read_text
from newsletter.model import Issue, Rendered


def load_for_check(settings: Settings, folder: Path) -> tuple[Issue, list[Problem], list[Path]]:
    """Return the issue, the loader's problems and the story files in issue order.

    A refused issue is rebuilt from what loads, with the content loader's own functions, so the rules see
    what build would; its errors are the loader's, and the warnings the refused loader drops are kept.
    """
    try:
        issue = load_issue(settings, folder)
    except NewsletterError as exc:
        issue, warnings, files = _load_leniently(settings, folder)
        return issue, [*exc.problems, *settings.warnings, *warnings], files
    return issue, list(issue.warnings), [story.path for story in issue.stories]


def render_for_check(issue: Issue) -> Rendered | None:
    """Render the issue as build does, or return None when it does not render."""
    from newsletter.build import render_issue

    if not issue.stories or not issue.subject:
        return None
    try:
        return render_issue(issue)
    except NewsletterError:
        return None


def _load_leniently(settings: Settings, folder: Path) -> tuple[Issue, list[Problem], list[Path]]:
    """Return an Issue of whatever loads (issue.toml values, every story that parses), its warnings and files."""
    found = Collector()
    issue = Issue(settings=settings, path=folder.resolve(), subject="")
    meta_path = folder / ISSUE_FILE
    meta: dict[str, Any] = {}
    text = ""
    try:
        text = read_text(meta_path)
        meta = parse_toml(text, meta_path)
    except NewsletterError:
        pass  # load_issue has reported it
    else:
        apply_meta(issue, meta, text, meta_path, found)
    files = story_files(folder, meta.get("stories"))  # the listed stories, or every story when none is valid
    for path in files:
        try:
            issue.stories.append(load_story(path, issue.path, settings, found))
        except NewsletterError:
            continue  # load_issue has reported it
    return issue, found.warnings, files
