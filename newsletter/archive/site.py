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
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from newsletter import __version__
from newsletter.archive.feed import FEED_NAME, ROBOTS_NAME, SITEMAP_NAME, newest_first, robots, sitemap
from newsletter.archive.head import SiteInfo
from newsletter.archive.output import SiteFolder
from newsletter.archive.pager import neighbour, pager_html, pager_mark, set_pager
from newsletter.archive.state import (
    STATE_NAME,
    STATE_VERSION,
    State,
    digest,
    read_state,
    short_hash,
    signature_of,
)
from newsletter.archive.statics import GENERATED_ICON, LOGO_DIR, generated_icon, icons, site_logos, static_files
from newsletter.archive.work import Built, build_page, feed_content
from newsletter.config import Settings
from newsletter.errors import NewsletterError, Problem, UsageError
from newsletter.i18n import catalogs_stamp
from newsletter.inputs import folder_hash
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


def held_back(status: object, date: object, today: dt.date) -> str:
    """Return why an issue is not published yet ('draft', 'dated 2027-01-05'), or '' when it is."""
    if isinstance(status, str) and status.strip() == "draft":
        return "draft"
    if isinstance(date, dt.date) and not isinstance(date, dt.datetime) and date > today:
        return f"dated {date.isoformat()}"
    return ""


def _meta(folder: Path, old: dict[str, Any] | None, trusted: bool) -> tuple[object, object]:
    """Return an issue's status and date: read from issue.toml, or the last run's when its files did not change."""
    from newsletter.content import ISSUE_FILE
    from newsletter.files import parse_toml, read_text

    if trusted and old is not None and "status" in old:
        return old["status"], dt.date.fromisoformat(old["date"]) if old.get("date") else None
    try:
        meta = parse_toml(read_text(folder / ISSUE_FILE), folder / ISSUE_FILE)
    except NewsletterError:
        return None, None  # the build reports it
    return meta.get("status"), meta.get("date")


class _Run:
    """One archive run: what the last run left (`before`), what this one leaves (`after`), and the report."""

    def __init__(self, settings: Settings, out: Path, drafts: bool) -> None:
        self.settings = settings
        self.drafts = drafts
        self.before = read_state(out)
        self.writer = SiteFolder(out, self.before)
        self.after = State(scanned=time.time_ns())
        self.report = ArchiveReport(out, 0, feed=bool(settings.publication.url))
        self.contents: dict[str, str] = {}  # feed content of the issues built now that may be in the feed
        self.order: list[str] = []  # the issues to publish, oldest first
        self.place: dict[str, int] = {}  # slug -> its index in order
        self.statics: dict[str, Path] = {}
        self.logo_files: dict[str, Path] = {}  # logo/<name> -> the processed logo
        self.rank: dict[str, int] = {}  # slug -> place among all issues, oldest first
        self.site = SiteInfo(feed=self.report.feed)

    def plan(self, folders: list[Path], force: bool, today: dt.date) -> list[Path]:
        """Sort the issues into held back, unchanged and to build; return those to build."""
        settings, before, after, report = self.settings, self.before, self.after, self.report
        if not report.feed:
            report.warnings.append(Problem("no feed.xml: an Atom feed needs absolute links; set `url` in "
                                           "[publication]", settings.path, level="warning"))
        reserved = {"index.html", "page", LOGO_DIR, FEED_NAME, SITEMAP_NAME, STATE_NAME, *(f.name for f in folders)}
        self.statics, after.statics, problems = static_files(settings, before.statics, before.scanned, reserved)
        report.warnings.extend(p for p in problems if p.level == "warning")
        report.failed.extend(p for p in problems if p.level != "warning")
        logos, self.logo_files = site_logos(settings)
        self.site = SiteInfo(feed=report.feed, icons=icons(self.statics, logos), noindex=self.drafts,
                             logos=tuple(sorted(logos.items())))
        after.common = digest(_common_hash(settings), json.dumps([self.site.icons, self.site.logos], sort_keys=True),
                              str(self.drafts))
        todo = []
        self.rank = {folder.name: i for i, folder in enumerate(folders)}
        for folder in folders:
            old = before.issues.get(folder.name)
            signature, trusted = signature_of(folder, before.scanned)
            trusted = trusted and bool(old) and old.get("signature") == signature
            status, date = _meta(folder, old, trusted)
            reason = "" if self.drafts else held_back(status, date, today)
            if reason:
                report.left_out.append((folder.name, reason))
                after.issues[folder.name] = {"slug": folder.name, "signature": signature, "held": True,
                                             "status": status if isinstance(status, str) else None,
                                             "date": date.isoformat() if isinstance(date, dt.date) else None}
                continue
            self.place[folder.name] = len(self.order)
            self.order.append(folder.name)
            source = old["source"] if trusted and old and old.get("source") else folder_hash(folder)
            inputs = digest(after.common, source)
            if not force and old and old.get("inputs") == inputs and _intact(self.writer, old):
                after.issues[folder.name] = {**old, "signature": signature}
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
        last_good = old if public and _intact(writer, old) else None
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
        older, newer = self._guess_neighbours(slug)
        entry["pager"] = pager_mark(older, newer)
        pager = pager_html(self.settings, older, newer, entry)
        writer.put(f"{slug}/index.html", set_pager(built.page, pager).encode("utf-8"))
        self.after.issues[slug] = entry
        if built.content is not None:
            self.contents[slug] = built.content
        report.rebuilt.append(slug)

    def _guess_neighbours(self, slug: str) -> tuple[dict[str, str] | None, dict[str, str] | None]:
        """Return the issues most likely before and after one; set_pagers() corrects them once all are known."""
        order, at = self.order, self.place[slug]

        def near(step: int) -> dict[str, str] | None:
            index = at + step
            while 0 <= index < len(order):
                entry = self.after.issues.get(order[index], {})
                earlier = self.before.issues.get(order[index], {"shown": True})
                if entry.get("shown") or (entry.get("new") and earlier.get("shown")):
                    known = entry.get("subject") or earlier.get("subject")
                    return {"slug": order[index], "subject": known or _peek_subject(self.settings, order[index])}
                index += step
            return None

        return near(-1), near(1)

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
            newer = neighbour(ordered[index - 1] if index > 0 else None)
            older = neighbour(ordered[index + 1] if index + 1 < len(ordered) else None)
            mark = pager_mark(older, newer)
            if entry.get("pager") == mark:
                continue
            path = f"{entry['slug']}/index.html"
            page = (self.writer.out / path).read_text(encoding="utf-8")
            self.writer.put(path, set_pager(page, pager_html(self.settings, older, newer, entry)).encode("utf-8"))
            entry["pager"] = mark

    def write_shared(self, ordered: list[dict[str, Any]]) -> None:
        """Write the front pages, feed, sitemap, robots.txt, icon and static files where they changed.

        Each of the first three is rendered only when what it shows changed (its mark in the state).
        """
        from newsletter.archive.index import index_pages


        settings, writer, site, common = self.settings, self.writer, self.site, self.after.common
        listed = [[e["slug"], e["subject"], e["preheader"], e["date"], e["number"], e.get("image"),
                   e["published"][:4]] for e in ordered]
        pages = self._part("index", digest(common, json.dumps(listed, sort_keys=True)),
                           lambda: index_pages(settings, ordered, site))
        if site.feed:
            window = ordered[:settings.archive.feed_entries]
            for entry in window:
                content = self.contents.get(entry["slug"]) or self.before.feed.get(entry["slug"])
                self.after.feed[entry["slug"]] = content if content is not None else feed_content(
                    settings, settings.issues_dir / entry["slug"])
            shown = [[e["slug"], e["subject"], e["preheader"], e["published"], e["updated"],
                      short_hash(self.after.feed[e["slug"]].encode())] for e in window]
            self._part("feed", digest(common, json.dumps(shown, sort_keys=True)),
                       lambda: {FEED_NAME: _feed(settings, window, self.after.feed)})
            days = [[e["slug"], e["updated"][:10]] for e in ordered]
            self._part("sitemap", digest(common, json.dumps(days, sort_keys=True)),
                       lambda: {SITEMAP_NAME: sitemap(settings, ordered, pages)})
        if ROBOTS_NAME not in self.statics:
            writer.put(ROBOTS_NAME, robots(settings, self.drafts))
        if any(icon["href"] == GENERATED_ICON for icon in site.icons):
            writer.put(GENERATED_ICON, generated_icon(settings))
        for name, source in self.statics.items():
            writer.put(name, source=source, mark=self.after.statics[name][2])
        for name, source in self.logo_files.items():
            writer.put(name, source=source, mark=name)

    def _part(self, name: str, mark: str, render: Callable[[], dict[str, bytes]]) -> list[str]:
        """Write the files of one shared part unless its mark is unchanged and they are all there; return them."""
        old = self.before.parts.get(name)
        if old and old[0] == mark and all(self.writer.has(path) for path in old[1]):
            for path in old[1]:
                self.writer.keep(path)
            self.after.parts[name] = old
            return list(old[1])
        files = render()
        for path, data in files.items():
            self.writer.put(path, data)
        self.after.parts[name] = [mark, sorted(files)]
        return sorted(files)


def _feed(settings: Settings, window: list[dict[str, Any]], contents: dict[str, str]) -> bytes:
    """Return the Atom feed (feedgen is imported only when the feed changed)."""
    from newsletter.archive.feed import atom_feed

    return atom_feed(settings, window, contents)


def _peek_subject(settings: Settings, slug: str) -> str:
    """Return an issue's subject as its issue.toml has it, before the issue is built."""
    from newsletter.content import peek

    subject = peek(settings.issues_dir / slug, "subject")
    return subject if isinstance(subject, str) else ""


def _errors(count: int) -> str:
    """Return '1 check error' or 'N check errors'."""
    return f"{count} check error{'s' if count != 1 else ''}"


def _intact(folder: SiteFolder, entry: dict[str, Any]) -> bool:
    """Return True when an entry's verdict stands: held back for errors, or its page and images are all there."""
    if entry.get("blocked"):
        return True
    return bool(entry.get("shown")) and all(folder.has(f"{entry['slug']}/{name}") for name in entry.get("files", ()))


def _common_hash(settings: Settings) -> str:
    """Return a hash of what every page depends on: the tool, newsletter.toml, the theme and shared assets."""
    from newsletter.images import _SETTINGS

    parts = [__version__, str(STATE_VERSION), _SETTINGS.decode(), folder_hash(settings.root / "assets")]
    parts.append(short_hash(settings.path.read_bytes()))
    parts.extend(folder_hash(folder) for folder in theme_dirs(settings.root))
    parts += [folder_hash(settings.root / "locale"), catalogs_stamp()]  # the words: own and shipped catalogs
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
