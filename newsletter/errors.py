"""The one exception tree: every user-facing problem carries a path and, where known, a line."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One finding about the user's files: an error or a warning, with where it is."""

    message: str
    path: Path | None = None
    line: int | None = None
    level: str = "error"

    def location(self, root: Path | None = None) -> str:
        """Return `path:line` relative to root, or '' when the problem has no file."""
        if self.path is None:
            return ""
        shown = _shown(self.path, root) if root is not None else self.path
        return f"{shown}:{self.line}" if self.line else str(shown)

    def format(self, root: Path | None = None) -> str:
        """Return the problem as `path:line: message`."""
        where = self.location(root)
        prefix = "warning: " if self.level == "warning" else ""
        return f"{where}: {prefix}{self.message}" if where else f"{prefix}{self.message}"


@functools.lru_cache(maxsize=16384)
def _shown(path: Path, root: Path) -> Path:
    """Return path relative to root when it is inside it, else as given (once per pair: a report of thousands
    of findings in a few files asked the same question each time). An absolute path spelled under root is
    taken as it is written, as the reader knows it; any other is resolved first."""
    if path.is_absolute() and ".." not in path.parts and path.is_relative_to(root):
        return path.relative_to(root)
    try:
        return path.resolve().relative_to(_resolved(root))
    except ValueError:
        return path


@functools.lru_cache(maxsize=64)
def _resolved(root: Path) -> Path:
    """Return a publication root resolved (once)."""
    return root.resolve()


class NewsletterError(Exception):
    """Raised when the user's files or arguments cannot be turned into an email."""

    exit_code = 1

    def __init__(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    @property
    def problems(self) -> list[Problem]:
        """Return the problems this error stands for."""
        return [Problem(self.message, self.path, self.line)]


class ConfigError(NewsletterError):
    """Raised when newsletter.toml is missing or invalid."""


class ContentError(NewsletterError):
    """Raised when an issue folder or a story cannot be loaded."""


class TemplateError(NewsletterError):
    """Raised when a theme template fails to render, naming the template and line."""


class RenderError(NewsletterError):
    """Raised when MJML compilation or CSS inlining fails; `mjml` holds the source that failed."""

    mjml: str = ""


class UsageError(NewsletterError):
    """Raised for a bad command-line request, such as an unknown issue name."""

    exit_code = 2


class ProblemsError(NewsletterError):
    """Raised once with every problem a loader collected."""

    def __init__(self, problems: list[Problem]) -> None:
        first = next((p for p in problems if p.level == "error"), problems[0])
        super().__init__(first.message, first.path, first.line)
        self._problems = problems

    @property
    def problems(self) -> list[Problem]:
        """Return every collected problem."""
        return list(self._problems)


class Collector:
    """Gather errors and warnings while loading, then raise once."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        """Record an error."""
        self.errors.append(Problem(message, path, line))

    def warn(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        """Record a warning."""
        self.warnings.append(Problem(message, path, line, level="warning"))

    def absorb(self, exc: NewsletterError) -> None:
        """Record every problem of an error raised by a helper (its warnings stay warnings)."""
        for problem in exc.problems:
            (self.warnings if problem.level == "warning" else self.errors).append(problem)

    def raise_if_errors(self) -> None:
        """Raise ProblemsError when any error was recorded, with the warnings too: every problem at once.

        Problems are grouped by file (in the order files were first reported) and sorted by line, so a
        warning such as a misspelt key stands next to the error it causes.
        """
        if not self.errors:
            return
        problems = [*self.errors, *self.warnings]
        files = {str(p.path): i for i, p in reversed(list(enumerate(problems)))}
        raise ProblemsError(sorted(problems, key=lambda p: (files[str(p.path)], p.line or 0)))
