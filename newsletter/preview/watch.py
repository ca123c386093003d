"""Watch stories, issue.toml, images, templates and newsletter.toml with watchfiles; rebuild on change."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import watchfiles

from newsletter.config import CONFIG_NAME
from newsletter.preview.state import Preview

STEP_MS = 20  # how long the folder must stay quiet before a batch of changes is handed over


class Watcher:
    """Two watchfiles loops: the issues and theme folders recursively, the publication root on its own."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start watching in background threads."""
        folders, root = self.preview.watched()
        for paths, recursive in ((folders, True), ([root], False)):
            thread = threading.Thread(target=self._run, args=(paths, recursive), daemon=True,
                                      name=f"preview-watch-{'tree' if recursive else 'root'}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop both loops and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _run(self, paths: list[Path], recursive: bool) -> None:
        """Hand each batch of changes to the preview until stopped; restart after a watcher failure."""
        root = self.preview.root
        keep = watchfiles.DefaultFilter() if recursive else _root_filter(root)
        while not self._stop.is_set():
            try:
                for changes in watchfiles.watch(*paths, watch_filter=keep, step=STEP_MS, stop_event=self._stop,
                                                recursive=recursive, raise_interrupt=False, rust_timeout=1000):
                    self.preview.on_change({Path(path) for _, path in changes}, time.time())
            except (OSError, RuntimeError):
                self._stop.wait(1.0)


def _root_filter(root: Path) -> watchfiles.BaseFilter:
    """Return a filter that keeps only newsletter.toml and the templates folder at the root."""
    wanted = {str(root / CONFIG_NAME), str(root / "templates")}

    class RootFilter(watchfiles.BaseFilter):
        """Keep newsletter.toml and templates/ only."""

        def __call__(self, change: watchfiles.Change, path: str) -> bool:
            return path in wanted

    return RootFilter()
