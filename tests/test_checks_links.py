"""`check --links` against a local HTTP server on loopback: broken, refused HEAD, redirects, timeouts, cache."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest

from newsletter.checks.linkcheck import LOOPBACK_ENV, request_all
from tests.check_helpers import CLEAN, apply, check_json, findings, places

SLOW_SECONDS = 2.0


class Handler(BaseHTTPRequestHandler):
    """Answer a few fixed paths and count every request."""

    hits: ClassVar[Counter[tuple[str, str]]] = Counter()
    routes: ClassVar[dict[str, tuple[int, str]]] = {  # path: (status, location)
        "/ok": (200, ""), "/missing": (404, ""), "/error": (500, ""), "/moved": (301, "/ok"),
        "/hop1": (301, "/hop2"), "/hop2": (302, "/ok"), "/to-private": (302, "http://10.1.2.3/admin"),
        "/to-metadata": (301, "http://169.254.169.254/latest/meta-data/"), "/unsub-missing": (404, ""),
    }

    def _answer(self) -> None:
        """Answer by route; /nohead refuses HEAD, /slow sleeps."""
        path = urlsplit(self.path).path
        Handler.hits[self.command, path] += 1
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
        if path == "/trickle":  # one byte at a time: each read is quick, the whole answer never ends
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 200:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)
            return
        status, location = self.routes.get(path, (200, ""))
        if path == "/nohead":
            status = 405 if self.command == "HEAD" else 200
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(b"ok")

    do_GET = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    """Serve Handler on a free loopback port; return its base URL."""
    Handler.hits.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let these tests check servers on loopback (check --links refuses loopback without the opt-in)."""
    monkeypatch.setenv(LOOPBACK_ENV, "1")


def loopback_pub(publication, base: str, paths: list[str]) -> Path:
    """Return the clean publication with its web links replaced by links to the loopback server."""
    body = "\n\n".join(f"See [the page at {p}]({base}{p})." for p in paths)
    return apply(publication(CLEAN), {
        "ISSUE/01-ferry.md": None,
        "ISSUE/03-market.md": f"# Links\n\n{body}\n",
        "newsletter.toml": lambda t: t.replace("https://check.example.org/subscribe", f"{base}/ok").replace(
            "https://check.example.org", base),
    })


def test_links_reports_broken_redirects_and_refused_head(publication, run, server: str) -> None:
    """4xx/5xx are errors, a refused HEAD is retried with GET, chains warn, single redirects are notes."""
    paths = ["/ok", "/missing", "/error", "/nohead", "/moved", "/hop1"]
    pub = loopback_pub(publication, server, paths)
    offline, _ = check_json(run, pub)
    assert not [f for f in findings(offline) if f["rule"] in {"links/broken", "links/redirect"}]
    document, code = check_json(run, pub, "--links")
    line = {p: 3 + 2 * i for i, p in enumerate(paths)}
    assert places(document, "links/broken") == [("03-market.md", line["/missing"]), ("03-market.md", line["/error"])]
    assert places(document, "links/redirect") == [("03-market.md", line["/moved"])]
    assert places(document, "links/redirect-chain") == [("03-market.md", line["/hop1"])]
    chain = next(f for f in findings(document) if f["rule"] == "links/redirect-chain")
    assert f"{server}/hop2" in chain["message"]
    assert chain["fix"] == f"link to {server}/ok directly"
    assert Handler.hits["HEAD", "/nohead"] == 1
    assert Handler.hits["GET", "/nohead"] == 1
    assert Handler.hits["GET", "/ok"] == 0  # HEAD was enough
    assert code == 1


def test_links_timeout_is_a_warning(publication, run, server: str) -> None:
    """A URL slower than --timeout is reported as a timeout, not as broken."""
    pub = loopback_pub(publication, server, ["/slow"])
    started = time.monotonic()
    document, _ = check_json(run, pub, "--links", "--timeout", "0.3")
    assert time.monotonic() - started < SLOW_SECONDS + 1
    assert places(document, "links/timeout") == [("03-market.md", 3)]
    assert places(document, "links/broken") == []


def test_links_cache_keeps_working_urls_a_day_and_failed_ones_ten_minutes(publication, run, server: str) -> None:
    """A re-run asks nothing again within ten minutes; after that only the failed URL is asked again."""
    pub = loopback_pub(publication, server, ["/ok", "/missing"])
    check_json(run, pub, "--links")
    first = Counter(Handler.hits)
    document, _ = check_json(run, pub, "--links")
    assert Handler.hits == first  # everything came from the cache
    assert places(document, "links/broken") == [("03-market.md", 5)]
    cache = cached_dir(pub) / "links.json"
    cached = json.loads(cache.read_text(encoding="utf-8"))
    assert cached[f"{server}/missing"]["status"] == 404
    assert sorted(p.name for p in cached_dir(pub).iterdir()) == ["links.json"]  # one file, no temporary left
    for item in cached.values():  # eleven minutes later
        item["checked"] -= 11 * 60
    cache.write_text(json.dumps(cached), encoding="utf-8")
    document, _ = check_json(run, pub, "--links")
    assert Handler.hits["HEAD", "/missing"] == first["HEAD", "/missing"] + 1
    assert Handler.hits["HEAD", "/ok"] == first["HEAD", "/ok"] == 1  # working links are trusted for a day
    assert places(document, "links/broken") == [("03-market.md", 5)]


def cached_dir(pub: Path) -> Path:
    """Return the folder of the publication's link cache (in the user's cache folder)."""
    from newsletter.checks.linkcheck import cache_dir

    return cache_dir(pub)


def test_links_cache_that_cannot_be_written_only_costs_time(publication, run, server: str) -> None:
    """With a file where the cache folder should be, check --links still reports and the next run asks again."""
    pub = loopback_pub(publication, server, ["/ok", "/missing"])
    cached_dir(pub).parent.mkdir(parents=True)
    cached_dir(pub).write_text("not a folder", encoding="utf-8")
    for run_number in (1, 2):
        document, code = check_json(run, pub, "--links")
        assert code == 1
        assert places(document, "links/broken") == [("03-market.md", 5)]
        assert Handler.hits["HEAD", "/ok"] == run_number
    assert cached_dir(pub).read_text(encoding="utf-8") == "not a folder"


def test_links_refuses_private_addresses_without_the_opt_in(publication, run, server: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback, private, link-local (cloud metadata) and .internal addresses are never requested."""
    monkeypatch.delenv(LOOPBACK_ENV)
    targets = [f"{server}/ok", "http://10.0.0.8/", "http://192.168.1.1/router", "http://172.16.4.4/",
               "http://169.254.169.254/latest/meta-data/", "http://127.0.0.2:9/", "http://build.internal/",
               "http://localhost:9/"]
    body = "\n\n".join(f"See [target {i}]({url})." for i, url in enumerate(targets))
    pub = apply(loopback_pub(publication, server, []), {"ISSUE/03-market.md": f"# Links\n\n{body}\n"})
    started = time.monotonic()
    document, _ = check_json(run, pub, "--links")
    assert time.monotonic() - started < 5
    refused = [f for f in findings(document) if f["rule"] == "links/not-checked"]
    assert {f["line"] for f in refused if f["path"].endswith("03-market.md")} == {3 + 2 * i for i in range(8)}
    assert all("not checked: private address" in f["message"] for f in refused)
    assert not Handler.hits  # the loopback server was never asked
    assert places(document, "links/broken") == []


def test_links_refuses_a_redirect_to_a_private_address(publication, run, server: str) -> None:
    """A public page that redirects to a private or metadata address is refused at that hop."""
    pub = loopback_pub(publication, server, ["/to-private", "/to-metadata"])
    document, _ = check_json(run, pub, "--links")
    refused = {f["line"]: f["message"] for f in findings(document) if f["rule"] == "links/not-checked"}
    assert sorted(refused) == [3, 5]
    assert "10.1.2.3" in refused[3] and "a redirect goes to http://10.1.2.3/admin" in refused[3]
    assert "169.254.169.254" in refused[5]


def test_links_caps_the_time_of_a_trickling_server(publication, run, server: str) -> None:
    """A server that sends a byte at a time is cut off at --timeout in all, and reported as a timeout."""
    pub = loopback_pub(publication, server, ["/trickle"])
    started = time.monotonic()
    document, _ = check_json(run, pub, "--links", "--timeout", "1")
    assert time.monotonic() - started < 4  # the whole answer would take 10 s
    assert places(document, "links/timeout") == [("03-market.md", 3)]


def test_links_network_down_is_one_finding(publication, run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a network, one finding says so instead of one per URL, and nothing failed is cached."""
    import socket

    def offline(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    pub = publication(CLEAN)
    document, _ = check_json(run, pub, "--links")
    online = [f for f in findings(document) if f["rule"] in {"links/broken", "links/timeout", "links/offline"}]
    assert [(f["rule"], f["path"]) for f in online] == [("links/offline", None)]
    assert "network seems to be down" in online[0]["message"]
    cache = cached_dir(pub) / "links.json"
    assert not cache.exists() or json.loads(cache.read_text(encoding="utf-8")) == {}


def test_links_checks_every_url_the_email_carries(publication, run, server: str) -> None:
    """Unsubscribe, preferences, logo and hosted image URLs are requested and reported at their setting."""
    pub = apply(loopback_pub(publication, server, ["/ok"]), {
        "newsletter.toml": lambda t: t.replace(f'unsubscribe_url = "{server}/unsubscribe"',
                                               f'unsubscribe_url = "{server}/unsub-missing"\n'
                                               f'preferences_url = "{server}/prefs"').replace(
            "font_size = 17", f'font_size = 17\nlogo = "{server}/logo.png"'),
        "ISSUE/01-ferry.md": "# Ferry\n\n![The ferry](images/boat.png)\n",
    })
    document, _ = check_json(run, pub, "--links")
    assert ("newsletter.toml", 5) in places(document, "links/broken")
    asked = {path for _, path in Handler.hits}
    assert {"/prefs", "/logo.png", "/unsub-missing", "/ok"} <= asked
    assert any(path.startswith("/2024-06-01-summer/images/") for path in asked), asked


def test_request_all_is_bounded(server: str) -> None:
    """Each URL is requested once, with at most `workers` requests in flight."""
    urls = [f"{server}/slow?n={i}" for i in range(4)]
    started = time.monotonic()
    results = request_all(urls, timeout=5, workers=2)
    elapsed = time.monotonic() - started
    assert {r.status for r in results.values()} == {200}
    assert elapsed >= 2 * SLOW_SECONDS - 0.2  # two rounds of two
    assert Handler.hits["HEAD", "/slow"] == 4
