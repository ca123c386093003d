"""The send-day gate: the check rules, run on exactly what export, send-test, push or archive is about to publish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsletter.checks import Finding, check_rendered

if TYPE_CHECKING:
    from newsletter.model import Rendered


@dataclass(frozen=True)
class Verdict:
    """What the gate found in one rendered issue: errors stop what is about to go out, warnings never do."""

    slug: str
    status: str
    findings: tuple[Finding, ...]

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


def gate(rendered: Rendered) -> Verdict:
    """Run every check rule on a rendered issue, as `newsletter check` does, and return the verdict."""
    return Verdict(rendered.slug, rendered.issue.status, tuple(check_rendered(rendered)))
