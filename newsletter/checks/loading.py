"""Load an issue for checking: normally, or story by story when the loader refuses it, so every rule still runs."""

from __future__ import annotations

from pathlib import Path

from newsletter import markdown
from newsletter.config import Settings
from newsletter.content import ISSUE_FILE, load_issue, load_story, peek
from newsletter.errors import Collector, NewsletterError, Problem
from newsletter.mergetags import mark_written
from newsletter.model import Issue, Rendered

STORY_SUFFIXES = {".md", ".txt"}


def story_files(folder: Path) -> list[Path]:
    """Return the story files of an issue folder in issue order."""
    present = sorted(p for p in folder.iterdir()
                     if p.is_file() and p.suffix in STORY_SUFFIXES and not p.name.startswith(("_", ".")))
    order = peek(folder, "stories")
    if not isinstance(order, list):
        return present
    chosen = [folder / name for name in order if isinstance(name, str) and folder / name in present]
    return chosen or present


def load_for_check(settings: Settings, folder: Path) -> tuple[Issue, list[Problem]]:
    """Return the issue and the loader's problems; a refused issue is rebuilt from the stories that load."""
    try:
        issue = load_issue(settings, folder)
    except NewsletterError as exc:
        problems = [*exc.problems, *settings.warnings]
        issue = _load_leniently(settings, folder, problems)
        return issue, _unique(problems)
    return issue, list(issue.warnings)


def render_for_check(issue: Issue) -> Rendered | None:
    """Render the issue as build does, or return None when it does not render."""
    from newsletter.build import render_issue

    if not issue.stories or not issue.subject:
        return None
    try:
        return render_issue(issue)
    except NewsletterError:
        return None


def _load_leniently(settings: Settings, folder: Path, problems: list[Problem]) -> Issue:
    """Build an Issue from whatever loads: issue.toml values and every story that parses."""
    issue = Issue(settings=settings, path=folder.resolve(), subject="")
    if (folder / ISSUE_FILE).is_file():
        subject, preheader, intro = (peek(folder, key) for key in ("subject", "preheader", "intro"))
        issue.subject = subject.strip() if isinstance(subject, str) else ""
        issue.preheader = preheader.strip() if isinstance(preheader, str) else ""
        if isinstance(intro, str) and intro.strip():
            issue.intro_source = intro
            issue.intro_tokens = markdown.parse(mark_written(intro))
    for path in story_files(folder):
        found = Collector()
        try:
            story = load_story(path, issue.path, settings, found)
        except NewsletterError:
            continue
        issue.stories.append(story)
        problems.extend(found.warnings)
    return issue


def _unique(problems: list[Problem]) -> list[Problem]:
    """Return problems without repeats, in order."""
    return list(dict.fromkeys(problems))
