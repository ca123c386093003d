"""`newsletter build`: build issues into dist/<slug>/."""

from __future__ import annotations

import contextlib
import sys
import traceback
from pathlib import Path

import click

from newsletter.cli import Context, cli, handle_errors, report, select, show
from newsletter.errors import NewsletterError


@cli.command()
@click.argument("issues", nargs=-1)
@click.option("--all", "build_all", is_flag=True, help="Build every issue of the publication.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: dist/ in the publication).")
@click.pass_obj
@handle_errors
def build(obj: Context, issues: tuple[str, ...], build_all: bool, out: Path | None) -> None:
    """Build ISSUES (default: the newest) into dist/<slug>/email.html and friends.

    \b
    Examples:
      newsletter build                 the newest issue
      newsletter build 2024-03-23-crocus
      newsletter build --all --out public/
    """
    from newsletter.render.inline import background_inliner

    inliner = background_inliner()  # loads premailer on the second core while this process goes on
    settings = obj.settings
    from newsletter.render.templates import theme_css

    inliner.prepare(theme_css(settings))  # the worker parses the theme's CSS while the stories load
    from newsletter.build import build_issue, write_build, write_failed_mjml
    from newsletter.checks import check_rendered, prepare, summarise
    from newsletter.errors import RenderError

    folders = select(obj, issues, build_all)
    out_root = (out or settings.root / "dist").resolve()
    failed: list[NewsletterError] = []
    results: list[str] = []

    def build_one(folder: Path) -> None:
        try:
            rendered = build_issue(settings, folder, inliner, meanwhile=lambda: prepare(settings))
        except NewsletterError as exc:
            if isinstance(exc, RenderError) and exc.mjml:
                write_failed_mjml(exc, folder.name, out_root)
            if obj.verbose:
                traceback.print_exception(exc)
            failed.append(exc)
            return
        report([w for w in rendered.warnings if w not in settings.warnings], settings.root)
        for line in summarise(check_rendered(rendered), settings.root):
            click.echo(line, err=True)
        target = write_build(rendered, out_root)
        size = len((target / "email.html").read_bytes()) / 1024
        count = len(rendered.issue.stories)
        results.append(f"built {show(target / 'email.html')}  {size:.1f} KB, {count} "
                       f"stor{'y' if count == 1 else 'ies'}, {rendered.issue.status}")

    report(list(settings.warnings), settings.root)
    progress = click.progressbar(folders, label="building", file=sys.stderr,
                                 item_show_func=lambda f: f.name if f else "")
    with inliner, progress if len(folders) > 2 else contextlib.nullcontext(folders) as each:
        for folder in each:
            build_one(folder)
    for line in results:
        click.echo(line)
    for exc in failed:
        report(exc.problems, settings.root)
    if failed:
        click.echo(f"{len(failed)} of {len(folders)} issue(s) failed; their previous output, if any, is untouched",
                   err=True)
        sys.exit(1)
