"""Build and check many issues: only those whose inputs changed, on every core.

Each built issue's output folder records the input hash it was built from (`.newsletter-build.json`, written
with the output in one step) and what the build printed about it; each check report is kept as JSON in the
user's cache folder with the issue's input hash. An issue whose hash is unchanged is not built or checked
again: what it printed is printed again, from the record. `force` does everything again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter import inputs
from newsletter.config import Settings
from newsletter.errors import NewsletterError, Problem
from newsletter.model import STATUSES

if TYPE_CHECKING:
    from newsletter.checks import IssueReport
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
        digest, source = inputs.issue_inputs(common, folder, state.get("source") if state else None)
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
        import traceback

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


def check_many(settings: Settings, folders: list[Path], *, links: bool = False, link_timeout: float = 10.0,
               jobs: int | None = None, force: bool = False) -> list[IssueReport]:
    """Check issues in worker processes, reusing the report of each issue whose inputs did not change.

    Reports are kept in the user's cache folder for the publication; with links nothing is reused (the
    web changes under an unchanged issue). Each worker hashes, checks and keeps its issues itself, so
    nothing but the report goes through this process one issue after another.
    """
    import functools

    from newsletter import cache
    from newsletter.checks import run_all
    from newsletter.pool import parallel_map

    if links:
        return run_all(settings, folders, links=True, link_timeout=link_timeout, jobs=jobs)
    kept = cache.folder(settings.root, "check")
    job = functools.partial(_check_kept, settings, inputs.publication_hash(settings, "check"),
                            kept if cache.usable(kept) else None, force)
    return parallel_map(job, folders, jobs=jobs)


def _check_kept(settings: Settings, common: str, kept: Path | None, force: bool, folder: Path) -> IssueReport:
    """Return the report kept for an issue whose inputs did not change; else check it and keep the new report."""
    from newsletter.checks import run_checks
    from newsletter.writer import write_cache_file

    entry = _read_json(kept / _entry_name(folder.name)) if kept else None
    digest, source = inputs.issue_inputs(common, folder, entry.get("source") if entry else None)
    found = _report(entry.get("report")) if entry and not force and entry.get("inputs") == digest else None
    if found is not None:
        return found
    report = run_checks(settings, folder)
    if kept:
        entry = {"version": STATE_VERSION, "inputs": digest, "source": source, "report": _json(report)}
        write_cache_file(kept / _entry_name(folder.name), json.dumps(entry).encode("utf-8"))
    return report


def _entry_name(slug: str) -> str:
    """Return the cache file name of an issue's report (a hash: any folder name makes a short, safe one)."""
    return inputs.digest(slug)[:32] + ".json"


def _json(report: IssueReport) -> dict[str, Any]:
    """Return a check report as JSON data."""
    return {"slug": report.slug, "path": str(report.path), "html_bytes": report.html_bytes, "status": report.status,
            "findings": [[f.rule, f.level, None if f.path is None else str(f.path), f.line, f.message, f.fix,
                          f.column] for f in report.findings],
            "stories": [[s.file, s.title, s.words, s.reading_minutes, s.html_bytes, s.minutes]
                        for s in report.stories]}


def _report(data: Any) -> IssueReport | None:
    """Return the check report kept as JSON data, or None when it is not exactly what _json() writes."""
    from newsletter.checks import Finding, IssueReport, StoryStats

    try:
        if not (isinstance(data["slug"], str) and isinstance(data["path"], str)
                and _optional(data["html_bytes"], int) and data["status"] in STATUSES):
            return None
        findings = [Finding(rule, level, None if path is None else Path(path), line, message, fix, column)
                    for rule, level, path, line, message, fix, column in data["findings"]
                    if _all(str, rule, level, message, fix) and _optional(path, str) and _optional(line, int)
                    and _optional(column, int)]
        stories = [StoryStats(file, title, words, minutes, size, exact)
                   for file, title, words, minutes, size, exact in data["stories"]
                   if _all(str, file, title) and _all(int, words, minutes) and _optional(size, int)
                   and isinstance(exact, (int, float)) and not isinstance(exact, bool)]
    except (KeyError, TypeError, ValueError):
        return None
    if len(findings) != len(data["findings"]) or len(stories) != len(data["stories"]):
        return None
    return IssueReport(data["slug"], Path(data["path"]), findings, stories, data["html_bytes"], data["status"])


def _all(kind: type, *values: Any) -> bool:
    """Return True when every value is of this kind (a bool is not an int here)."""
    return all(isinstance(v, kind) and not isinstance(v, bool) for v in values)


def _optional(value: Any, kind: type) -> bool:
    """Return True for None or a value of this kind."""
    return value is None or _all(kind, value)
