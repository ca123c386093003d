"""`newsletter init` and `newsletter new`: start a publication or an issue."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli import Context, cli, handle_errors, report, show
from newsletter.model import STATUSES


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@handle_errors
def init(directory: Path) -> None:
    """Create a publication in DIRECTORY with newsletter.toml and a first issue.

    \b
    Example:
      newsletter init my-letter && cd my-letter && newsletter build
    """
    from newsletter.scaffold import init_publication

    made = init_publication(directory)
    click.echo(f"created {directory}/ with {len(made)} files:")
    for path in made:
        click.echo(f"  {path.relative_to(directory.resolve())}")
    import shlex

    where = "" if directory.resolve() == Path.cwd() else f"cd {shlex.quote(str(directory))} && "
    click.echo(f"next: {where}newsletter build")


@cli.command()
@click.argument("slug")
@click.pass_obj
@handle_errors
def new(obj: Context, slug: str) -> None:
    """Start issues/SLUG as a draft with an issue.toml and a first story.

    A slug starting with a date (2024-03-23-crocus) dates the issue; its number is the highest so far plus one.
    """
    from newsletter.content import peek
    from newsletter.scaffold import new_issue

    made = new_issue(obj.settings, slug)
    report(list(obj.settings.warnings), obj.settings.root)
    folder = obj.settings.issues_dir / slug
    click.echo(f"created issues/{slug}/ (number {peek(folder, 'number')}, dated {peek(folder, 'date')}, draft):")
    for path in made:
        what = "subject, preheader, date, number, intro, status" if path.name == "issue.toml" else "a story"
        click.echo(f"  {path.relative_to(obj.settings.root)}  {what}")
    click.echo(f"next: replace the placeholder text (`newsletter check {slug}` lists what is left), then "
               f"`newsletter status {slug} ready`")


@cli.command()
@click.argument("issue", required=False)
@click.argument("new_status", metavar="[STATUS]", required=False, type=click.Choice(STATUSES))
@click.pass_obj
@handle_errors
def status(obj: Context, issue: str | None, new_status: str | None) -> None:
    """Show every issue's status, or set ISSUE's to draft, ready or sent (one line of issue.toml changes).

    \b
    Examples:
      newsletter status                            every issue: draft, ready or sent
      newsletter status 2024-03-23-crocus ready    export may send it now
      newsletter status 2024-03-23-crocus sent     it went out
    """
    from newsletter.content import resolve_issue
    from newsletter.lifecycle import set_status, status_of, statuses

    settings = obj.settings
    if issue is None:
        rows = statuses(settings)
        width = max((len(slug) for slug, _, _ in rows), default=0)
        for slug, value, written in rows:
            click.echo(f"{slug:<{width}}  {value}" + ("" if written else "  (no status line: ready)"))
        return
    folder = resolve_issue(settings, issue)
    if new_status is None:
        value, written = status_of(folder)
        click.echo(f"{folder.name}: {value}" + ("" if written else " (no status line: ready)"))
        return
    change = set_status(folder, new_status)
    where = f"{show(change.path)}:{change.line}"
    if not change.changed:
        click.echo(f"{folder.name} is already {new_status} ({where})")
        return
    click.echo(f"{folder.name}: {change.before or 'ready (no status line)'} → {new_status} ({where})")
    if new_status == "ready":
        click.echo(f"next: `newsletter export {folder.name} --to PLATFORM` (it runs the check rules first)")
