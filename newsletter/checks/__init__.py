"""`newsletter check`: rules that find what an editor must fix, each pointed at the writer's file and line."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from newsletter.errors import Problem

if TYPE_CHECKING:
    from newsletter.checks.context import Block, Context
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
    column: int | None = None

    def location(self, root: Path | None = None) -> str:
        """Return `path:line` relative to root ('' without a path)."""
        return Problem(self.message, self.path, self.line).location(root)

    def where(self, root: Path | None = None) -> str:
        """Return `path:line:column` as check prints it (`path:line` without a column)."""
        place = self.location(root)
        return f"{place}:{self.column}" if place and self.line and self.column else place


@dataclass(frozen=True)
class Rule:
    """A rule id with its level, what it looks for, and the usual fix."""

    id: str
    level: str
    summary: str
    fix: str
    supersedes: tuple[str, ...] = ()  # words of loader messages this rule reports in more detail

    def at(self, path: Path | None, line: int | None, message: str, fix: str | None = None,
           column: int | None = None) -> Finding:
        """Return a finding of this rule."""
        return Finding(self.id, self.level, path, line, message, fix or self.fix, column)

    def in_block(self, block: Block, offset: int | None, message: str, fix: str | None = None) -> Finding:
        """Return a finding at an offset into a block's source (None: where the block's text starts)."""
        line, column = block.start() if offset is None else block.position(offset)
        return self.at(block.path, line, message, fix, column)


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
    minutes: float = 0.0  # unrounded, so an issue's total is not the sum of rounded-up stories


@dataclass
class IssueReport:
    """Everything `check` found in one issue, plus its reading statistics."""

    slug: str
    path: Path
    findings: list[Finding] = field(default_factory=list)
    stories: list[StoryStats] = field(default_factory=list)
    html_bytes: int | None = None
    status: str = "ready"  # issue.toml's `status`: draft, ready or sent

    @property
    def words(self) -> int:
        """Return the words in all stories."""
        return sum(s.words for s in self.stories)

    @property
    def reading_minutes(self) -> int:
        """Return the minutes to read the whole issue, at least 1 for any text."""
        return math.ceil(sum(s.minutes for s in self.stories) - 1e-9) if self.words else 0

    def counts(self) -> dict[str, int]:
        """Return the number of findings per level."""
        found = Counter(f.level for f in self.findings)
        return {level: found.get(level, 0) for level in LEVELS}


def families() -> list[ModuleType]:
    """Return the rule families in report order."""
    from newsletter.checks import compat, deliverability, editorial, images, links, mergetags, placeholders

    return [editorial, placeholders, deliverability, links, images, mergetags, compat]


def rules() -> dict[str, Rule]:
    """Return every rule by id."""
    from newsletter.checks.control import UNKNOWN_RULE

    found = {rule.id: rule for family in families() for rule in family.RULES}
    return {**found, LOADER_ERROR.id: LOADER_ERROR, LOADER_WARNING.id: LOADER_WARNING, UNKNOWN_RULE.id: UNKNOWN_RULE}


def run_checks(settings: Settings, folder: Path, *, links: bool = False, link_timeout: float = 10.0) -> IssueReport:
    """Check one issue folder; with links=True also request every URL (link_timeout seconds each)."""
    from newsletter.checks.context import Context
    from newsletter.checks.loading import load_for_check, render_for_check

    issue, problems, files = load_for_check(settings, folder)
    refused = any(p.level == "error" for p in problems)  # build refuses it too, so there is no size to measure
    ctx = Context(settings, issue, None if refused else render_for_check(issue), files,
                  online=links, link_timeout=link_timeout)
    return _report(ctx, _controlled(ctx, _with_loader(_run_rules(ctx), problems)))


def run_all(settings: Settings, folders: list[Path], *, links: bool = False, link_timeout: float = 10.0,
            jobs: int | None = None) -> list[IssueReport]:
    """Check several issue folders in worker processes (one by one with links: they share the link cache)."""
    import functools

    from newsletter.pool import parallel_map

    job = functools.partial(run_checks, settings, links=links, link_timeout=link_timeout)
    return parallel_map(job, folders, jobs=1 if links else jobs)


def check_issue(settings: Settings, folder: Path) -> list[Finding]:
    """Return every finding of one issue folder (no network)."""
    return run_checks(settings, folder).findings


def check_rendered(rendered: Rendered, loader: Iterable[Problem] = ()) -> list[Finding]:
    """Return the rules' findings for an issue build has already rendered, plus `loader` problems as findings.

    Build leaves the loader's warnings out (it prints them itself); the send-day gate passes them in, so its
    verdict is the one `newsletter check` gives, `[check]` levels and ignore comments applied to all.
    """
    from newsletter.checks.context import Context

    issue = rendered.issue
    ctx = Context(issue.settings, issue, rendered, [story.path for story in issue.stories])
    return _report(ctx, _controlled(ctx, _with_loader(_run_rules(ctx), loader))).findings


def prepare(settings: Settings) -> None:
    """Load the rules, the stemmer for the publication's language and the caniemail data ahead of check_rendered().

    `build` calls it while the CSS is inlined in a worker, so that these first-use costs are paid meanwhile.
    """
    from newsletter.checks import colours  # noqa: F401  (lxml.html and cssselect, for the contrast rule)
    from newsletter.checks.compat import features
    from newsletter.checks.editorial import stemmer

    families()
    stemmer(settings.publication.language)
    features()


def summarise(findings: Iterable[Finding], root: Path | None = None, limit: int = 10) -> list[str]:
    """Return the lines `build` prints about findings: a count, then the first few as `path:line: message`."""
    shown = [f for f in findings if f.level in {"error", "warning"}]
    if not shown:
        return []
    found = Counter(f.level for f in shown)
    head = ", ".join(plural(found[level], level) for level in ("error", "warning") if found[level])
    lines = [f"check: {head} (run `newsletter check` for the fixes)"]
    for finding in shown[:limit]:
        lines.append(f"  {finding.where(root)}: {finding.level}: {finding.message} [{finding.rule}]")
    if len(shown) > limit:
        lines.append(f"  … and {len(shown) - limit} more")
    return lines


def exit_code(reports: Iterable[IssueReport], strict: bool = False) -> int:
    """Return 1 when any report has an error (or, with strict, a warning), else 0."""
    failing = {"error", "warning"} if strict else {"error"}
    return 1 if any(f.level in failing for r in reports for f in r.findings) else 0


def plural(count: int, word: str) -> str:
    """Return `1 error` or `2 errors`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def _run_rules(ctx: Context) -> list[Finding]:
    """Run every family's rules on the context."""
    out: list[Finding] = []
    for family in families():
        out.extend(family.check(ctx))
    return out


def _controlled(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """Apply the publication's `[check]` levels and the ignore comments, and give every finding a column."""
    from newsletter.checks.control import apply

    return [_with_column(ctx, f) for f in apply(ctx, findings)]


def _with_column(ctx: Context, finding: Finding) -> Finding:
    """Give a finding in a writer's file without a column the column where its line's text starts."""
    if finding.column is not None or finding.path is None or finding.line is None:
        return finding
    lines = ctx.lines(finding.path)
    if not 0 < finding.line <= len(lines):
        return finding
    text = lines[finding.line - 1]
    return replace(finding, column=len(text) - len(text.lstrip()) + 1)


def _with_loader(findings: list[Finding], problems: Iterable[Problem]) -> list[Finding]:
    """Return the findings and the loader's problems as findings, leaving out those a rule reports in detail."""
    return findings + [_from_problem(p) for p in problems if not _superseded(p, findings)]


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
    from newsletter.checks.context import count_words

    order = {ctx.config_path: 0, ctx.meta_path: 1}
    for index, path in enumerate(ctx.story_files, start=2):
        order.setdefault(path, index)
    levels = {level: i for i, level in enumerate(LEVELS)}
    findings = sorted(dict.fromkeys(findings), key=lambda f: (
        order.get(f.path, len(order)) if f.path else -1, str(f.path), f.line or 0, f.column or 0, levels[f.level],
        f.rule))
    sizes = ctx.rendered.story_bytes if ctx.rendered else {}
    stories = []
    for story in ctx.issue.stories:
        words, minutes = count_words(story.source, ctx.language(story))
        shown = math.ceil(minutes - 1e-9) if words else 0
        stories.append(StoryStats(story.file, story.title, words, shown, sizes.get(story.file), minutes))
    html_bytes = ctx.html_bytes()
    return IssueReport(ctx.issue.slug, ctx.issue.path, findings, stories, html_bytes, ctx.issue.status)
