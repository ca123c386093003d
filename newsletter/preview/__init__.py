"""`newsletter preview`: a local server that rebuilds in process on change and pushes the result to the page."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsletter.config import Settings
from newsletter.preview.network import is_loopback, lan_url, qr_text
from newsletter.preview.server import PreviewServer
from newsletter.preview.state import Preview

__all__ = ["Preview", "PreviewServer", "serve"]


def serve(settings: Settings, folder: Path, *, host: str, port: int, open_browser: bool,
          echo: Callable[..., Any], stop: threading.Event | None = None, verbose: bool = False) -> None:
    """Preview an issue until Ctrl-C (or `stop` is set), then stop the server and the watcher cleanly."""
    preview = Preview(settings, folder)
    preview.log = lambda message: echo(message, err=True)
    preview.verbose = verbose
    server = PreviewServer(preview, host, port)
    if server.moved:
        echo(f"port {port} is in use; serving on port {server.port} instead", err=True)
    if not is_loopback(host):
        echo(f"warning: --host {host} lets other machines on the network read unpublished issues; "
             "use 127.0.0.1 unless you mean to share the preview", err=True)
    snap = preview.snapshot(folder.name)
    if snap is not None:
        for problem in snap.problems:
            echo(problem.format(settings.root), err=True)
    stop = stop or threading.Event()
    server.start()
    try:  # from here on, Ctrl-C at any moment stops cleanly
        echo(f"previewing {folder.name} at {server.url}")
        if not is_loopback(host):
            shared = lan_url(host, server.port)
            if shared:
                echo(f"on the network: {shared} (scan the code with a phone on the same network)")
                echo(qr_text(shared))
            else:
                echo("no network address found for this machine: other devices cannot reach it", err=True)
        echo("watching stories, issue.toml, images, templates and newsletter.toml; press Ctrl-C to stop", err=True)
        if open_browser:
            import webbrowser

            threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    echo("preview stopped", err=True)
