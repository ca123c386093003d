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
              help="Seconds to wait for each URL with --links, redirects included.")
@click.option("--fix", "fix", is_flag=True, help="First fix what is mechanical in the story files (blanks in a "
              "row, \"the the\", straight quotes, trailing whitespace) and print each change.")
@click.pass_obj
@handle_errors
def check(obj: Context, *, issues: tuple[str, ...], check_all: bool, fmt: str, strict: bool, check_links: bool,
          link_timeout: float, fix: bool) -> None:
    """Check ISSUES (default: the newest) for what to fix before sending, at the file and line to fix.

    \b
    Examples:
      newsletter check                        the newest issue, as text
      newsletter check 2024-03-23-crocus --strict
      newsletter check --all --format json --links
      newsletter check --fix                  fix the mechanical slips, then check
    """
    from newsletter.checks import exit_code, run_all
    from newsletter.checks.report import to_json, to_text

    settings = obj.settings
    folders = select(obj, issues, check_all)
    if fix:
        from newsletter.fix import fix_issue

        for folder in folders:
            changes, skipped = fix_issue(settings, folder)
            for line in [*(c.format(settings.root) for c in changes), *skipped]:
                click.echo(f"fixed: {line}" if not line.endswith("links") else f"skipped: {line}",
                           err=fmt == "json")
    reports = run_all(settings, folders, links=check_links, link_timeout=link_timeout)
    click.echo(to_json(reports, settings.root) if fmt == "json" else to_text(reports, settings.root), nl=False)
    sys.exit(exit_code(reports, strict))
