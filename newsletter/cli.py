"""The command line: parse arguments, call one core function, print. The only module that imports click."""

from __future__ import annotations

import contextlib
import functools
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from newsletter.errors import NewsletterError, Problem, UsageError


class Context:
    """Global options shared by every command."""

    def __init__(self, root: Path | None, verbose: bool) -> None:
        self.root_option = root
        self.verbose = verbose

    @functools.cached_property
    def settings(self) -> Any:
        """Return the publication's Settings, found from --root or the current folder."""
        from newsletter.config import find_root, load_settings

        root = self.root_option.resolve() if self.root_option else find_root(Path.cwd())
        return load_settings(root)


def _report(problems: list[Problem], root: Path | None) -> None:
    """Print problems as `path:line: message` on stderr."""
    for problem in problems:
        click.echo(problem.format(root), err=True)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn NewsletterError into `path:line: message` and an exit code; tracebacks only with --verbose."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context().find_object(Context)
        try:
            return func(*args, **kwargs)
        except NewsletterError as exc:
            if ctx and ctx.verbose:
                traceback.print_exc()
            _report(exc.problems, _root_of(ctx))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader (e.g. `| head`) went away: stop quietly (the recipe from Python's signal docs).
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            if ctx and ctx.verbose:
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for the traceback, "
                       "and please report it)", err=True)
            sys.exit(1)

    return wrapper


def _root_of(ctx: Context | None) -> Path | None:
    """Return the publication root for shortening paths, if one is known."""
    if ctx is None:
        return None
    try:
        return ctx.settings.root
    except NewsletterError:
        return Path.cwd()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="The publication folder (default: found by walking up to newsletter.toml).")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="newsletter")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, verbose: bool) -> None:
    """Build email newsletters from folders of plain story files."""
    ctx.obj = Context(root, verbose)


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
    _report(list(obj.settings.warnings), obj.settings.root)
    click.echo(f"created issues/{slug}/:")
    for path in made:
        click.echo(f"  {path.relative_to(obj.settings.root)}")
    click.echo(f"next: write the stories, then `newsletter build {slug}`")


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

    folders = _select(obj, issues, build_all)
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
        _report([w for w in rendered.warnings if w not in settings.warnings], settings.root)
        for line in summarise(check_rendered(rendered), settings.root):
            click.echo(line, err=True)
        target = write_build(rendered, out_root)
        size = len((target / "email.html").read_bytes()) / 1024
        results.append(f"built {_show(target / 'email.html')}  {size:.1f} KB, {len(rendered.issue.stories)} "
                       f"stor{'y' if len(rendered.issue.stories) == 1 else 'ies'}")

    _report(list(settings.warnings), settings.root)
    progress = click.progressbar(folders, label="building", file=sys.stderr,
                                 item_show_func=lambda f: f.name if f else "")
    with inliner, progress if len(folders) > 2 else contextlib.nullcontext(folders) as each:
        for folder in each:
            build_one(folder)
    for line in results:
        click.echo(line)
    for exc in failed:
        _report(exc.problems, settings.root)
    if failed:
        click.echo(f"{len(failed)} of {len(folders)} issue(s) failed; their previous output, if any, is untouched",
                   err=True)
        sys.exit(1)


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

    folder = _select(obj, (issue,) if issue else (), False)[0]
    _report(list(obj.settings.warnings), obj.settings.root)
    serve(obj.settings, folder, host=host, port=port, open_browser=not no_open, echo=click.echo,
          verbose=obj.verbose)


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
    _report(list(settings.warnings), settings.root)
    report = build_archive(settings, (out or settings.root / "dist" / "site").resolve(), force=force, jobs=jobs)
    _report(report.warnings, settings.root)
    index = _show(report.out / "index.html")
    if report.written:
        click.echo(f"rebuilt {len(report.rebuilt)} of {report.total} issue(s)"
                   + (f": {', '.join(report.rebuilt)}" if 0 < len(report.rebuilt) <= 5 else ""))
        click.echo(f"wrote {index}" + (" and feed.xml" if report.feed else ""))
    elif report.total:
        click.echo(f"{index} is up to date ({report.total} issue(s))")
    if report.failed:
        _report(report.failed, settings.root)
        click.echo("some issues failed; the site keeps their last good page, if they had one" if report.total
                   else "no issue built, so no site was written: fix the files above and run again", err=True)
        sys.exit(1)


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
@click.pass_obj
@handle_errors
def export(obj: Context, *, issue: str | None, platform: str | None, out: Path | None, every: bool, audience: str,
           draft: bool, show_list: bool) -> None:
    """Export ISSUE (default: the newest) for a mailing platform or as mail files; nothing is sent.

    \b
    Examples:
      newsletter export --list
      newsletter export 2024-03-23-crocus --to mailchimp
      newsletter export --all --to mbox
    """
    from newsletter.exporters import TARGETS, export_issue, export_mailbox, module
    from newsletter.exporters.common import Options

    if show_list:
        for name, (_, description) in TARGETS.items():
            click.echo(f"{name:<17} {description}")
        return
    if not platform:
        raise UsageError(f"say where to export with --to PLATFORM: one of {', '.join(TARGETS)}")
    module(platform)
    options = Options(audience=audience, draft=draft)
    settings = obj.settings
    _report(list(settings.warnings), settings.root)
    folders = _select(obj, (issue,) if issue else (), every)
    if every and platform == "mbox":
        done = [export_mailbox(settings, folders, out, options)]
    else:
        done = [export_issue(settings, folder, platform, (out / folder.name if every else out) if out else None,
                             options) for folder in folders]
    for result in done:
        for note in result.bundle.notes:
            click.echo(note, err=True)
        click.echo(f"exported to {platform}: {_show(result.target)}/")
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
@click.pass_obj
@handle_errors
def send_test(obj: Context, *, issue: str | None, address: str, smtp_host: str, smtp_port: int, starttls: bool,
              use_ssl: bool, user: str, smtp_timeout: float) -> None:
    """Send ISSUE (default: the newest) to one address with a [TEST] subject.

    \b
    Example:
      NEWSLETTER_SMTP_PASSWORD=... newsletter send-test --to me@example.org \\
          --smtp-host smtp.example.org --starttls --user me@example.org
    """
    import os

    from newsletter.build import build_issue
    from newsletter.smtp import Security, server_from
    from newsletter.smtp import send_test as send

    security = Security(starttls=starttls, ssl=use_ssl)
    server = server_from(smtp_host, smtp_port, security, user, dict(os.environ), timeout=smtp_timeout)
    settings = obj.settings
    folder = _select(obj, (issue,) if issue else (), False)[0]
    data = send(build_issue(settings, folder), address, server)
    how = ", ".join(x for x in (server.security.upper() if server.security != "plain" else "",
                                f"as {user}" if user else "") if x)
    click.echo(f"sent {folder.name} to {address} via {server.host}:{server.real_port}"
               + (f" ({how})" if how else "") + f", {len(data) / 1024:.1f} KB")


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
               for folder in _select(obj, issues, check_all)]
    click.echo(to_json(reports, settings.root) if fmt == "json" else to_text(reports, settings.root), nl=False)
    sys.exit(exit_code(reports, strict))


def _select(obj: Context, issues: tuple[str, ...], every: bool) -> list[Path]:
    """Return the issue folders a command works on: named ones, all, or the newest."""
    from newsletter.content import list_issues, resolve_issue

    settings = obj.settings
    if every:
        found = list_issues(settings)
        if not found:
            raise UsageError("there are no issues yet: run `newsletter new SLUG`", settings.issues_dir)
        return found
    if issues:
        return [resolve_issue(settings, name) for name in issues]
    found = list_issues(settings)
    if not found:
        raise UsageError("there are no issues yet: run `newsletter new SLUG`", settings.issues_dir)
    click.echo(f"newest issue: {found[-1].name}", err=True)
    return [found[-1]]


def _show(path: Path) -> str:
    """Return a path relative to the current folder when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
