"""Watch stories, issue.toml, images, templates and newsletter.toml with watchfiles; rebuild on change."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import watchfiles

from newsletter.config import CONFIG_NAME
from newsletter.preview.state import SHARED_ASSETS, Preview

STEP_MS = 5  # how long the folder must stay quiet before a batch of changes is handed over (20 cost 19 ms)


class Watcher:
    """Two watchfiles loops: the issues and theme folders recursively, the publication root on its own."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self._stop = threading.Event()
        self._tree_stop = threading.Event()
        self._lock = threading.Lock()  # stop() and a restarting tree loop never miss each other's event
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start watching in background threads."""
        for target, name in ((self._watch_tree, "tree"), (self._watch_root, "root")):
            thread = threading.Thread(target=target, daemon=True, name=f"preview-watch-{name}")
            thread.start()
            self._threads.append(thread)

    def stop(self, deadline: float | None = None) -> None:
        """Stop both loops and wait for them until `deadline` (time.monotonic(); default: 5 s from now)."""
        with self._lock:
            self._stop.set()
            self._tree_stop.set()
        deadline = deadline if deadline is not None else time.monotonic() + 5
        for thread in self._threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))

    def alive(self) -> bool:
        """Return True while a watching thread still runs."""
        return any(thread.is_alive() for thread in self._threads)

    def _watch_tree(self) -> None:
        """Watch the issues and theme folders; start again when the set of folders changes."""
        while True:
            with self._lock:
                if self._stop.is_set():
                    return
                self._tree_stop = stop = threading.Event()
            folders, _ = self.preview.watched()
            self._loop(folders, True, watchfiles.DefaultFilter(), stop)

    def _watch_root(self) -> None:
        """Watch newsletter.toml, and templates/ or assets/ appearing or going, at the publication root."""
        root = self.preview.root
        while not self._stop.is_set():
            self._loop([root], False, _root_filter(root), self._stop)

    def _loop(self, paths: list[Path], recursive: bool, keep: watchfiles.BaseFilter, stop: threading.Event) -> None:
        """Hand each batch of changes to the preview until `stop` is set; pause after a watcher failure."""
        folders = {self.preview.root / "templates", self.preview.root / SHARED_ASSETS}
        try:
            for changes in watchfiles.watch(*paths, watch_filter=keep, step=STEP_MS, stop_event=stop,
                                            recursive=recursive, raise_interrupt=False, rust_timeout=1000):
                changed = {Path(path) for _, path in changes}
                self.preview.on_change(changed, time.time())
                if folders & changed or self.preview.root / CONFIG_NAME in changed:
                    with self._lock:
                        self._tree_stop.set()  # the folders to watch may have changed: start the tree loop again
        except (OSError, RuntimeError):
            self._stop.wait(1.0)


def _root_filter(root: Path) -> watchfiles.BaseFilter:
    """Return a filter that keeps only newsletter.toml and the templates and assets folders at the root."""
    wanted = {str(root / CONFIG_NAME), str(root / "templates"), str(root / SHARED_ASSETS)}

    class RootFilter(watchfiles.BaseFilter):
        """Keep newsletter.toml, templates/ and assets/ only."""

        def __call__(self, change: watchfiles.Change, path: str) -> bool:
            return path in wanted

    return RootFilter()
