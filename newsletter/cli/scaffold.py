"""`newsletter init` and `newsletter new`: start a publication or an issue."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli import Context, cli, handle_errors, report


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
    """Start issues/SLUG with an issue.toml and a first story."""
    from newsletter.scaffold import new_issue

    made = new_issue(obj.settings, slug)
    report(list(obj.settings.warnings), obj.settings.root)
    click.echo(f"created issues/{slug}/:")
    for path in made:
        click.echo(f"  {path.relative_to(obj.settings.root)}")
    click.echo(f"next: write the stories, then `newsletter build {slug}`")
