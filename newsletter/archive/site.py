"""Build the web archive: only issues whose inputs changed are rebuilt, on every core; one atomic write."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from newsletter import __version__
from newsletter.archive.feed import FEED_NAME, atom_feed, index_page
from newsletter.config import Settings
from newsletter.errors import NewsletterError, Problem, UsageError
from newsletter.files import fingerprint
from newsletter.render.templates import theme_dirs
from newsletter.writer import write_tree

STATE_NAME = "archive.json"
STATE_VERSION = 1
POOL_THRESHOLD = 4  # fewer changed issues than this are built in-process: starting workers costs more


@dataclass
class Built:
    """What a worker returns for one issue: its state entry and files, or the problems that stopped it."""

    slug: str
    entry: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    copies: dict[str, Path] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ArchiveReport:
    """What `newsletter archive` did: which issues it rebuilt, what failed, whether it wrote the site."""

    out: Path
    total: int
    rebuilt: list[str]
    failed: list[Problem]
    warnings: list[Problem]
    written: bool
    feed: bool


def build_archive(settings: Settings, out: Path, *, force: bool = False, jobs: int | None = None) -> ArchiveReport:
    """Build or update the static site in `out` from every issue of the publication."""
    from newsletter.content import list_issues

    folders = list_issues(settings)
    if not folders:
        raise UsageError("there are no issues yet: run `newsletter new SLUG`", settings.issues_dir)
    previous = _read_state(out)
    common = _common_hash(settings)
    known = {e["slug"]: e for e in previous.get("issues", [])}
    sources = {folder.name: _folder_hash(folder) for folder in folders}
    todo = []
    kept: dict[str, dict[str, Any]] = {}
    for folder in folders:
        entry = known.get(folder.name)
        inputs = _digest(common, sources[folder.name])
        if not force and entry and entry.get("inputs") == inputs and _present(out / folder.name, entry):
            kept[folder.name] = entry
        else:
            todo.append(folder)
    feed = bool(settings.publication.url)
    warnings: list[Problem] = []
    if not feed:
        warnings.append(Problem("no feed.xml: an Atom feed needs absolute links; set `url` in [publication]",
                                settings.path, level="warning"))
    results = _run(settings, todo, feed, jobs)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    files: dict[str, bytes] = {}
    copies: dict[str, Path] = {}
    failed: list[Problem] = []
    entries: list[dict[str, Any]] = []
    for folder in folders:
        slug = folder.name
        built = results.get(slug)
        if built is not None and not built.problems:
            entry = _dated(built.entry, known.get(slug), now, sources[slug])
            entry.update(inputs=_digest(common, sources[slug]), source=sources[slug])
            files.update({f"{slug}/{name}": data for name, data in built.files.items()})
            copies.update({f"{slug}/{name}": path for name, path in built.copies.items()})
            warnings.extend(built.warnings)
        else:
            entry = kept.get(slug)
            if built is not None:
                failed.extend(built.problems)
                if _present(out / slug, known.get(slug)):
                    entry = known[slug]  # a failing issue keeps its last good page
            if entry is None:
                continue
            copies.update({f"{slug}/{name}": out / slug / name for name in entry["files"]})
        entries.append(entry)
    if not entries:  # every issue failed and none has a page yet: an empty site helps nobody
        return ArchiveReport(out, 0, [], failed, _unique(warnings), written=False, feed=feed)
    rebuilt = [slug for slug, built in results.items() if not built.problems]
    order = [e["slug"] for e in entries]
    unchanged = not rebuilt and order == [e["slug"] for e in previous.get("issues", [])]
    if unchanged and previous.get("common") == common and (out / "index.html").is_file():
        return ArchiveReport(out, len(entries), [], failed, _unique(warnings), written=False, feed=feed)
    files["index.html"] = index_page(settings, entries, feed).encode("utf-8")
    if feed:
        files[FEED_NAME] = atom_feed(settings, entries)
    state = {"generator": f"newsletter {__version__}", "version": STATE_VERSION, "common": common, "issues": entries}
    files[STATE_NAME] = (json.dumps(state, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    write_tree(out, files, copies, kind="archive")
    return ArchiveReport(out, len(entries), rebuilt, failed, _unique(warnings), written=True, feed=feed)


def _read_state(out: Path) -> dict[str, Any]:
    """Return the state of the site in `out`; refuse to replace a folder the archive did not write."""
    path = out / STATE_NAME
    if not out.exists():
        return {}
    if not out.is_dir():
        raise UsageError(f"{out.name} is a file; give --out a folder for the site", out)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if any(out.iterdir()):
            raise UsageError(f"{out} is not empty and was not written by `newsletter archive` (no {STATE_NAME}); "
                             "choose a new or empty folder with --out, the site replaces its contents",
                             out) from None
        return {}
    except (OSError, ValueError):
        return {"issues": []}  # unreadable state: rebuild everything into the site folder it marks
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION or not isinstance(
        state.get("issues"), list
    ):
        return {"issues": []}
    return state


def _present(folder: Path, entry: dict[str, Any] | None) -> bool:
    """Return True when every file an issue's state lists is still in the site."""
    return bool(entry) and all((folder / name).is_file() for name in entry.get("files", ["index.html"]))


def _digest(*parts: str) -> str:
    """Return the hash of several hashes."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _folder_hash(folder: Path) -> str:
    """Return a hash of every file under a folder: names and contents."""
    digest = hashlib.sha256()
    if not folder.is_dir():
        return digest.hexdigest()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            try:
                digest.update(fingerprint(path))  # never blocks on a FIFO nor follows a link out
            except OSError:
                digest.update(b"\1unreadable")
    return digest.hexdigest()


def _common_hash(settings: Settings) -> str:
    """Return a hash of what every page depends on: the tool, newsletter.toml, the theme and shared assets."""
    from newsletter.images import _SETTINGS

    parts = [__version__, str(STATE_VERSION), _SETTINGS.decode(), _folder_hash(settings.root / "assets")]
    parts.append(hashlib.sha256(settings.path.read_bytes()).hexdigest())
    parts.extend(_folder_hash(folder) for folder in theme_dirs(settings.root))
    return _digest(*parts)


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


def _unique(problems: list[Problem]) -> list[Problem]:
    """Return problems without repeats, in order."""
    return list(dict.fromkeys(problems))


def _run(settings: Settings, todo: list[Path], feed: bool, jobs: int | None) -> dict[str, Built]:
    """Build the issues that changed, on every core when there are enough of them."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = min(jobs or cores, len(todo))
    if workers <= 1 or len(todo) < POOL_THRESHOLD:
        results = [build_page(settings, folder, feed) for folder in todo]
    else:
        chunk = max(1, len(todo) // (workers * 8))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(build_page, repeat(settings), todo, repeat(feed), chunksize=chunk))
    return {built.slug: built for built in results}


def build_page(settings: Settings, folder: Path, feed: bool) -> Built:
    """Build one issue's web page, feed content and images (runs in a worker process)."""
    from newsletter import mergetags
    from newsletter.archive.page import feed_entry, page_files, web_filler, web_page
    from newsletter.build import build_issue

    try:
        rendered = build_issue(settings, folder)
        page = web_page(rendered, feed)
        content = feed_entry(rendered)
    except NewsletterError as exc:
        return Built(slug=folder.name, problems=exc.problems)
    files, copies = page_files(rendered, page)
    issue = rendered.issue
    entry = {
        "slug": issue.slug,
        "subject": mergetags.fill(issue.subject, web_filler(rendered)),  # plain text: the feed and index escape it
        "preheader": mergetags.fill(issue.preheader, web_filler(rendered)),
        "date": issue.date.isoformat() if issue.date else None,
        "number": issue.number,
        "files": sorted([*files, *copies]),
        "content": content,
    }
    known = set(settings.warnings)
    warnings = [w for w in rendered.warnings if w not in known]
    return Built(slug=issue.slug, entry=entry, files=files, copies=copies, warnings=warnings)
