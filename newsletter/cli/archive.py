"""`newsletter archive`: the static web archive."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli import Context, cli, handle_errors, report, show


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Site folder (default: dist/site/ in the publication). Files the archive did not write stay.")
@click.option("--force", is_flag=True, help="Rebuild every issue, even those whose files did not change.")
@click.option("--drafts", is_flag=True,
              help="Include drafts, issues dated later and issues with check errors: a private look, not indexed.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Worker processes (default: one per core).")
@click.pass_obj
@handle_errors
def archive(obj: Context, out: Path | None, force: bool, drafts: bool, jobs: int | None) -> None:
    """Write the web archive: a page per published issue, front pages, an Atom feed, sitemap and images.

    Drafts, issues dated after today and issues with check errors are left out (--drafts includes them).
    Only what changed is rebuilt and written; static/ is copied into the site as it is. The site works from
    any static host and from file://.

    \b
    Examples:
      newsletter archive                    into dist/site/
      newsletter archive --out public/
      newsletter archive --drafts --out /tmp/look
    """
    from newsletter.archive import build_archive

    settings = obj.settings
    report(list(settings.warnings), settings.root)
    result = build_archive(settings, (out or settings.root / "dist" / "site").resolve(), force=force,
                           drafts=drafts, jobs=jobs)
    report(result.warnings, settings.root)
    index = show(result.out / "index.html")
    if result.rebuilt:
        shown = f": {', '.join(result.rebuilt)}" if 0 < len(result.rebuilt) <= 5 else ""
        click.echo(f"rebuilt {len(result.rebuilt)} of {result.total} issue(s){shown}")
    if result.written:
        size = f"{result.bytes_written / 1024:.0f} KB" if result.bytes_written >= 1024 else f"{result.bytes_written} B"
        files = f"{result.files_written} file{'s' if result.files_written != 1 else ''}"
        click.echo(f"wrote {index}" + (" and feed.xml" if result.feed else "") + f" ({files} changed, {size} written)")
    elif result.total:
        click.echo(f"{index} is up to date ({result.total} issue(s))")
    if result.left_out:
        click.echo(f"left out {_count(result.left_out)}: " + ", ".join(f"{s} ({why})" for s, why in result.left_out))
    if result.kept:
        click.echo(f"kept the last good page of {_count(result.kept)}: "
                   + ", ".join(f"{s} ({why})" for s, why in result.kept), err=True)
    if result.findings:
        click.echo("\n".join(result.findings), err=True)
    report(result.failed, settings.root)
    if not result.total:
        click.echo("no issue is published yet, so no site was written: "
                   + ("fix the files above and run again" if result.failed or result.findings
                      else "mark an issue ready (status = \"ready\" in its issue.toml), or look with --drafts"),
                   err=True)
    if result.failed or result.findings:
        sys.exit(1)


def _count(items: list[tuple[str, str]]) -> str:
    """Return '1 issue' or 'N issues'."""
    return f"{len(items)} issue{'s' if len(items) != 1 else ''}"
