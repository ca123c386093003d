"""The preview's HTTP server: the page, the build's own files from memory, events, and the editor link."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import secrets
import socket
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from newsletter.errors import UsageError
from newsletter.preview.connections import BoundedHTTPServer, writer
from newsletter.preview.editor import find_editor, open_in_editor
from newsletter.preview.network import host_allowed, is_loopback, is_wildcard
from newsletter.preview.readers import READERS
from newsletter.preview.state import Preview
from newsletter.preview.views import ASSETS, SCHEMES, asset, email_view, page

HEARTBEAT_SECONDS = 15.0
STOP_SECONDS = 5.0  # the longest stop() waits for the server and watcher threads (a rebuild may be running)
MAX_BODY_BYTES = 4096
_PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' https: http: data:; frame-src 'self'; connect-src 'self'; frame-ancestors 'none'")
_EMAIL_CSP = "script-src 'none'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"

__all__ = ["PreviewServer", "is_loopback"]


class PreviewHTTPServer(BoundedHTTPServer):
    """The bounded server that knows its Preview, its editor and the token the page sends back."""

    preview: Preview
    token: str
    host: str


def bind(preview: Preview, host: str, port: int) -> tuple[PreviewHTTPServer, bool]:
    """Bind host:port, or a free port when that one is taken; return the server and whether it moved."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    def answer(sock: socket.socket, address: Any, request: bytes) -> bool:
        return not _Handler(sock, address, server, request).close_connection

    try:
        server = PreviewHTTPServer((host, port), answer, family)
        moved = False
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise _cannot_listen(host, port, exc) from None
        try:
            server = PreviewHTTPServer((host, 0), answer, family)
        except OSError as again:
            raise _cannot_listen(host, port, again) from None
        moved = True
    server.preview = preview
    server.token = secrets.token_urlsafe(24)
    server.host = host
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
    """Answer one whole request: only the preview UI and the build's own files; everything else is 404."""

    server: PreviewHTTPServer
    protocol_version = "HTTP/1.1"

    def __init__(self, sock: socket.socket, address: Any, server: PreviewHTTPServer, request: bytes) -> None:
        self._request = request
        super().__init__(sock, address, server)  # type: ignore[arg-type]

    def setup(self) -> None:
        """Read from the request already received; write straight to the socket."""
        self.connection = self.request
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = io.BytesIO(self._request)
        self.wfile = writer(self.connection)

    def handle(self) -> None:
        """Answer exactly one request; the connection goes back to the server to wait for the next."""
        self.close_connection = True
        self.handle_one_request()

    def finish(self) -> None:
        """Leave the socket to the server."""

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the terminal for rebuild messages, not request logs."""

    def send_response(self, code: int, message: str | None = None) -> None:
        """Start a response, remembering that one has started."""
        self._responded = True
        super().send_response(code, message)

    def do_GET(self) -> None:
        """Route a GET request."""
        self._guarded(self._route)

    def do_POST(self) -> None:
        """Route a POST request: only the page's own request to open a file in the editor."""
        self._guarded(self._post)

    def _guarded(self, action: Any) -> None:
        """Run a route; a bug answers 500 and logs one line instead of killing the request."""
        self._responded = False
        try:
            if not self._host_allowed():
                self._send(HTTPStatus.MISDIRECTED_REQUEST, b"unknown host name\n", "text/plain; charset=utf-8")
                return
            action()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
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
        elif parts == ["favicon.ico"]:
            self._send(HTTPStatus.OK, asset("favicon.svg"), ASSETS["favicon.svg"])
        elif parts == ["events"]:
            self._events(since_version(query), query)
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
        reader = (query.get("reader") or [""])[0]
        reader = reader if reader in READERS else None
        if snap is None:
            self._not_found()
        elif rest == ["state.json"]:
            state = preview.state(slug)
            if state is not None:
                state["editor"] = self._editor_state()
            body = json.dumps(state, ensure_ascii=False).encode("utf-8")
            self._send(HTTPStatus.OK, body, "application/json; charset=utf-8")
        elif rest == ["email.html"] and snap.rendered is not None:
            scheme = (query.get("scheme") or ["light"])[0]
            document = email_view(preview.html(snap, reader), scheme if scheme in SCHEMES else "light")
            self._send(HTTPStatus.OK, document.encode("utf-8"), "text/html; charset=utf-8", _EMAIL_CSP)
        elif rest == ["email.txt"] and snap.rendered is not None:
            self._send(HTTPStatus.OK, preview.text(snap, reader).encode("utf-8"), "text/plain; charset=utf-8")
        elif len(rest) == 2 and rest[0] == "images" and snap.rendered and rest[1] in snap.rendered.images:
            self._image(snap.rendered.images[rest[1]])
        else:
            self._not_found()

    def _editor_state(self) -> dict[str, Any]:
        """Return whether the page may offer to open files, and with what."""
        editor = find_editor(self.server.preview.settings)
        return {"available": editor.available, "name": editor.name, "note": editor.note}

    def _post(self) -> None:
        """Open a finding's file in the editor, for the preview's own page only.

        Another site's page cannot do this: it would need the token (only in our page, which it cannot read),
        a JSON body and a custom header (both need a CORS preflight, which is never granted), and its
        browser names it in Origin and Sec-Fetch-Site.
        """
        if urlsplit(self.path).path != "/open":
            self._not_found()
            return
        origin = self.headers.get("Origin") or ""
        site = self.headers.get("Sec-Fetch-Site")
        same = origin == f"http://{self.headers.get('Host', '')}" and site in {None, "same-origin"}
        token_ok = secrets.compare_digest(self.headers.get("X-Preview-Token") or "", self.server.token)
        json_body = (self.headers.get("Content-Type") or "").split(";")[0].strip() == "application/json"
        length = int(self.headers.get("Content-Length") or 0)
        if not (same and token_ok and json_body) or length > MAX_BODY_BYTES:
            self._send(HTTPStatus.FORBIDDEN, b"refused\n", "text/plain; charset=utf-8")
            return
        try:
            asked = json.loads(self.rfile.read(length) or b"{}")
            name, line = str(asked["path"]), int(asked.get("line") or 1)
        except (ValueError, KeyError, TypeError):
            self._send(HTTPStatus.BAD_REQUEST, b"bad request\n", "text/plain; charset=utf-8")
            return
        preview = self.server.preview
        problem = open_in_editor(find_editor(preview.settings), preview.root, name, line)
        body = json.dumps({"opened": not problem, "note": problem}).encode("utf-8")
        self._send(HTTPStatus.OK if not problem else HTTPStatus.UNPROCESSABLE_ENTITY, body,
                   "application/json; charset=utf-8")

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
        server = self.server
        self._send(HTTPStatus.OK, page(slug, server.preview.version, server.token), "text/html; charset=utf-8",
                   _PAGE_CSP)

    def _events(self, since: int, query: dict[str, list[str]]) -> None:
        """Stream a `change` event each time a rebuild finishes, until the page or the server goes away.

        A page that names its issue and view (slug, scheme, reader) gets the new state in the event, and the
        email and text whenever the build changed, so it shows a rebuild without asking for it.
        """
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
        sent: list[float | None] = [None]  # built_at of the email this stream last carried
        stream = preview.open_stream()
        try:
            while not preview.stopping:
                current = preview.wait(version, HEARTBEAT_SECONDS)
                if preview.stopping:
                    break
                if current == version:
                    self.wfile.write(b": still here\n\n")
                else:
                    version = current
                    data = json.dumps({"version": current, **self._pushed(query, sent)}, ensure_ascii=False)
                    self.wfile.write(f"event: change\ndata: {data}\n\n".encode())
                self.wfile.flush()
                preview.sent(stream, version)
        finally:
            preview.sent(stream, None)

    def _pushed(self, query: dict[str, list[str]], sent: list[float | None]) -> dict[str, Any]:
        """Return the state of the stream's issue, with its email and text when the build is new to it."""
        preview = self.server.preview
        slug = (query.get("slug") or [""])[0]
        if slug not in preview.folders():
            return {}
        snap = preview.snapshot(slug)
        state = preview.state(slug)
        if snap is None or state is None:
            return {}
        state["editor"] = self._editor_state()
        reader = (query.get("reader") or [""])[0]
        scheme = (query.get("scheme") or ["light"])[0]
        pushed: dict[str, Any] = {"state": state, "view": f"scheme={scheme}&reader={reader}"}
        if snap.rendered is not None and snap.built_at != sent[0]:
            reader = reader if reader in READERS else None
            pushed["html"] = email_view(preview.html(snap, reader), scheme if scheme in SCHEMES else "light")
            pushed["email_text"] = preview.text(snap, reader)
            sent[0] = snap.built_at
        return pushed

    def _host_allowed(self) -> bool:
        """Refuse other host names, so a web page cannot reach the preview by DNS rebinding."""
        try:
            local = str(self.connection.getsockname()[0])
        except OSError:
            return False
        return host_allowed(self.headers.get("Host") or "", local, self.server.host)

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
        host = "127.0.0.1" if is_wildcard(self.host) else self.host
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
