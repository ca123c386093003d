"""The send-day gate: the check rules, run on exactly what export, send-test, push or archive is about to publish."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.checks import Finding, check_rendered, plural
from newsletter.checks.report import finding_lines
from newsletter.errors import NewsletterError, Problem

if TYPE_CHECKING:
    from newsletter.model import Rendered

# What each caller does, for the lines the gate prints: (verb, what happened, what did not).
ACTIONS = {
    "export": ("export", "exported", "nothing was exported"),
    "send-test": ("send", "sent", "nothing was sent"),
    "push": ("push", "pushed", "nothing was pushed"),
    "archive": ("publish", "published", "nothing was published"),
}


@dataclass(frozen=True)
class Verdict:
    """What the gate found in one rendered issue: errors stop what is about to go out, warnings never do."""

    slug: str
    status: str
    findings: tuple[Finding, ...]
    meta: Path | None = None  # the issue's issue.toml, where `status` is set

    @property
    def errors(self) -> list[Finding]:
        """Return the findings that stop a send (unless forced)."""
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Return the findings that are only reported."""
        return [f for f in self.findings if f.level == "warning"]

    @property
    def blocked(self) -> bool:
        """Return True when any error stops the issue."""
        return bool(self.errors)

    @property
    def draft(self) -> bool:
        """Return True for an issue still marked `status = "draft"`."""
        return self.status == "draft"

    def stops(self, drafts: bool) -> bool:
        """Return True when the issue may not go out: an error, or a draft where drafts are refused."""
        return self.blocked or (self.draft and not drafts)


class Refused(NewsletterError):
    """Raised when the gate stops issues: it prints their errors exactly as `newsletter check` does."""

    def __init__(self, verdicts: Sequence[Verdict], action: str, root: Path | None, drafts: bool) -> None:
        self.lines = refusal_lines(verdicts, action, root, drafts)
        super().__init__(self.lines[0])

    @property
    def problems(self) -> list[Problem]:
        """Return the lines to print, as problems without a place (each line names its own file and line)."""
        return [Problem(line) for line in self.lines]


def gate(rendered: Rendered) -> Verdict:
    """Run every check rule on a rendered issue, as `newsletter check` does, and return the verdict.

    The loader's warnings are findings too (as `check` reports them), unless a rule reports the same in detail.
    """
    findings = check_rendered(rendered, loader=rendered.warnings)
    issue = rendered.issue
    return Verdict(rendered.slug, issue.status, tuple(dict.fromkeys(findings)), issue.path / "issue.toml")


def admit(rendered: Sequence[Rendered], action: str, *, force: bool = False, drafts: bool = False) -> list[Verdict]:
    """Gate every issue about to go out; raise Refused, before anything is written or sent, when one may not.

    Errors stop an issue, and so does a draft unless `drafts` (send-test works on drafts); `force` lets
    everything through, and the caller prints what it overrode with `passed_lines`.
    """
    verdicts = [gate(one) for one in rendered]
    if not force and any(v.stops(drafts) for v in verdicts):
        root = rendered[0].issue.settings.root if rendered else None
        raise Refused([v for v in verdicts if v.stops(drafts)], action, root, drafts)
    return verdicts


def refusal_lines(verdicts: Sequence[Verdict], action: str, root: Path | None, drafts: bool) -> list[str]:
    """Return what to print when the gate stops issues: each one's errors as check prints them, and what to do."""
    verb, _, nothing = ACTIONS.get(action, (action, action, "nothing went out"))
    lines: list[str] = []
    for verdict in verdicts:
        if verdict.blocked:
            count = plural(len(verdict.errors), "error")
            lines.append(f"{verdict.slug}: {count}, so {action} stops here (`newsletter check {verdict.slug}` "
                         "shows the same):")
            for finding in verdict.errors:
                lines.extend(finding_lines(finding, root))
        if verdict.draft and not drafts:
            lines.append(f"{_status_place(verdict, root)}: {verdict.slug} is a draft (status = \"draft\"), and "
                         f"{action} refuses drafts: when it is ready, run `newsletter status {verdict.slug} ready` "
                         "or set status = \"ready\" in issue.toml")
    lines.append(f"{nothing}: fix the above, or add --force to {verb} anyway")
    return lines


def passed_lines(verdicts: Sequence[Verdict], action: str, root: Path | None, *, forced: bool,
                 drafts: bool = False) -> list[str]:
    """Return what to print when issues go out: what --force overrode, then one line about the warnings."""
    _, done, _ = ACTIONS.get(action, (action, action, ""))
    lines: list[str] = []
    for verdict in verdicts:
        if forced and verdict.blocked:
            lines.append(f"--force: {done} {verdict.slug} despite {plural(len(verdict.errors), 'error')}:")
            for finding in verdict.errors:
                lines.extend(finding_lines(finding, root))
        if forced and verdict.draft and not drafts:
            lines.append(f"--force: {done} {verdict.slug}, a draft ({_status_place(verdict, root)})")
        if verdict.status == "sent" and action != "send-test":
            lines.append(f"note: {verdict.slug} is marked sent (status = \"sent\"); make sure it is not sent twice")
        if verdict.warnings:
            lines.append(f"{verdict.slug}: {plural(len(verdict.warnings), 'warning')}, not blocking "
                         f"(`newsletter check {verdict.slug}` lists them)")
    return lines


def _status_place(verdict: Verdict, root: Path | None) -> str:
    """Return `path:line` of the issue's status line (or its issue.toml) for messages about the status."""
    from newsletter.files import key_line, read_text

    if verdict.meta is None:
        return verdict.slug
    try:
        line = key_line(read_text(verdict.meta), "", "status")
    except NewsletterError:
        line = None
    return Problem("", verdict.meta, line).location(root)

