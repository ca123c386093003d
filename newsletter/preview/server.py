"""The preview's HTTP server: the page, the build's own files from memory, and a Server-Sent Events stream."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import socket
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from newsletter.errors import UsageError
from newsletter.preview.state import Preview
from newsletter.preview.views import ASSETS, SCHEMES, asset, email_view, page

HEARTBEAT_SECONDS = 15.0
STOP_SECONDS = 5.0  # the longest stop() waits for the server and watcher threads (a rebuild may be running)
_PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' https: http: data:; frame-src 'self'; connect-src 'self'")
_EMAIL_CSP = "script-src 'none'; object-src 'none'; base-uri 'self'"


def is_loopback(host: str) -> bool:
    """Return True when host only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class PreviewHTTPServer(ThreadingHTTPServer):
    """A threading server that knows its Preview."""

    daemon_threads = True
    preview: Preview


def bind(preview: Preview, host: str, port: int) -> tuple[PreviewHTTPServer, bool]:
    """Bind host:port, or a free port when that one is taken; return the server and whether it moved."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    cls = type("BoundServer", (PreviewHTTPServer,), {"address_family": family})
    try:
        server = cls((host, port), _Handler)
        moved = False
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise _cannot_listen(host, port, exc) from None
        try:
            server = cls((host, 0), _Handler)
        except OSError as again:
            raise _cannot_listen(host, port, again) from None
        moved = True
    server.preview = preview
    return server, moved


def _cannot_listen(host: str, port: int, exc: OSError) -> UsageError:
    """Return the usage error for an address this machine cannot serve on."""
    reason = exc.strerror or str(exc)
    return UsageError(f"cannot listen on {host}:{port}: {reason}; give --host an address of this machine "
                      "(127.0.0.1 to keep the preview private, 0.0.0.0 to share it)")


def since_version(query: dict[str, list[str]]) -> int:
    """Return the `since` version a page reconnects with, or -1 when it is missing or not a number."""
    try:
        return int((query.get("since") or ["-1"])[0])
    except ValueError:
        return -1


class _Handler(BaseHTTPRequestHandler):
    """Serve only the preview UI and the build's own files; everything else is 404."""

    server: PreviewHTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the terminal for rebuild messages, not request logs."""

    def send_response(self, code: int, message: str | None = None) -> None:
        """Start a response, remembering that one has started."""
        self._responded = True
        super().send_response(code, message)

    def do_GET(self) -> None:
        """Route a GET request; a bug answers 500 and logs one line instead of killing the request."""
        self._responded = False
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # a bug must not print a traceback per request or leave the page hanging
            self.close_connection = True
            preview = self.server.preview
            where = urlsplit(self.path).path
            preview.log(f"internal error serving {where}: {type(exc).__name__}: {exc} (please report it"
                        + ("" if preview.verbose else "; run with --verbose for the traceback") + ")")
            if preview.verbose:
                preview.log(traceback.format_exc().rstrip())
            if not self._responded:
                with contextlib.suppress(OSError):
                    self._send(HTTPStatus.INTERNAL_SERVER_ERROR, b"internal error: see the terminal\n",
                               "text/plain; charset=utf-8")

    def _route(self) -> None:
        """Answer from the whitelist of routes: the page, its assets, the events and each issue's files."""
        if not self._host_allowed():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"unknown host name\n", "text/plain; charset=utf-8")
            return
        split = urlsplit(self.path)
        decoded = unquote(split.path)
        if not split.path.startswith("/") or ".." in decoded or "\\" in decoded or "\0" in decoded:
            self._not_found()
            return
        parts = [unquote(p) for p in split.path.split("/")[1:]]
        query = parse_qs(split.query)
        preview = self.server.preview
        if parts == [""]:
            self._page(preview.default_slug)
        elif len(parts) == 2 and parts[0] == "assets" and parts[1] in ASSETS:
            self._send(HTTPStatus.OK, asset(parts[1]), ASSETS[parts[1]])
        elif parts == ["events"]:
            self._events(since_version(query))
        elif len(parts) >= 3 and parts[0] == "issue" and parts[1] in preview.folders():
            self._issue(parts[1], parts[2:], query)
        elif len(parts) == 2 and parts[0] == "issue" and parts[1] in preview.folders():
            self._redirect(f"/issue/{parts[1]}/")
        else:
            self._not_found()

    def _issue(self, slug: str, rest: list[str], query: dict[str, list[str]]) -> None:
        """Serve one issue's page, state, email, text or images."""
        preview = self.server.preview
        if rest == [""]:
            self._page(slug)
            return
        snap = preview.snapshot(slug)
        if snap is None:
            self._not_found()
        elif rest == ["state.json"]:
            body = json.dumps(preview.state(slug), ensure_ascii=False).encode("utf-8")
            self._send(HTTPStatus.OK, body, "application/json; charset=utf-8")
        elif rest == ["email.html"] and snap.rendered is not None:
            scheme = (query.get("scheme") or ["light"])[0]
            document = email_view(snap.html, scheme if scheme in SCHEMES else "light")
            self._send(HTTPStatus.OK, document.encode("utf-8"), "text/html; charset=utf-8", _EMAIL_CSP)
        elif rest == ["email.txt"] and snap.rendered is not None:
            self._send(HTTPStatus.OK, snap.text.encode("utf-8"), "text/plain; charset=utf-8")
        elif len(rest) == 2 and rest[0] == "images" and snap.rendered and rest[1] in snap.rendered.images:
            self._image(snap.rendered.images[rest[1]])
        else:
            self._not_found()

    def _image(self, path: Any) -> None:
        """Serve an image the build uses, read from the issue folder."""
        types = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                 ".webp": "image/webp"}
        try:
            data = path.read_bytes()
        except OSError:
            self._not_found()
            return
        self._send(HTTPStatus.OK, data, types.get(path.suffix.lower(), "application/octet-stream"))

    def _page(self, slug: str) -> None:
        """Serve the preview page for an issue."""
        self._send(HTTPStatus.OK, page(slug, self.server.preview.version), "text/html; charset=utf-8", _PAGE_CSP)

    def _events(self, since: int) -> None:
        """Stream a `change` event each time a rebuild finishes, until the page or the server goes away."""
        preview = self.server.preview
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.wfile.write(b"retry: 500\n\n")
        self.wfile.flush()
        version = since if 0 <= since <= preview.version else preview.version
        while not preview.stopping:
            current = preview.wait(version, HEARTBEAT_SECONDS)
            if preview.stopping:
                break
            if current == version:
                self.wfile.write(b": still here\n\n")
            else:
                version = current
                self.wfile.write(f"event: change\ndata: {json.dumps({'version': current})}\n\n".encode())
            self.wfile.flush()

    def _host_allowed(self) -> bool:
        """Refuse other host names on a loopback server, so a web page cannot reach it by DNS rebinding."""
        bound = self.server.server_address[0]
        if not is_loopback(str(bound)):
            return True
        header = self.headers.get("Host") or ""
        try:
            host = urlsplit(f"//{header}").hostname or ""
        except ValueError:
            return False
        return host == "" or is_loopback(host)

    def _redirect(self, location: str) -> None:
        """Send a redirect."""
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _not_found(self) -> None:
        """Send 404 for anything outside the preview and the build."""
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, csp: str = "") -> None:
        """Send a complete response that is never cached."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if csp:
            self.send_header("Content-Security-Policy", csp)
        self.end_headers()
        self.wfile.write(body)


class PreviewServer:
    """The running preview: HTTP server thread plus file watcher, stopped cleanly by stop()."""

    def __init__(self, preview: Preview, host: str = "127.0.0.1", port: int = 0) -> None:
        self.preview = preview
        self.httpd, self.moved = bind(preview, host, port)
        self.host = host
        self._thread: threading.Thread | None = None
        self._watcher: Any = None

    @property
    def port(self) -> int:
        """Return the port actually bound."""
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        """Return the address to open in a browser."""
        host = "127.0.0.1" if self.host in {"", "0.0.0.0"} else self.host
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"http://{host}:{self.port}/"

    def start(self, watch: bool = True) -> None:
        """Serve in a background thread and, unless told not to, watch the publication's files."""
        from newsletter.preview.watch import Watcher

        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="preview-http", daemon=True)
        self._thread.start()
        if watch:
            self._watcher = Watcher(self.preview)
            self._watcher.start()

    def stop(self) -> None:
        """Stop watching, end every event stream, stop serving and close the socket, within a few seconds."""
        deadline = time.monotonic() + STOP_SECONDS
        self.preview.stop()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=max(0.1, deadline - time.monotonic()))
        self.httpd.server_close()
        if self._watcher is not None:
            self._watcher.stop(deadline)
