"""The preview's server under load and on the network: bounded threads, idle connections, Host check, LAN URL."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from newsletter.config import load_settings
from newsletter.preview import Preview, PreviewServer, connections
from newsletter.preview.network import host_allowed, lan_addresses, qr_text
from tests.preview_helpers import serve, wait_for
from tests.site_helpers import recording_editor

SLUG = "2024-05-01-spring"


@contextmanager
def running(pub: Path, host: str = "127.0.0.1") -> Iterator[PreviewServer]:
    """Serve the fixture's issue in this process (no file watcher)."""
    preview = Preview(load_settings(pub), pub / "issues" / SLUG)
    server = PreviewServer(preview, host, 0)
    server.start(watch=False)
    try:
        yield server
    finally:
        server.stop()


def request(port: int, path: str = "/", host: str | None = None, *, address: str = "127.0.0.1",
            method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Send one request and return status and body."""
    conn = http.client.HTTPConnection(address, port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def workers() -> int:
    """Return how many of the server's worker and event-stream threads are alive in this process."""
    return sum(t.name.startswith(("preview-worker", "preview-events")) for t in threading.enumerate())


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """Return True when the server closes the connection within timeout."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_slow_and_idle_connections_hold_no_thread_and_are_closed(publication, monkeypatch):
    monkeypatch.setattr(connections, "REQUEST_SECONDS", 1.5)
    monkeypatch.setattr(connections, "IDLE_SECONDS", 1.5)
    pub = publication()
    with running(pub) as server:
        port = server.port
        before = threading.active_count()
        slow = []
        for n in range(40):
            sock = socket.create_connection(("127.0.0.1", port))
            if n % 2:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and then nothing more
            slow.append(sock)
        time.sleep(0.3)
        assert threading.active_count() - before <= 1, "40 slow connections must not hold 40 threads"
        started = time.monotonic()
        assert request(port)[0] == 200, "a real request is answered meanwhile"
        assert time.monotonic() - started < 5
        assert all(closed_by_server(sock, 10) for sock in slow), "unfinished requests are closed after their time"
        for sock in slow:
            sock.close()

        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        kept.request("GET", f"/issue/{SLUG}/state.json")
        assert kept.getresponse().read()
        kept.request("GET", "/assets/preview.css")  # kept alive: the same connection answers again
        response = kept.getresponse()
        assert response.status == 200 and response.read()
        assert closed_by_server(kept.sock, 10), "an idle kept-alive connection is closed"
        kept.close()


def test_worker_threads_are_bounded_and_streams_limited(publication):
    pub = publication()
    with running(pub) as server:
        port = server.port
        statuses: list[int] = []
        threads = [threading.Thread(target=lambda: statuses.append(request(port, f"/issue/{SLUG}/email.html")[0]))
                   for _ in range(40)]
        for thread in threads:
            thread.start()
        peak = 0
        while any(t.is_alive() for t in threads):
            peak = max(peak, workers())
            time.sleep(0.005)
        assert statuses == [200] * 40
        assert peak <= connections.MAX_WORKERS

        streams = []
        for _ in range(connections.MAX_STREAMS):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/events")
            response = conn.getresponse()
            assert response.status == 200 and response.readline() == b"retry: 500\n"
            streams.append(conn)
        status, body = request(port, "/events")
        assert status == 503 and b"too many preview pages" in body
        assert workers() <= connections.MAX_WORKERS + connections.MAX_STREAMS
        for conn in streams:
            conn.close()

        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (connections.MAX_REQUEST_BYTES + 10))
        assert sock.recv(100).startswith(b"HTTP/1.1 431")
        sock.close()


def test_host_names_are_checked_on_every_binding(publication):
    pub = publication()
    lan = sorted(str(a) for a in lan_addresses() if a.version == 4)
    with running(pub, "0.0.0.0") as server:
        port = server.port
        assert request(port, host=f"127.0.0.1:{port}")[0] == 200
        assert request(port, host=f"localhost:{port}")[0] == 200
        assert request(port, host=f"{socket.gethostname()}:{port}")[0] == 200
        assert request(port, host="evil.example")[0] == 421, "a rebound name is refused beyond loopback too"
        assert request(port, host=f"rebind.evil.example:{port}", address="127.0.0.1")[0] == 421
        assert request(port, f"/issue/{SLUG}/state.json", host="evil.example")[1] == b"unknown host name\n"
        if lan:
            assert request(port, host=f"{lan[0]}:{port}", address=lan[0])[0] == 200, "the LAN address works"
            assert request(port, host=f"{lan[0]}:{port}", address="127.0.0.1")[0] == 421, \
                "an address is only accepted on the interface it names"
    with running(pub) as server:
        assert request(server.port, host=f"{socket.gethostname()}:{server.port}")[0] == 421, \
            "bound to loopback, only loopback names"
    assert host_allowed("[::1]:8000", "::1", "::")
    assert not host_allowed("[::1]:8000@evil", "127.0.0.1", "0.0.0.0")
    assert host_allowed("192.0.2.7:8000", "::ffff:192.0.2.7", "::")


def test_the_lan_address_and_a_qr_code_are_printed_beyond_loopback(publication):
    pub = publication()
    with serve(pub, "--port", "0", "--host", "0.0.0.0") as served:
        def shown() -> re.Match[str] | None:
            return re.search(r"on the network: (http://([0-9.]+):(\d+)/) \(scan the code", "".join(served.stdout))

        wait_for(lambda: shown() or "no network address" in "".join(served.stderr))
        found = shown()
        if lan_addresses():
            assert found, "".join(served.stdout)
            address = found.group(2)
            assert not address.startswith("127.") and int(found.group(3)) == served.port
            assert request(served.port, host=f"{address}:{served.port}", address=address)[0] == 200
            code = qr_text(found.group(1))
            assert wait_for(lambda: code in "".join(served.stdout)), "the QR code of that address follows it"
        else:
            assert "no network address found for this machine" in "".join(served.stderr)


def test_only_the_page_itself_can_open_a_file_in_the_editor(publication, tmp_path):
    pub = publication()
    record = recording_editor(pub, tmp_path)
    with running(pub) as server:
        port = server.port
        token = re.search(r"&quot;token&quot;: &quot;([^&]+)&quot;", request(port)[1].decode()).group(1)
        origin = f"http://127.0.0.1:{port}"
        body = json.dumps({"path": f"issues/{SLUG}/02-markets.md", "line": 3}).encode()
        good = {"Origin": origin, "Content-Type": "application/json", "X-Preview-Token": token,
                "Sec-Fetch-Site": "same-origin"}
        for changed in ({"Origin": "https://evil.example"}, {"X-Preview-Token": "guess"},
                        {"Content-Type": "text/plain"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
            status, _ = request(port, "/open", host=f"127.0.0.1:{port}", method="POST", body=body,
                                headers={**good, **changed})
            assert status == 403, changed
        form = request(port, "/open", host=f"127.0.0.1:{port}", method="POST", body=b"path=newsletter.toml",
                       headers={"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"})
        assert form[0] == 403, "a plain form post from another site is refused"
        assert request(port, "/open")[0] == 404
        time.sleep(0.5)
        assert not record.exists(), "nothing was opened"
        for outside in ("../../etc/passwd", "/etc/passwd", "issues/no-such.md"):
            status, answer = request(port, "/open", host=f"127.0.0.1:{port}", method="POST",
                                     body=json.dumps({"path": outside, "line": 1}).encode(), headers=good)
            assert status == 422 and json.loads(answer)["note"] == "not a file of the publication"
        status, answer = request(port, "/open", host=f"127.0.0.1:{port}", method="POST", body=body, headers=good)
        assert status == 200 and json.loads(answer) == {"opened": True, "note": ""}
        assert wait_for(record.exists)
        assert record.read_text() == f"{(pub / 'issues' / SLUG / '02-markets.md').resolve()}:3"


@pytest.mark.parametrize(("editor", "expected"), [
    ("code", ["code", "--goto", "/p/a.md:7"]),
    ("gvim", ["gvim", "+7", "/p/a.md"]),
    ("subl -n", ["subl", "-n", "/p/a.md:7"]),
    ("myeditor --line={line} {path}", ["myeditor", "--line=7", "/p/a.md"]),
    ("unknown-editor", ["unknown-editor", "/p/a.md"]),
])
def test_editors_are_told_the_line_their_own_way(publication, monkeypatch, editor, expected):
    from newsletter.preview.editor import find_editor

    monkeypatch.setenv("EDITOR", editor)
    found = find_editor(load_settings(publication()))
    assert found.arguments(Path("/p/a.md"), 7) == expected


def test_a_terminal_editor_is_not_offered(publication, monkeypatch):
    from newsletter.preview.editor import find_editor

    monkeypatch.setenv("EDITOR", "vim")
    found = find_editor(load_settings(publication()))
    assert not found.available and "vim, which needs a terminal" in found.note
