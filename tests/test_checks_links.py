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

from newsletter.checks.linkcheck import request_all
from tests.check_helpers import CLEAN, apply, check_json, findings, places

SLOW_SECONDS = 2.0


class Handler(BaseHTTPRequestHandler):
    """Answer a few fixed paths and count every request."""

    hits: ClassVar[Counter[tuple[str, str]]] = Counter()
    routes: ClassVar[dict[str, tuple[int, str]]] = {  # path: (status, location)
        "/ok": (200, ""), "/missing": (404, ""), "/error": (500, ""), "/moved": (301, "/ok"),
        "/hop1": (301, "/hop2"), "/hop2": (302, "/ok"),
    }

    def _answer(self) -> None:
        """Answer by route; /nohead refuses HEAD, /slow sleeps."""
        path = urlsplit(self.path).path
        Handler.hits[self.command, path] += 1
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
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


def loopback_pub(publication, base: str, paths: list[str]) -> Path:
    """Return the clean publication with its web links replaced by links to the loopback server."""
    body = "\n\n".join(f"See [the page at {p}]({base}{p})." for p in paths)
    return apply(publication(CLEAN), {
        "ISSUE/01-ferry.md": None,
        "ISSUE/03-market.md": f"# Links\n\n{body}\n",
        "newsletter.toml": lambda t: t.replace("https://check.example.org/subscribe", f"{base}/ok"),
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


def test_links_cache_skips_working_urls_for_a_day(publication, run, server: str) -> None:
    """A second run requests only the URLs that failed; working ones come from the cache."""
    pub = loopback_pub(publication, server, ["/ok", "/missing"])
    check_json(run, pub, "--links")
    first = Counter(Handler.hits)
    document, _ = check_json(run, pub, "--links")
    assert Handler.hits["HEAD", "/ok"] == first["HEAD", "/ok"] == 1  # the subscribe link is the same URL
    assert Handler.hits["HEAD", "/missing"] == first["HEAD", "/missing"] + 1
    assert places(document, "links/broken") == [("03-market.md", 5)]
    cached = json.loads((cached_dir(pub) / "links.json").read_text(encoding="utf-8"))
    assert sorted(cached) == [f"{server}/ok"]  # only working links are cached

    assert sorted(p.name for p in cached_dir(pub).iterdir()) == ["links.json"]  # one file, no temporary left


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


def test_request_all_is_bounded(server: str) -> None:
    """Each URL is requested once, with at most `workers` requests in flight."""
    urls = [f"{server}/slow?n={i}" for i in range(4)]
    started = time.monotonic()
    results = request_all(urls, timeout=5, workers=2)
    elapsed = time.monotonic() - started
    assert {r.status for r in results.values()} == {200}
    assert elapsed >= 2 * SLOW_SECONDS - 0.2  # two rounds of two
    assert Handler.hits["HEAD", "/slow"] == 4
