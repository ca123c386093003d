"""`newsletter build`: build issues into dist/<slug>/, only those whose files changed."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click

from newsletter.cli import Context, cli, handle_errors, report, select, show

SHOWN_ONE_BY_ONE = 5  # more issues up to date than this are counted in one line


@cli.command()
@click.argument("issues", nargs=-1)
@click.option("--all", "build_all", is_flag=True, help="Build every issue of the publication.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: dist/ in the publication).")
@click.option("--force", is_flag=True, help="Build again even the issues whose files did not change since their "
              "last build.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Worker processes when several issues are built "
              "(default: one per core).")
@click.pass_obj
@handle_errors
def build(obj: Context, *, issues: tuple[str, ...], build_all: bool, out: Path | None, force: bool,
          jobs: int | None) -> None:
    """Build ISSUES (default: the newest) into dist/<slug>/email.html and friends.

    An issue whose files, theme, newsletter.toml and shared assets did not change since it was built is not
    built again (--force builds it anyway); several issues are built on every core.

    \b
    Examples:
      newsletter build                 the newest issue
      newsletter build 2024-03-23-crocus
      newsletter build --all --out public/
    """
    from newsletter.incremental import plan_builds, run_builds

    settings = obj.settings
    folders = select(obj, issues, build_all)
    out_root = (out or settings.root / "dist").resolve()
    report(list(settings.warnings), settings.root)
    plan = plan_builds(settings, folders, out_root, force=force)
    outcomes = {outcome.slug: outcome for outcome in plan.fresh}
    with _progress(run_builds(settings, plan.todo, out_root, jobs=jobs, verbose=obj.verbose),
                   len(plan.todo)) as each:
        for outcome in each:
            outcomes[outcome.slug] = outcome
    ordered = [outcomes[slug] for slug in plan.order]
    for outcome in ordered:
        for line in outcome.lines:
            click.echo(line, err=True)
    for outcome in ordered:
        if outcome.state == "built":
            click.echo(f"built {show(outcome.target / 'email.html')}  {outcome.summary}")
    if len(plan.fresh) > SHOWN_ONE_BY_ONE:
        click.echo(f"{len(plan.fresh)} of {len(ordered)} issue(s) up to date in {show(out_root)}: their files did "
                   "not change since they were built (--force builds them again)")
    else:
        for outcome in plan.fresh:
            click.echo(f"up to date {show(outcome.target / 'email.html')}  {outcome.summary} (its files did not "
                       "change since it was built; --force builds it again)")
    failed = [outcome for outcome in ordered if outcome.state == "failed"]
    for outcome in failed:
        if outcome.trace:
            click.echo(outcome.trace, err=True, nl=False)
        report(outcome.problems, settings.root)
    if failed:
        click.echo(f"{len(failed)} of {len(folders)} issue(s) failed; their previous output, if any, is untouched",
                   err=True)
        sys.exit(1)


def _progress(outcomes: Iterable, count: int) -> contextlib.AbstractContextManager[Iterator]:
    """Return the outcomes with a progress bar on stderr when more than two issues are built."""
    if count <= 2:  # built only when shown: constructing click's bar costs a single build time
        return contextlib.nullcontext(iter(outcomes))
    return click.progressbar(outcomes, length=count, label="building", file=sys.stderr,
                             item_show_func=lambda outcome: outcome.slug if outcome else "")
