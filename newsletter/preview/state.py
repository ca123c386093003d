"""What the preview shows: the last good build of each open issue, its errors, and a version to wait on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter import mergetags
from newsletter.build import build_issue, preview_filler, preview_text
from newsletter.config import CONFIG_NAME, Settings, load_settings
from newsletter.content import ISSUE_FILE, list_issues, peek
from newsletter.errors import NewsletterError, Problem
from newsletter.model import Rendered
from newsletter.preview.checks import item, run_checks
from newsletter.preview.readers import READERS, filler, platform_subjects, readers
from newsletter.render.templates import environment, theme_dirs

GMAIL_CLIP_BYTES = 102 * 1024
SHARED_ASSETS = "assets"  # the publication's shared images, beside issues/
PUSH_WAIT_SECONDS = 0.1  # how long the check rules of a rebuild wait for the pages to be sent the new email


def served_html(rendered: Rendered, fill: Callable[[str, str], str]) -> str:
    """Return the email as the preview serves it: merge tags filled, hosted copies of its images served locally.

    With [images] base_url the email points at where the archive will publish its images; until then
    they exist only in the issue folder, which the preview serves under images/.
    """
    html = mergetags.fill(rendered.html, fill, html=True)
    base = rendered.issue.settings.images.base_url.rstrip("/")
    return html.replace(f"{base}/{rendered.slug}/images/", "images/") if base else html


@dataclass
class Snapshot:
    """One issue as the preview shows it: the last good build plus the current errors."""

    slug: str
    folder: Path
    rendered: Rendered | None = None
    html: str = ""
    text: str = ""
    problems: list[Problem] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    build_ms: float = 0.0
    checks_ms: float = 0.0
    built_at: float = 0.0
    changed_at: float = 0.0
    filled: dict[str, tuple[Rendered, str, str]] = field(default_factory=dict)  # reader -> (build, html, text)
    subjects: list[dict[str, Any]] = field(default_factory=list)  # the subject each platform is given


@dataclass(frozen=True)
class Menu:
    """The issues the preview serves, by slug, and the menu of their subjects, read once per change."""

    folders: dict[str, Path]
    issues: list[dict[str, str]]


class Preview:
    """Build issues in process on demand and on change; let page connections wait for the next version."""

    def __init__(self, settings: Settings, default: Path) -> None:
        self.settings = settings
        self.root = settings.root
        self.default_folder = default.resolve()
        self.default_slug = default.name
        self.config_problems: list[Problem] = []
        self.version = 0
        self.stopping = False
        self.verbose = False
        self._snapshots: dict[str, Snapshot] = {}
        self._build_lock = threading.Lock()
        self._menu_lock = threading.Lock()
        self._menu: Menu | None = None
        self._changed = threading.Condition()
        self._streams: dict[int, int] = {}  # each open event stream: the last version it sent to its page
        self.log: Callable[[str], None] = lambda message: None

    def menu(self) -> Menu:
        """Return the issue list, reading issues/ only after a change the watcher reported."""
        menu = self._menu
        if menu is not None:
            return menu
        with self._menu_lock:
            if self._menu is None:
                self._menu = self._read_menu()
            return self._menu

    def _read_menu(self) -> Menu:
        """Read the publication's issues; the folder being previewed keeps its slug even outside issues/."""
        folders = {folder.name: folder for folder in list_issues(self.settings)}
        folders[self.default_slug] = self.default_folder
        issues = [{"slug": slug, "subject": str(peek(folder, "subject") or "")} for slug, folder in folders.items()]
        return Menu(folders, issues)

    def folders(self) -> dict[str, Path]:
        """Return the issue folders the preview serves, by slug."""
        return self.menu().folders

    def issues(self) -> list[dict[str, str]]:
        """Return the issue menu: slug and subject of every issue, oldest first."""
        return self.menu().issues

    def _menu_changed(self, paths: list[Path]) -> bool:
        """Return True when a change may add, remove, reorder or rename an issue."""
        issues_dir = self.settings.issues_dir.resolve()
        config = self.root.resolve() / CONFIG_NAME
        return any(p.name == ISSUE_FILE or p in {issues_dir, self.default_folder, config}
                   or p.parent == issues_dir for p in paths)

    def snapshot(self, slug: str) -> Snapshot | None:
        """Return an issue's snapshot, building it the first time; None for an unknown slug."""
        known = self._snapshots.get(slug)
        if known is not None:
            return known
        with self._build_lock:
            if slug in self._snapshots:
                return self._snapshots[slug]
            folder = self.folders().get(slug)
            if folder is None:
                return None
            snap = Snapshot(slug=slug, folder=folder)
            self._build(snap)
            self._check(snap)
            self._snapshots[slug] = snap
            return snap

    def _build(self, snap: Snapshot) -> None:
        """Rebuild one snapshot in place, keeping the last good output when the build fails."""
        start = time.perf_counter()
        if self.config_problems:
            snap.problems = list(self.config_problems)
        else:
            try:
                rendered = build_issue(self.settings, snap.folder)
            except NewsletterError as exc:
                snap.problems = exc.problems
            except Exception as exc:  # a bug must show on the page, not stop the preview
                snap.problems = [Problem(f"internal error: {type(exc).__name__}: {exc} (please report it)")]
            else:
                fill = preview_filler(rendered)
                snap.rendered = rendered
                snap.html = served_html(rendered, fill)
                snap.text = mergetags.fill(rendered.text, fill)
                snap.problems = []
                for reader in READERS:  # before the page is told, so its requests find them ready
                    self._filled(snap, reader)
        snap.build_ms = (time.perf_counter() - start) * 1000
        snap.built_at = time.time()

    def _check(self, snap: Snapshot) -> None:
        """Run `check` on the snapshot's build, when it has one."""
        if snap.rendered is not None and not snap.problems:
            start = time.perf_counter()
            snap.checks = run_checks(snap.rendered, self.root)
            snap.checks_ms = (time.perf_counter() - start) * 1000
            try:
                snap.subjects = platform_subjects(snap.rendered)
            except Exception:  # an exporter bug must not stop the preview
                snap.subjects = []

    def html(self, snap: Snapshot, reader: str | None) -> str:
        """Return the email as one reader sees it (None: with build's preview values)."""
        return self._filled(snap, reader)[0]

    def text(self, snap: Snapshot, reader: str | None) -> str:
        """Return the plain-text version as one reader sees it."""
        return self._filled(snap, reader)[1]

    def _filled(self, snap: Snapshot, reader: str | None) -> tuple[str, str]:
        """Return html and text filled for a reader, once per build."""
        rendered = snap.rendered
        if reader is None or rendered is None:
            return snap.html, snap.text
        known = snap.filled.get(reader)
        if known is None or known[0] is not rendered:  # filled for an earlier build
            fill = filler(rendered, reader)
            known = (rendered, served_html(rendered, fill), mergetags.fill(rendered.text, fill))
            snap.filled[reader] = known
        return known[1], known[2]

    def on_change(self, paths: Iterable[Path], changed_at: float | None = None) -> list[str]:
        """Rebuild the open issues the changed files affect, then wake every waiting page."""
        changed_at = changed_at or time.time()
        paths = [Path(p).parent.resolve() / Path(p).name for p in paths]
        rebuilt: list[str] = []
        with self._build_lock:
            everything = any(self._affects_all(p) for p in paths)
            if everything:
                self._forget_templates()
            if any(p.name == CONFIG_NAME and p.parent == self.root for p in paths):
                self._reload_settings()
            if self._menu_changed(paths):
                with self._menu_lock:
                    self._menu = None
            for slug, snap in self._snapshots.items():
                if everything or any(p.is_relative_to(snap.folder) for p in paths):
                    snap.changed_at = changed_at
                    self._build(snap)
                    rebuilt.append(slug)
                    self._log(snap)
        self.bump()
        if rebuilt:
            # The pages get the new email first: checks started at once would hold the interpreter while the
            # streams format and send it (about 5 ms of every save, measured).
            self.wait_sent(self.version, PUSH_WAIT_SECONDS)
            with self._build_lock:
                for slug in rebuilt:
                    self._check(self._snapshots[slug])
            self.bump()
        return rebuilt

    def _log(self, snap: Snapshot) -> None:
        """Tell the terminal how a rebuild went."""
        if snap.problems:
            for problem in snap.problems:
                self.log(problem.format(self.root))
        else:
            self.log(f"rebuilt {snap.slug} in {snap.build_ms:.0f} ms")

    def _forget_templates(self) -> None:
        """Drop parsed templates: Jinja reloads a changed file, but misses a new override that shadows one."""
        cache = environment(theme_dirs(self.root)).cache
        if cache is not None:
            cache.clear()

    def _affects_all(self, path: Path) -> bool:
        """Return True for newsletter.toml, theme files and shared assets, which every issue may use."""
        if path == self.root / CONFIG_NAME:
            return True
        folders = (self.root / "templates", self.root / SHARED_ASSETS, *theme_dirs(self.root))
        return any(path.is_relative_to(folder) for folder in folders)

    def _reload_settings(self) -> None:
        """Read newsletter.toml again; keep the old settings and show the problems when it is broken."""
        try:
            self.settings = load_settings(self.root)
        except NewsletterError as exc:
            self.config_problems = exc.problems
        else:
            self.config_problems = []

    def bump(self) -> None:
        """Start a new version and wake every page waiting for one."""
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def wait(self, since: int, timeout: float) -> int:
        """Block until the version passes `since`, the timeout ends or the preview stops; return the version."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > since or self.stopping, timeout)
            return self.version

    def open_stream(self) -> int:
        """Register an event stream (it has sent nothing newer than the current version); return its id."""
        with self._changed:
            stream = max(self._streams, default=0) + 1
            self._streams[stream] = self.version
            return stream

    def sent(self, stream: int, version: int | None = None) -> None:
        """Record that a stream sent `version` to its page (None: the stream closed)."""
        with self._changed:
            if version is None:
                self._streams.pop(stream, None)
            else:
                self._streams[stream] = version
            self._changed.notify_all()

    def wait_sent(self, version: int, timeout: float) -> None:
        """Block until every open stream has sent `version`, the timeout ends or the preview stops."""
        with self._changed:
            self._changed.wait_for(lambda: self.stopping or all(v >= version for v in self._streams.values()),
                                   timeout)

    def stop(self) -> None:
        """Wake every waiting page so its connection can end."""
        with self._changed:
            self.stopping = True
            self._changed.notify_all()

    def watched(self) -> tuple[list[Path], Path]:
        """Return the folders to watch recursively (issues, the issue shown, assets, theme) and the root alone."""
        folders = [self.settings.issues_dir, self.default_folder, self.root / SHARED_ASSETS, *theme_dirs(self.root)]
        existing = [f for f in folders if f.is_dir()]
        unique = [f for i, f in enumerate(existing) if not any(f.is_relative_to(g) for g in existing[:i])]
        return unique, self.root

    def state(self, slug: str) -> dict[str, Any] | None:
        """Return what the page shows for an issue, as JSON-ready data."""
        snap = self.snapshot(slug)
        if snap is None:
            return None
        pub = self.settings.publication
        rendered = snap.rendered
        issue = rendered.issue if rendered else None
        stories = [s.path for s in issue.stories] if issue else []
        return {
            "slug": slug,
            "version": self.version,
            "built": rendered is not None,
            "status": issue.status if issue else "",
            "readers": readers(rendered) if rendered else {},
            "platform_subjects": snap.subjects,
            "subject": preview_text(issue, issue.subject) if issue else "",
            "preheader": preview_text(issue, issue.preheader) if issue else "",
            "date": issue.date.isoformat() if issue and issue.date else None,
            "number": issue.number if issue else None,
            "sender": {"name": pub.from_name or pub.name, "email": pub.from_email},
            "html_bytes": len(snap.html.encode("utf-8")),
            "clip_bytes": GMAIL_CLIP_BYTES,
            "text": snap.text,
            "stories": [{"file": s.file, "title": s.title, "kind": s.kind,
                         "html_bytes": rendered.story_bytes.get(s.file, 0)} for s in issue.stories]
            if rendered and issue else [],
            "problems": [item(p, self.root, stories) for p in snap.problems],
            "warnings": [item(p, self.root, stories) for p in rendered.warnings] if rendered else [],
            "checks": snap.checks,
            "build_ms": round(snap.build_ms, 2),
            "checks_ms": round(snap.checks_ms, 2),
            "built_at": snap.built_at,
            "changed_at": snap.changed_at,
            "issues": self.issues(),
        }
