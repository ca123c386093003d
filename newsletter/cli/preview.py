"""`newsletter preview`: the live preview server."""

from __future__ import annotations

import click

from newsletter.cli import Context, cli, handle_errors, report, select


@cli.command()
@click.argument("issue", required=False)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to serve on; a free one is taken when it is in use (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on; anything but loopback shares unpublished issues with the network.")
@click.option("--no-open", is_flag=True, help="Do not open the browser.")
@click.pass_obj
@handle_errors
def preview(obj: Context, issue: str | None, port: int, host: str, no_open: bool) -> None:
    """Serve a live preview of ISSUE (default: the newest) that updates as you save files.

    \b
    Examples:
      newsletter preview                        the newest issue, opens the browser
      newsletter preview 2024-03-23-crocus --port 8001 --no-open
    """
    from newsletter.preview import serve

    folder = select(obj, (issue,) if issue else (), False)[0]
    report(list(obj.settings.warnings), obj.settings.root)
    serve(obj.settings, folder, host=host, port=port, open_browser=not no_open, echo=click.echo,
          verbose=obj.verbose)
