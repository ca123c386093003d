"""Build the web archive: only what changed is rebuilt and written, and only what is published goes in.

Each run reads archive.json (what the last run wrote), rebuilds the issues whose files changed (on every core
when there are many), writes each changed file in place (atomically, one file at a time), and removes only
files an earlier run wrote. Files the archive did not write are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from newsletter import __version__
from newsletter.archive.feed import FEED_NAME, ROBOTS_NAME, SITEMAP_NAME, atom_feed, newest_first, robots, sitemap
from newsletter.archive.head import SiteInfo
from newsletter.archive.index import index_pages
from newsletter.archive.page import pager_html, set_pager
from newsletter.archive.state import (
    STATE_NAME,
    STATE_VERSION,
    State,
    digest,
    folder_hash,
    read_state,
    short_hash,
    source_of,
)
from newsletter.archive.statics import GENERATED_ICON, generated_icon, icons, static_files
from newsletter.archive.work import Built, build_page, feed_content
from newsletter.config import Settings
from newsletter.errors import Problem, UsageError
from newsletter.render.templates import theme_dirs
from newsletter.writer import update_files

POOL_THRESHOLD = 4  # fewer changed issues than this are built in-process: starting workers costs more
FEED_SLACK = 10  # issues beyond the feed's length whose content is kept, in case newer ones are left out


@dataclass
class ArchiveReport:
    """What `newsletter archive` did: what it rebuilt, wrote, left out, and what failed."""

    out: Path
    total: int
    rebuilt: list[str] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    written: bool = False
    feed: bool = False
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (slug, why) not on the site
    kept: list[tuple[str, str]] = field(default_factory=list)  # (slug, why) whose last good page stays
    findings: list[str] = field(default_factory=list)  # check errors that held issues back, as check prints them
    files_written: int = 0
    bytes_written: int = 0


class _Site:
    """The site folder being updated: writes only what differs from what the last run left."""

    def __init__(self, out: Path, before: State) -> None:
        self.out = out
        self.before = before
        self.files: dict[str, str] = {}  # what this run leaves in the site: path -> hash
        self.disk = dict(before.files)  # what the site holds now, as far as the archive wrote it
        self.report_files = 0
        self.report_bytes = 0

    def keep(self, path: str) -> None:
        """Record a file an earlier run wrote that stays as it is."""
        self.files[path] = self.before.files.get(path, "")

    def put(self, path: str, data: bytes | None = None, source: Path | None = None, mark: str = "") -> None:
        """Write one file (bytes, or a copy of `source` known by `mark`) unless the site already has it."""
        mark = mark or short_hash(data or b"")
        self.files[path] = mark
        if self.disk.get(path) == mark and (self.out / path).is_file():
            return
        self.disk[path] = mark
        if not (self.out / STATE_NAME).exists():  # mark a new site folder as the archive's before the first file
            update_files(self.out, {STATE_NAME: State().dumps()})
        if data is not None:
            update_files(self.out, {path: data})
            self.report_bytes += len(data)
        else:
            update_files(self.out, {}, {path: source})
            self.report_bytes += source.stat().st_size if source else 0
        self.report_files += 1

    def remove_stale(self) -> None:
        """Remove the files earlier runs wrote that this run did not."""
        stale = sorted(set(self.before.files) - set(self.files) - {STATE_NAME})
        if stale:
            update_files(self.out, {}, remove=stale)
            self.report_files += len(stale)


def build_archive(settings: Settings, out: Path, *, force: bool = False, drafts: bool = False,
                  jobs: int | None = None, today: dt.date | None = None) -> ArchiveReport:
    """Build or update the static site in `out` from the publication's published issues."""
    from newsletter.content import list_issues

    folders = list_issues(settings)
    if not folders:
        raise UsageError("there are no issues yet: run `newsletter new SLUG`", settings.issues_dir)
    run = _Run(settings, out, drafts)
    todo = run.plan(folders, force, today or dt.date.today())
    for built in _run(settings, todo, run.site, run.wanted(), jobs):
        run.take(built)
    return run.finish()


def held_back(folder: Path, today: dt.date) -> str:
    """Return why an issue is not published yet ('draft', 'dated 2027-01-05'), or '' when it is."""
    from newsletter.content import peek

    status = peek(folder, "status")
    if isinstance(status, str) and status.strip() == "draft":
        return "draft"
    date = peek(folder, "date")
    if isinstance(date, dt.date) and not isinstance(date, dt.datetime) and date > today:
        return f"dated {date.isoformat()}"
    return ""


class _Run:
    """One archive run: what the last run left (`before`), what this one leaves (`after`), and the report."""

    def __init__(self, settings: Settings, out: Path, drafts: bool) -> None:
        self.settings = settings
        self.drafts = drafts
        self.before = read_state(out)
        self.writer = _Site(out, self.before)
        self.after = State(scanned=time.time_ns())
        self.report = ArchiveReport(out, 0, feed=bool(settings.publication.url))
        self.contents: dict[str, str] = {}  # feed content of the issues built now that may be in the feed
        self.order: list[str] = []  # the issues to publish, oldest first
        self.place: dict[str, int] = {}  # slug -> its index in order
        self.statics: dict[str, Path] = {}
        self.rank: dict[str, int] = {}  # slug -> place among all issues, oldest first
        self.site = SiteInfo(feed=self.report.feed)

    def plan(self, folders: list[Path], force: bool, today: dt.date) -> list[Path]:
        """Sort the issues into held back, unchanged and to build; return those to build."""
        settings, before, after, report = self.settings, self.before, self.after, self.report
        if not report.feed:
            report.warnings.append(Problem("no feed.xml: an Atom feed needs absolute links; set `url` in "
                                           "[publication]", settings.path, level="warning"))
        reserved = {"index.html", "page", FEED_NAME, SITEMAP_NAME, STATE_NAME, *(f.name for f in folders)}
        self.statics, after.statics, problems = static_files(settings, before.statics, before.scanned, reserved)
        report.warnings.extend(p for p in problems if p.level == "warning")
        report.failed.extend(p for p in problems if p.level != "warning")
        self.site = SiteInfo(feed=report.feed, icons=icons(settings, self.statics), noindex=self.drafts)
        after.common = digest(_common_hash(settings), json.dumps(self.site.icons), str(self.drafts))
        todo = []
        self.rank = {folder.name: i for i, folder in enumerate(folders)}
        for folder in folders:
            reason = "" if self.drafts else held_back(folder, today)
            if reason:
                report.left_out.append((folder.name, reason))
                continue
            self.place[folder.name] = len(self.order)
            self.order.append(folder.name)
            old = before.issues.get(folder.name)
            signature, source = source_of(folder, old, before.scanned)
            inputs = digest(after.common, source)
            if not force and old and old.get("inputs") == inputs and _intact(self.writer.out, old):
                after.issues[folder.name] = old
                if old.get("blocked"):
                    report.left_out.append((folder.name, _errors(old.get("error_count", 0))))
                    report.findings.extend(old["blocked"])
            else:
                todo.append(folder)
                after.issues[folder.name] = {"slug": folder.name, "signature": signature, "source": source,
                                             "inputs": inputs, "new": True}
        return todo

    def wanted(self) -> set[str]:
        """Return the issues whose feed content to keep from their build: the newest, and a few more."""
        return set(self.order[-(self.settings.archive.feed_entries + FEED_SLACK):])

    def take(self, built: Built) -> None:
        """Record one rebuilt issue: write its page and images, or keep its last good page when it fails."""
        slug, report, writer = built.slug, self.report, self.writer
        old = self.before.issues.get(slug)
        fresh = self.after.issues[slug]
        public = old and old.get("shown") and not old.get("private")  # a page from --drafts is no last good page
        last_good = old if public and _intact(writer.out, old) else None
        reason = ""
        if built.problems:
            report.failed.extend(built.problems)
            reason = "does not build"
        elif built.errors and not self.drafts:
            report.findings.extend(built.errors)
            reason = _errors(built.error_count)
        report.warnings.extend(built.warnings)
        if reason:
            if last_good is not None:
                self.after.issues[slug] = last_good
                report.kept.append((slug, reason))
            else:
                report.left_out.append((slug, reason))
                if not built.problems:  # the verdict holds until the issue's files change
                    self.after.issues[slug] = {**fresh, **built.entry, "new": False, "shown": False,
                                               "blocked": built.errors, "error_count": built.error_count}
            return
        entry = _dated(built.entry, old, dt.datetime.now(dt.UTC).replace(microsecond=0), fresh["source"])
        entry.update(signature=fresh["signature"], source=fresh["source"], inputs=fresh["inputs"], shown=True,
                     private=self.drafts)
        for name, source in built.copies.items():
            writer.put(f"{slug}/{name}", source=source, mark=name.rsplit("/", 1)[-1])
        pager = self._guess_pager(slug)
        entry["pager"] = short_hash(pager.encode())
        writer.put(f"{slug}/index.html", set_pager(built.page, pager).encode("utf-8"))
        self.after.issues[slug] = entry
        if built.content is not None:
            self.contents[slug] = built.content
        report.rebuilt.append(slug)

    def _guess_pager(self, slug: str) -> str:
        """Return the pager an issue most likely gets; set_pagers() corrects it once every issue is known."""
        order, at = self.order, self.place[slug]

        def near(step: int) -> dict[str, Any] | None:
            index = at + step
            while 0 <= index < len(order):
                entry = self.after.issues.get(order[index], {})
                earlier = self.before.issues.get(order[index], {"shown": True})
                if entry.get("shown") or (entry.get("new") and earlier.get("shown")):
                    known = entry.get("subject") or self.before.issues.get(order[index], {}).get("subject")
                    return {"slug": order[index], "subject": known or _peek_subject(self.settings, order[index])}
                index += step
            return None

        return pager_html(self.settings, near(-1), near(1))

    def finish(self) -> ArchiveReport:
        """Write what every page shares, remove what is gone, save the state, and return the report."""
        after, writer, report = self.after, self.writer, self.report
        published = [e for e in after.issues.values() if e.get("shown")]
        for entry in published:
            for name in entry["files"]:
                if f"{entry['slug']}/{name}" not in writer.files:
                    writer.keep(f"{entry['slug']}/{name}")
        after.issues = {slug: e for slug, e in after.issues.items() if not e.get("new")}
        report.total = len(published)
        report.warnings = list(dict.fromkeys(report.warnings))
        report.left_out.sort(key=lambda item: self.rank.get(item[0], 0))
        if not published:
            return report  # no issue is on the site: an empty site helps nobody; earlier pages stay
        ordered = newest_first(published)
        self.set_pagers(ordered)
        self.write_shared(ordered)
        writer.remove_stale()
        after.files = writer.files
        if writer.report_files or after.dumps(scanned=False) != self.before.dumps(scanned=False):
            update_files(writer.out, {STATE_NAME: after.dumps()})
        report.written = bool(writer.report_files)
        report.files_written, report.bytes_written = writer.report_files, writer.report_bytes
        return report

    def set_pagers(self, ordered: list[dict[str, Any]]) -> None:
        """Give every page the links to its real neighbours, rewriting only the pages whose links changed."""
        for index, entry in enumerate(ordered):
            newer = ordered[index - 1] if index > 0 else None
            older = ordered[index + 1] if index + 1 < len(ordered) else None
            pager = pager_html(self.settings, _link(older), _link(newer))
            mark = short_hash(pager.encode())
            if entry.get("pager") == mark:
                continue
            path = f"{entry['slug']}/index.html"
            page = (self.writer.out / path).read_text(encoding="utf-8")
            self.writer.put(path, set_pager(page, pager).encode("utf-8"))
            entry["pager"] = mark

    def write_shared(self, ordered: list[dict[str, Any]]) -> None:
        """Write the front pages, feed, sitemap, robots.txt, icon and static files where they changed."""
        settings, writer, site = self.settings, self.writer, self.site
        pages = index_pages(settings, ordered, site)
        for path, data in pages.items():
            writer.put(path, data)
        if site.feed:
            window = ordered[:settings.archive.feed_entries]
            for entry in window:
                slug = entry["slug"]
                content = self.contents.get(slug) or self.before.feed.get(slug)
                self.after.feed[slug] = content if content is not None else feed_content(
                    settings, settings.issues_dir / slug)
            writer.put(FEED_NAME, atom_feed(settings, window, self.after.feed))
            writer.put(SITEMAP_NAME, sitemap(settings, ordered, list(pages)))
        if ROBOTS_NAME not in self.statics:
            writer.put(ROBOTS_NAME, robots(settings, self.drafts))
        if any(icon["href"] == GENERATED_ICON for icon in site.icons):
            writer.put(GENERATED_ICON, generated_icon(settings))
        for name, source in self.statics.items():
            writer.put(name, source=source, mark=self.after.statics[name][2])


def _peek_subject(settings: Settings, slug: str) -> str:
    """Return an issue's subject as its issue.toml has it, before the issue is built."""
    from newsletter.content import peek

    subject = peek(settings.issues_dir / slug, "subject")
    return subject if isinstance(subject, str) else ""


def _errors(count: int) -> str:
    """Return '1 check error' or 'N check errors'."""
    return f"{count} check error{'s' if count != 1 else ''}"


def _link(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return what a pager shows of a neighbouring issue."""
    return {"slug": entry["slug"], "subject": entry["subject"]} if entry else None


def _intact(out: Path, entry: dict[str, Any]) -> bool:
    """Return True when an entry's verdict stands: held back for errors, or its page and images are all there."""
    if entry.get("blocked"):
        return True
    return bool(entry.get("shown")) and all((out / entry["slug"] / name).is_file() for name in entry.get("files", ()))


def _common_hash(settings: Settings) -> str:
    """Return a hash of what every page depends on: the tool, newsletter.toml, the theme and shared assets."""
    from newsletter.images import _SETTINGS

    parts = [__version__, str(STATE_VERSION), _SETTINGS.decode(), folder_hash(settings.root / "assets")]
    parts.append(short_hash(settings.path.read_bytes()))
    parts.extend(folder_hash(folder) for folder in theme_dirs(settings.root))
    return digest(*parts)


def _dated(entry: dict[str, Any], before: dict[str, Any] | None, now: dt.datetime, source: str) -> dict[str, Any]:
    """Give an entry its published and updated times: kept from before unless the issue's own files changed."""
    if before and before.get("published"):
        published = before["published"]
        updated = before.get("updated", published) if before.get("source") == source else now.isoformat()
    else:
        published = (dt.datetime.combine(dt.date.fromisoformat(entry["date"]), dt.time(), dt.UTC).isoformat()
                     if entry.get("date") else now.isoformat())
        updated = published
    return {**entry, "published": published, "updated": updated}


def _run(settings: Settings, todo: list[Path], site: SiteInfo, wanted: set[str],
         jobs: int | None) -> Iterator[Built]:
    """Build the issues that changed, one at a time as they finish, on every core when there are enough."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = min(jobs or cores, len(todo))
    want = [folder.name in wanted for folder in todo]
    if workers <= 1 or len(todo) < POOL_THRESHOLD:
        for folder, content in zip(todo, want, strict=True):
            yield build_page(settings, folder, site, content)
        return
    chunk = max(1, min(8, len(todo) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(build_page, repeat(settings), todo, repeat(site), want, chunksize=chunk)
