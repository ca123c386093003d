"""`newsletter check`: rules that find what an editor must fix, each pointed at the writer's file and line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from newsletter.errors import Problem

if TYPE_CHECKING:
    from newsletter.checks.context import Context
    from newsletter.config import Settings
    from newsletter.model import Rendered

LEVELS = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One thing to fix: rule, level, where in the writer's files, what is wrong and how to fix it."""

    rule: str
    level: str
    path: Path | None
    line: int | None
    message: str
    fix: str

    def location(self, root: Path | None = None) -> str:
        """Return `path:line` relative to root ('' without a path)."""
        return Problem(self.message, self.path, self.line).location(root)


@dataclass(frozen=True)
class Rule:
    """A rule id with its level, what it looks for, and the usual fix."""

    id: str
    level: str
    summary: str
    fix: str
    supersedes: tuple[str, ...] = ()  # words of loader messages this rule reports in more detail

    def at(self, path: Path | None, line: int | None, message: str, fix: str | None = None) -> Finding:
        """Return a finding of this rule."""
        return Finding(self.id, self.level, path, line, message, fix or self.fix)


LOADER_ERROR = Rule("content/error", "error", "the loader refuses the issue (the message says what to do)", "")
LOADER_WARNING = Rule("content/warning", "warning", "the loader warns about a file (the message says what to do)",
                      "")


@dataclass(frozen=True)
class StoryStats:
    """Size and reading time of one story."""

    file: str
    title: str
    words: int
    reading_minutes: int
    html_bytes: int | None


@dataclass
class IssueReport:
    """Everything `check` found in one issue, plus its reading statistics."""

    slug: str
    path: Path
    findings: list[Finding] = field(default_factory=list)
    stories: list[StoryStats] = field(default_factory=list)
    html_bytes: int | None = None

    @property
    def words(self) -> int:
        """Return the words in all stories."""
        return sum(s.words for s in self.stories)

    @property
    def reading_minutes(self) -> int:
        """Return the minutes to read the whole issue."""
        from newsletter.checks.context import reading_minutes

        return reading_minutes(self.words)

    def counts(self) -> dict[str, int]:
        """Return the number of findings per level."""
        found = Counter(f.level for f in self.findings)
        return {level: found.get(level, 0) for level in LEVELS}


def families() -> list[ModuleType]:
    """Return the rule families in report order."""
    from newsletter.checks import deliverability, editorial, images, links, mergetags, placeholders

    return [editorial, placeholders, deliverability, links, images, mergetags]


def rules() -> dict[str, Rule]:
    """Return every rule by id."""
    found = {rule.id: rule for family in families() for rule in family.RULES}
    return {**found, LOADER_ERROR.id: LOADER_ERROR, LOADER_WARNING.id: LOADER_WARNING}


def run_checks(settings: Settings, folder: Path, *, links: bool = False, link_timeout: float = 10.0) -> IssueReport:
    """Check one issue folder; with links=True also request every URL (link_timeout seconds each)."""
    from newsletter.checks.context import Context
    from newsletter.checks.loading import load_for_check, render_for_check

    issue, problems, files = load_for_check(settings, folder)
    refused = any(p.level == "error" for p in problems)  # build refuses it too, so there is no size to measure
    ctx = Context(settings, issue, None if refused else render_for_check(issue), files,
                  online=links, link_timeout=link_timeout)
    findings = _run_rules(ctx)
    findings += [_from_problem(p) for p in problems if not _superseded(p, findings)]
    return _report(ctx, findings)


def check_issue(settings: Settings, folder: Path) -> list[Finding]:
    """Return every finding of one issue folder (no network)."""
    return run_checks(settings, folder).findings


def check_rendered(rendered: Rendered) -> list[Finding]:
    """Return the rules' findings for an issue build has already rendered (loader warnings left out)."""
    from newsletter.checks.context import Context

    issue = rendered.issue
    ctx = Context(issue.settings, issue, rendered, [story.path for story in issue.stories])
    return _report(ctx, _run_rules(ctx)).findings


def prepare(settings: Settings) -> None:
    """Load the rules and the stemmer for the publication's language ahead of check_rendered()."""
    from newsletter.checks.editorial import stemmer

    families()
    stemmer(settings.publication.language)


def summarise(findings: Iterable[Finding], root: Path | None = None, limit: int = 10) -> list[str]:
    """Return the lines `build` prints about findings: a count, then the first few as `path:line: message`."""
    shown = [f for f in findings if f.level in {"error", "warning"}]
    if not shown:
        return []
    found = Counter(f.level for f in shown)
    head = ", ".join(_plural(found[level], level) for level in ("error", "warning") if found[level])
    lines = [f"check: {head} (run `newsletter check` for the fixes)"]
    for finding in shown[:limit]:
        lines.append(f"  {finding.location(root)}: {finding.level}: {finding.message} [{finding.rule}]")
    if len(shown) > limit:
        lines.append(f"  … and {len(shown) - limit} more")
    return lines


def exit_code(reports: Iterable[IssueReport], strict: bool = False) -> int:
    """Return 1 when any report has an error (or, with strict, a warning), else 0."""
    failing = {"error", "warning"} if strict else {"error"}
    return 1 if any(f.level in failing for r in reports for f in r.findings) else 0


def _plural(count: int, word: str) -> str:
    """Return `1 error` or `2 errors`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def _run_rules(ctx: Context) -> list[Finding]:
    """Run every family's rules on the context."""
    out: list[Finding] = []
    for family in families():
        out.extend(family.check(ctx))
    return out


def _from_problem(problem: Problem) -> Finding:
    """Turn a loader problem into a finding."""
    rule = LOADER_WARNING if problem.level == "warning" else LOADER_ERROR
    return rule.at(problem.path, problem.line, problem.message, "")


def _superseded(problem: Problem, findings: list[Finding]) -> bool:
    """Return True when a rule already reports this loader problem in more detail."""
    table = rules()
    for finding in findings:
        words = table[finding.rule].supersedes
        same_place = finding.line == problem.line or problem.line is None or finding.line is None
        if finding.path == problem.path and same_place and any(w in problem.message for w in words):
            return True
    return False


def _report(ctx: Context, findings: list[Finding]) -> IssueReport:
    """Sort findings by file (config, issue.toml, stories in order) and line, and add statistics."""
    from newsletter.checks.context import reading_minutes

    order = {ctx.config_path: 0, ctx.meta_path: 1}
    for index, path in enumerate(ctx.story_files, start=2):
        order.setdefault(path, index)
    levels = {level: i for i, level in enumerate(LEVELS)}
    findings = sorted(dict.fromkeys(findings), key=lambda f: (
        order.get(f.path, len(order)) if f.path else -1, str(f.path), f.line or 0, levels[f.level], f.rule))
    sizes = ctx.rendered.story_bytes if ctx.rendered else {}
    stories = [StoryStats(s.file, s.title, s.words, reading_minutes(s.words), sizes.get(s.file))
               for s in ctx.issue.stories]
    html_bytes = ctx.html_bytes()
    return IssueReport(ctx.issue.slug, ctx.issue.path, findings, stories, html_bytes)
