"""The command line: the group, the error boundary and shared helpers; one module per command family.

The cli package is the only code that imports click: each command parses, calls one core function, prints.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from newsletter.errors import NewsletterError, Problem, UsageError


class Context:
    """Global options shared by every command."""

    def __init__(self, root: Path | None, verbose: bool) -> None:
        self.root_option = root
        self.verbose = verbose

    @functools.cached_property
    def settings(self) -> Any:
        """Return the publication's Settings, found from --root or the current folder."""
        from newsletter.config import find_root, load_settings

        root = self.root_option.resolve() if self.root_option else find_root(Path.cwd())
        return load_settings(root)


def report(problems: list[Problem], root: Path | None) -> None:
    """Print problems as `path:line: message` on stderr."""
    for problem in problems:
        click.echo(problem.format(root), err=True)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn NewsletterError into `path:line: message` and an exit code; tracebacks only with --verbose."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context().find_object(Context)
        try:
            return func(*args, **kwargs)
        except NewsletterError as exc:
            if ctx and ctx.verbose:
                import traceback

                traceback.print_exc()
            report(exc.problems, _root_of(ctx))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader (e.g. `| head`) went away: stop quietly (the recipe from Python's signal docs).
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            if ctx and ctx.verbose:
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for the traceback, "
                       "and please report it)", err=True)
            sys.exit(1)

    return wrapper


def _root_of(ctx: Context | None) -> Path | None:
    """Return the publication root for shortening paths, if one is known."""
    if ctx is None:
        return None
    try:
        return ctx.settings.root
    except NewsletterError:
        return Path.cwd()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="The publication folder (default: found by walking up to newsletter.toml).")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="newsletter")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, verbose: bool) -> None:
    """Build email newsletters from folders of plain story files."""
    ctx.obj = Context(root, verbose)

def select(obj: Context, issues: tuple[str, ...], every: bool) -> list[Path]:
    """Return the issue folders a command works on: named ones, all, or the newest."""
    from newsletter.content import list_issues, resolve_issue

    settings = obj.settings
    if every:
        found = list_issues(settings)
        if not found:
            raise UsageError("there are no issues yet: run `newsletter new SLUG`", settings.issues_dir)
        return found
    if issues:
        return [resolve_issue(settings, name) for name in issues]
    found = list_issues(settings)
    if not found:
        raise UsageError("there are no issues yet: run `newsletter new SLUG`", settings.issues_dir)
    click.echo(f"newest issue: {found[-1].name}", err=True)
    return [found[-1]]


def show(path: Path) -> str:
    """Return a path relative to the current folder when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# The commands register themselves on `cli` when their modules are imported.
from newsletter.cli import archive, build, check, export, preview, push, scaffold  # noqa: E402, F401

__all__ = ["Context", "archive", "build", "check", "cli", "export", "handle_errors", "preview", "report", "scaffold",
           "select", "show"]
