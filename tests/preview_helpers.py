"""Run `newsletter preview` as a user does (a real process on a free port) and drive it with Playwright."""

from __future__ import annotations

import http.client
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class Served:
    """A running `newsletter preview` process, its URL and what it printed."""

    process: subprocess.Popen[str]
    url: str
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        """Return the port the preview serves on."""
        return int(urlsplit(self.url).port or 0)

    def get(self, path: str, host: str | None = None) -> tuple[int, bytes]:
        """Send a GET with the path exactly as written (no normalising) and return status and body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest("GET", path, skip_host=host is not None, skip_accept_encoding=True)
            if host is not None:
                conn.putheader("Host", host)
            conn.endheaders()
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> int:
        """Press Ctrl-C and return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def _pump(stream: object, sink: list[str], lines: queue.Queue[str] | None) -> None:
    """Copy a process stream into a list (and a queue) line by line."""
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line)
        if lines is not None:
            lines.put(line)


@contextmanager
def serve(pub: Path, *args: str) -> Iterator[Served]:
    """Start `newsletter preview --no-open` in pub on a free port; stop it with Ctrl-C afterwards."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "preview", "--no-open", *args], cwd=pub, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    out: list[str] = []
    err: list[str] = []
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, out, lines), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, err, None), daemon=True).start()
    deadline = time.monotonic() + 30
    url = ""
    while not url:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise AssertionError(f"preview did not start; stderr: {''.join(err)}") from None
        if " at http://" in line:
            url = line.rsplit(" at ", 1)[1].strip()
    served = Served(process, url, out, err)
    try:
        yield served
    finally:
        served.stop()


def write(path: Path, text: str) -> None:
    """Save a file the way an editor does: a new mtime, the whole content replaced."""
    path.write_text(text, encoding="utf-8")
