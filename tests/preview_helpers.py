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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Bounds, not expected durations: on an idle machine every wait ends in well under a second, but a machine
# busy with other processes (CI, a parallel build) can be many times slower, and a test must not fail for that.
WAIT = 60.0  # seconds: the preview starting, stopping after Ctrl-C, a rebuild showing up
WAIT_MS = int(WAIT * 1000)  # the same bound for Playwright's expect()


def get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    """Send a GET with the path exactly as written (no normalising) and return status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.putrequest("GET", path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def first_line(port: int, path: str) -> tuple[int, str]:
    """Open an endless response (the event stream) and return its status and first line of body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.readline().decode("utf-8")
    finally:
        conn.close()


def wait_for(condition: Callable[[], object], timeout: float = WAIT) -> bool:
    """Poll condition until it is true or the timeout ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def eventually(action: Callable[[], object], condition: Callable[[], object], timeout: float = WAIT) -> bool:
    """Do action, then again each second, until condition holds: a watcher still starting may miss the first.

    Saving a file twice is what an editor does anyway; what is asserted, that the change shows, is unchanged.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        action()
        if wait_for(condition, min(1.0, max(0.0, deadline - time.monotonic()))):
            return True
    return bool(condition())


@dataclass
class Served:
    """A running `newsletter preview` process, its URL and what it printed."""

    process: subprocess.Popen[str]
    url: str
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    pumps: list[threading.Thread] = field(default_factory=list)

    @property
    def port(self) -> int:
        """Return the port the preview serves on."""
        return int(urlsplit(self.url).port or 0)

    def get(self, path: str, host: str | None = None) -> tuple[int, bytes]:
        """Send a GET with the path exactly as written (no normalising) and return status and body."""
        return get(self.port, path, host)

    def stop(self) -> int:
        """Press Ctrl-C and return the exit code (waiting a bounded while: a busy machine is slow)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            for pump in self.pumps:  # the last lines may still be in the pipe when the process has exited
                pump.join(timeout=WAIT)


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
    pumps = [threading.Thread(target=_pump, args=(process.stdout, out, lines), daemon=True),
             threading.Thread(target=_pump, args=(process.stderr, err, None), daemon=True)]
    for pump in pumps:
        pump.start()
    deadline = time.monotonic() + WAIT
    url = ""
    while not url:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            if process.poll() is None and time.monotonic() < deadline:
                continue
            process.kill()
            process.wait()
            for pump in pumps:
                pump.join(timeout=WAIT)
            raise AssertionError(f"preview did not start within {WAIT:.0f} s (exit code {process.returncode}); "
                                 f"stderr: {''.join(err)}") from None
        if " at http://" in line:
            url = line.rsplit(" at ", 1)[1].strip()
    served = Served(process, url, out, err, pumps)
    try:
        yield served
    finally:
        served.stop()


def write(path: Path, text: str) -> None:
    """Save a file the way an editor does: a new mtime, the whole content replaced."""
    path.write_text(text, encoding="utf-8")
