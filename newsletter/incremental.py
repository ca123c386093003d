"""Build and check many issues: only those whose inputs changed, on every core.

Each built issue's output folder records the input hash it was built from (`.newsletter-build.json`, written
with the output in one step) and what the build printed about it; each check report is kept in the user's
cache folder under the issue's input hash. An issue whose hash is unchanged is not built or checked again:
its recorded lines are printed as they were. `force` does everything again.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter import inputs
from newsletter.config import Settings
from newsletter.errors import NewsletterError, Problem

if TYPE_CHECKING:
    from newsletter.render.inline import Inline

STATE_NAME = ".newsletter-build.json"
STATE_VERSION = 1
OUTPUTS = ("email.html", "email.txt", "email.mjml", "manifest.json")


@dataclass
class Outcome:
    """What building one issue did: built, up to date (skipped) or failed, and the lines to print about it."""

    slug: str
    state: str  # "built", "fresh" or "failed"
    target: Path
    lines: list[str] = field(default_factory=list)  # warnings and the check summary, for stderr
    summary: str = ""  # "32.4 KB, 10 stories, ready"
    problems: list[Problem] = field(default_factory=list)
    trace: str = ""  # the traceback of a failure, kept for --verbose


@dataclass
class Job:
    """One issue to build, with the input hash its output will record."""

    folder: Path
    inputs: str
    source: dict[str, Any]


@dataclass
class Plan:
    """The issues a build skips because they are up to date, and those it builds."""

    fresh: list[Outcome]
    todo: list[Job]
    order: list[str]


def plan_builds(settings: Settings, folders: list[Path], out_root: Path, *, force: bool = False) -> Plan:
    """Return which issues are up to date in out_root and which must be built."""
    from newsletter.build import KEEP
    from newsletter.writer import recover

    common = inputs.publication_hash(settings, "build")
    fresh: list[Outcome] = []
    todo: list[Job] = []
    leftovers = _hidden(out_root)
    for folder in folders:
        target = out_root / folder.name
        if any(name.startswith(f".{folder.name}.") for name in leftovers):
            recover(target, KEEP)  # what a killed build left (an export/ it carried) goes back first
        state = _read_json(target / STATE_NAME)
        source = inputs.source_hash(folder, state.get("source") if state else None)
        digest = inputs.digest(common, folder.name, str(source["content"]))
        if not force and state and state.get("inputs") == digest and _complete(target):
            fresh.append(Outcome(folder.name, "fresh", target, _strings(state.get("lines")),
                                 _summary(target, str(state.get("stories", "")))))
        else:
            todo.append(Job(folder, digest, source))
    return Plan(fresh, todo, [folder.name for folder in folders])


def run_builds(settings: Settings, todo: list[Job], out_root: Path, *, jobs: int | None = None,
               verbose: bool = False) -> Iterator[Outcome]:
    """Build the issues of a plan, yielding each outcome in order: in worker processes when there are enough.

    An output folder the build may not replace (someone else's files, the archive's) stops everything before
    any issue is built, with the UsageError the writer gives; any other failure is that issue's outcome.
    """
    import functools

    from newsletter.build import KEEP
    from newsletter.pool import POOL_THRESHOLD, cores, parallel_imap
    from newsletter.writer import check_target

    for job in todo:
        check_target(out_root / job.folder.name, "build", KEEP)

    if len(todo) >= POOL_THRESHOLD and min(jobs or cores(), len(todo)) > 1:
        yield from parallel_imap(functools.partial(build_job, settings, out_root, verbose), todo, jobs=jobs)
        return
    from newsletter.checks import prepare
    from newsletter.render.inline import background_inliner
    from newsletter.render.templates import theme_css

    with background_inliner() as inliner:  # loads premailer on an idle core while this process goes on
        inliner.prepare(theme_css(settings))  # the worker parses the theme's CSS while the stories load
        for job in todo:
            yield build_job(settings, out_root, verbose, job, inline=inliner, meanwhile=lambda: prepare(settings))


def build_job(settings: Settings, out_root: Path, verbose: bool, job: Job, *, inline: Inline | None = None,
              meanwhile: Callable[[], object] | None = None) -> Outcome:
    """Build, check and write one issue; a failure (its files, or writing its output) is its outcome."""
    from newsletter.build import build_issue, write_build, write_failed_mjml
    from newsletter.checks import check_rendered, summarise
    from newsletter.errors import RenderError
    from newsletter.render.inline import inline_now

    slug = job.folder.name
    target = out_root / slug
    try:
        rendered = build_issue(settings, job.folder, inline or inline_now, meanwhile=meanwhile)
        lines = [w.format(settings.root) for w in rendered.warnings if w not in settings.warnings]
        lines += summarise(check_rendered(rendered), settings.root)
        count = len(rendered.issue.stories)
        stories = f"{count} stor{'y' if count == 1 else 'ies'}, {rendered.issue.status}"
        state = {"version": STATE_VERSION, "inputs": job.inputs, "source": job.source, "lines": lines,
                 "stories": stories}
        write_build(rendered, out_root, {STATE_NAME: (json.dumps(state, indent=1) + "\n").encode("utf-8")})
    except NewsletterError as exc:
        if isinstance(exc, RenderError) and exc.mjml:
            try:
                write_failed_mjml(exc, slug, out_root)
            except NewsletterError as also:
                exc.problems.extend(also.problems)
        return Outcome(slug, "failed", target, problems=list(exc.problems),
                       trace="".join(traceback.format_exception(exc)) if verbose else "")
    return Outcome(slug, "built", target, lines, _summary(target, stories))


def _summary(target: Path, stories: str) -> str:
    """Return `32.4 KB, 10 stories, ready` for a built issue."""
    try:
        size = (target / "email.html").stat().st_size
    except OSError:
        return stories
    return f"{size / 1024:.1f} KB, {stories}"


def _hidden(folder: Path) -> list[str]:
    """Return the names of the hidden entries of a folder (a killed write's leftovers among them)."""
    try:
        return [entry.name for entry in os.scandir(folder) if entry.name.startswith(".")]
    except OSError:
        return []


def _complete(target: Path) -> bool:
    """Return True when a build folder still holds every file a build writes."""
    return all((target / name).is_file() for name in OUTPUTS)


def _read_json(path: Path) -> dict[str, Any] | None:
    """Return a small JSON object this tool wrote, or None when it is missing, unreadable or not ours."""
    from newsletter.files import read_bytes

    try:
        data = json.loads(read_bytes(path, 1 << 20, follow=False).decode("utf-8"))
    except (NewsletterError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == STATE_VERSION else None


def _strings(value: Any) -> list[str]:
    """Return a list of strings from JSON, or [] when it is something else."""
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else []
