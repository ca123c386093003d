"""`newsletter check`: what to fix before sending."""

from __future__ import annotations

import sys

import click

from newsletter.cli import Context, cli, handle_errors, select


@cli.command()
@click.argument("issues", nargs=-1)
@click.option("--all", "check_all", is_flag=True, help="Check every issue of the publication.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json (one document) for tools.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--links", "check_links", is_flag=True, help="Also request every URL and report dead or redirected "
              "ones (HEAD, then GET; 8 at a time; working links are cached for a day).")
@click.option("--timeout", "link_timeout", type=click.FloatRange(0.1, 120), default=10.0, show_default=True,
              help="Seconds to wait for each URL with --links.")
@click.pass_obj
@handle_errors
def check(obj: Context, *, issues: tuple[str, ...], check_all: bool, fmt: str, strict: bool, check_links: bool,
          link_timeout: float) -> None:
    """Check ISSUES (default: the newest) for what to fix before sending, at the file and line to fix.

    \b
    Examples:
      newsletter check                        the newest issue, as text
      newsletter check 2024-03-23-crocus --strict
      newsletter check --all --format json --links
    """
    from newsletter.checks import exit_code, run_checks
    from newsletter.checks.report import to_json, to_text

    settings = obj.settings
    reports = [run_checks(settings, folder, links=check_links, link_timeout=link_timeout)
               for folder in select(obj, issues, check_all)]
    click.echo(to_json(reports, settings.root) if fmt == "json" else to_text(reports, settings.root), nl=False)
    sys.exit(exit_code(reports, strict))
