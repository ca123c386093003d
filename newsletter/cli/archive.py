"""`newsletter archive`: the static web archive."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli import Context, cli, handle_errors, report, show


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Site folder (default: dist/site/ in the publication); its contents are replaced.")
@click.option("--force", is_flag=True, help="Rebuild every issue, even those whose files did not change.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Worker processes (default: one per core).")
@click.pass_obj
@handle_errors
def archive(obj: Context, out: Path | None, force: bool, jobs: int | None) -> None:
    """Write the web archive: a page per issue, an index, an Atom feed and the images.

    Only issues whose files changed are rebuilt. The site works from any static host and from file://.

    \b
    Examples:
      newsletter archive                    into dist/site/
      newsletter archive --out public/
    """
    from newsletter.archive import build_archive

    settings = obj.settings
    report(list(settings.warnings), settings.root)
    result = build_archive(settings, (out or settings.root / "dist" / "site").resolve(), force=force, jobs=jobs)
    report(result.warnings, settings.root)
    index = show(result.out / "index.html")
    if result.written:
        click.echo(f"rebuilt {len(result.rebuilt)} of {result.total} issue(s)"
                   + (f": {', '.join(result.rebuilt)}" if 0 < len(result.rebuilt) <= 5 else ""))
        click.echo(f"wrote {index}" + (" and feed.xml" if result.feed else ""))
    elif result.total:
        click.echo(f"{index} is up to date ({result.total} issue(s))")
    if result.failed:
        report(result.failed, settings.root)
        click.echo("some issues failed; the site keeps their last good page, if they had one" if result.total
                   else "no issue built, so no site was written: fix the files above and run again", err=True)
        sys.exit(1)
