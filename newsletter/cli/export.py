"""`newsletter export` and `newsletter send-test`: what leaves the machine."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli import Context, cli, handle_errors, select, show
from newsletter.errors import UsageError


@cli.command()
@click.argument("issue", required=False)
@click.option("--to", "platform", metavar="PLATFORM", help="Target platform (see --list).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: dist/<slug>/export/<platform>/).")
@click.option("--all", "every", is_flag=True, help="Export every issue (mbox: all in one mailbox).")
@click.option("--audience", default="", metavar="ID",
              help="List or audience to address: Mailchimp list id, listmonk/Brevo list ids, Mailgun list address.")
@click.option("--draft", is_flag=True, help="eml/mbox: add X-Unsent: 1 so mail programs open a draft.")
@click.option("--list", "show_list", is_flag=True, help="List the platforms and exit.")
@click.option("--force", is_flag=True, help="Export even with check errors or a draft status (says what it overrode).")
@click.pass_obj
@handle_errors
def export(obj: Context, *, issue: str | None, platform: str | None, out: Path | None, every: bool, audience: str,
           draft: bool, show_list: bool, force: bool) -> None:
    """Export ISSUE (default: the newest) for a mailing platform or as mail files; nothing is sent.

    The `check` rules run first: an error, or an issue still marked draft, stops the export (nothing is
    written) unless --force.

    \b
    Examples:
      newsletter export --list
      newsletter export 2024-03-23-crocus --to mailchimp
      newsletter export --all --to mbox
    """
    from newsletter.exporters import TARGETS, export_issues, export_mailbox, module
    from newsletter.exporters.common import Options
    from newsletter.gate import passed_lines

    if show_list:
        for name, (_, description) in TARGETS.items():
            click.echo(f"{name:<17} {description}")
        return
    if not platform:
        raise UsageError(f"say where to export with --to PLATFORM: one of {', '.join(TARGETS)}")
    module(platform)
    options = Options(audience=audience, draft=draft)
    settings = obj.settings
    folders = select(obj, (issue,) if issue else (), every)
    if every and platform == "mbox":
        done = [export_mailbox(settings, folders, out, options, force=force)]
    else:
        done = export_issues(settings, folders, platform, out, options, nested=every, force=force)
    for line in passed_lines([v for result in done for v in result.verdicts], "export", settings.root, forced=force):
        click.echo(line, err=True)
    for result in done:
        for note in result.bundle.notes:
            click.echo(note, err=True)
        click.echo(f"exported to {platform}: {show(result.target)}/")
        width = max(len(name) for name in [*result.bundle.describe, "images/"])
        for name, what in result.bundle.describe.items():
            click.echo(f"  {name:<{width}}  {what}")
        if result.bundle.copies:
            click.echo(f"  {'images/':<{width}}  {len(result.bundle.copies)} image(s) to upload to "
                       "[images] base_url")
    click.echo("next:")
    for step in done[-1].bundle.next_step:
        click.echo(f"  {step}")


@cli.command("send-test")
@click.argument("issue", required=False)
@click.option("--to", "address", required=True, help="The address that gets the test.")
@click.option("--smtp-host", default="localhost", show_default=True, help="SMTP server.")
@click.option("--smtp-port", default=0, type=click.IntRange(0, 65535),
              help="SMTP port (default: 25, 587 with --starttls, 465 with --ssl).")
@click.option("--starttls", is_flag=True, help="Upgrade the connection with STARTTLS.")
@click.option("--ssl", "use_ssl", is_flag=True, help="Connect with TLS from the start.")
@click.option("--user", default="", help="Login name; the password comes from NEWSLETTER_SMTP_PASSWORD.")
@click.option("--timeout", "smtp_timeout", type=click.FloatRange(0.1, 600), default=30.0, show_default=True,
              help="Seconds to wait for the SMTP server at each step.")
@click.option("--force", is_flag=True, help="Send even with check errors (says what it overrode).")
@click.pass_obj
@handle_errors
def send_test(obj: Context, *, issue: str | None, address: str, smtp_host: str, smtp_port: int, starttls: bool,
              use_ssl: bool, user: str, smtp_timeout: float, force: bool) -> None:
    """Send ISSUE (default: the newest) to one address with a [TEST] subject.

    The `check` rules run first: an error stops the send unless --force. Drafts can be sent (testing is what
    drafts are for).

    \b
    Example:
      NEWSLETTER_SMTP_PASSWORD=... newsletter send-test --to me@example.org \\
          --smtp-host smtp.example.org --starttls --user me@example.org
    """
    import os

    from newsletter.build import build_issue
    from newsletter.gate import admit, passed_lines
    from newsletter.smtp import Security, server_from
    from newsletter.smtp import send_test as send

    security = Security(starttls=starttls, ssl=use_ssl)
    server = server_from(smtp_host, smtp_port, security, user, dict(os.environ), timeout=smtp_timeout)
    settings = obj.settings
    folder = select(obj, (issue,) if issue else (), False)[0]
    rendered = build_issue(settings, folder)
    verdicts = admit([rendered], "send-test", force=force, drafts=True)
    data = send(rendered, address, server)
    for line in passed_lines(verdicts, "send-test", settings.root, forced=force, drafts=True):
        click.echo(line, err=True)
    how = ", ".join(x for x in (server.security.upper() if server.security != "plain" else "",
                                f"as {user}" if user else "") if x)
    click.echo(f"sent {folder.name} to {address} via {server.host}:{server.real_port}"
               + (f" ({how})" if how else "") + f", {len(data) / 1024:.1f} KB")
