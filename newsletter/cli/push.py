"""`newsletter push`: create or update the issue's draft on a platform through its API; nothing is sent."""

from __future__ import annotations

import os

import click

from newsletter.cli import Context, cli, handle_errors, select


@cli.command()
@click.argument("issue", required=False)
@click.option("--to", "platform", metavar="PLATFORM", required=True,
              help="buttondown, mailchimp, listmonk, kit, sendgrid, brevo, postmark, mailgun, ses or "
                   "campaign-monitor.")
@click.option("--audience", default="", metavar="ID",
              help="Lists to address: Mailchimp list id, listmonk/Brevo/Campaign Monitor list ids, SendGrid list id.")
@click.option("--dry-run", is_flag=True, help="Print each request (method, URL, body; never credentials); send none.")
@click.option("--force", is_flag=True, help="Push even when the send-day checks find errors, or a draft issue.")
@click.pass_obj
@handle_errors
def push(obj: Context, *, issue: str | None, platform: str, audience: str, dry_run: bool, force: bool) -> None:
    """Create (or update) ISSUE's draft on PLATFORM (default: the newest issue); never sends it.

    Credentials come only from the environment: NEWSLETTER_<PLATFORM>_API_KEY (see the README's Push section).

    \b
    Examples:
      NEWSLETTER_BUTTONDOWN_API_KEY=... newsletter push --to buttondown
      newsletter push 2024-03-23-crocus --to mailchimp --audience abc123 --dry-run
    """
    from newsletter.gate import passed_lines
    from newsletter.push import module, push_issue

    module(platform)
    settings = obj.settings
    folder = select(obj, (issue,) if issue else (), False)[0]
    done = push_issue(settings, folder, platform, dict(os.environ), audience=audience, dry_run=dry_run, force=force)
    for line in passed_lines([done.verdict], "push", settings.root, forced=force):
        click.echo(line, err=True)
    for note in done.notes:
        click.echo(note, err=True)
    if dry_run:
        for request in done.shown:
            click.echo(request)
        click.echo(f"dry run: nothing was sent to {platform}")
        return
    click.echo(f"{'created' if done.created else 'updated'} {platform} draft {done.id} for {done.slug}")
    click.echo(f"  open: {done.url}")
    click.echo("  nothing was sent to subscribers; review and send it in the platform")
