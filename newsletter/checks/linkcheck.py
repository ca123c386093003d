"""`check --links`: request every URL (HEAD, GET on 405) on public addresses only, with a deadline and a cache.

Every hop is resolved first and refused unless all its addresses are public (no loopback, private, link-local,
cloud metadata or `.internal` names), then connected to the address that was checked, so a name cannot
resolve to a public address for the check and a private one for the request. Only the status line and headers
are read (within http.client's limits), never a body, and a watchdog ends any URL that takes longer than its
deadline in all, however slowly a server trickles bytes.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from newsletter.checks import Finding

if TYPE_CHECKING:
    from newsletter.checks.links import Link

WORKERS = 8
CACHE_SECONDS = 24 * 3600  # a link that worked is trusted for a day
FAILED_CACHE_SECONDS = 10 * 60  # a failed one is asked again after ten minutes
USER_AGENT = "newsletter-check/0.1 (link checker; +https://pypi.org/project/newsletter/)"
RETRY_WITH_GET = {405, 501}
MAX_REDIRECTS = 10
LOOPBACK_ENV = "NEWSLETTER_CHECK_ALLOW_LOOPBACK"  # "1": tests may check servers on 127.0.0.1 and ::1
PRIVATE = "not checked: private address"
PRIVATE_SUFFIXES = (".internal", ".local", ".localhost", ".lan", ".home.arpa", ".intranet", ".corp")
OFFLINE_ERRORS = {"temporary failure in name resolution", "network is unreachable"}
UNRESOLVED = "name or service not known"  # offline resolvers say this of every name, too


@dataclass(frozen=True)
class LinkResult:
    """What requesting one URL gave: final status or error, and the redirects on the way."""

    url: str
    status: int | None
    error: str = ""
    redirects: tuple[str, ...] = ()
    checked: float = 0.0

    @property
    def ok(self) -> bool:
        """Return True when the URL answered without an error status."""
        return not self.error and self.status is not None and self.status < 400


class _Refused(Exception):
    """Raised for a hop that is not requested (private address, bad scheme)."""


def check_online(links: Iterable[Link], root: Path, timeout: float = 10.0) -> Iterator[Finding]:
    """Request every http(s) link once and report broken, slow and redirected ones at each place they appear."""
    from newsletter.checks.links import OFFLINE, malformed

    wanted = [link for link in links if link.url.lower().startswith(("http://", "https://"))
              and not malformed(link.url)]
    results = request_all(sorted({link.url for link in wanted}), timeout=timeout, cache=cache_dir(root))
    if results and network_down(results.values()):
        reason = next((r.error for r in results.values() if r.error in OFFLINE_ERRORS), "no name resolves")
        yield OFFLINE.at(None, None, f"the network seems to be down ({reason}): none of the {len(results)} URLs "
                                     "could be asked, so no link was checked")
        return
    for link in wanted:
        found = _finding(link, results[link.url], timeout)
        if found is not None:
            yield replace(found, column=link.column)


def _finding(link: Link, result: LinkResult, timeout: float) -> Finding | None:
    """Return what one link's result says, or None when it worked."""
    from newsletter.checks.links import BROKEN, CHAIN, NOT_CHECKED, REDIRECT, TIMEOUT

    if result.error == "timeout":
        return TIMEOUT.at(link.path, link.line, f"{link.url} did not answer within {timeout:g} s")
    if result.error.startswith("not checked"):
        return NOT_CHECKED.at(link.path, link.line, f"{link.url}: {result.error}")
    if result.error:
        return BROKEN.at(link.path, link.line, f"{link.url} cannot be reached: {result.error}")
    if result.status is not None and result.status >= 400:
        return BROKEN.at(link.path, link.line, f"{link.url} answers {result.status}")
    if len(result.redirects) >= 2:
        hops = " → ".join(result.redirects)
        return CHAIN.at(link.path, link.line, f"{link.url} redirects {len(result.redirects)} times: → {hops}",
                        f"link to {result.redirects[-1]} directly")
    if result.redirects:
        return REDIRECT.at(link.path, link.line, f"{link.url} redirects to {result.redirects[0]}",
                           f"link to {result.redirects[0]} directly if the move is permanent")
    return None


def network_down(results: Iterable[LinkResult]) -> bool:
    """Return True when no URL could be asked: the resolver or the network failed for every one of them.

    A resolver that is offline says "temporary failure", or that no name exists; one unknown name is a broken
    link, but every name of two or more hosts failing means the network is down.
    """
    asked = [r for r in results if not r.error.startswith("not checked")]
    if not asked or not all(r.error in {*OFFLINE_ERRORS, UNRESOLVED, "timeout"} for r in asked):
        return False
    hosts = {urlsplit(r.url).hostname for r in asked}
    return any(r.error in OFFLINE_ERRORS for r in asked) or (len(hosts) >= 2 and all(
        r.error == UNRESOLVED for r in asked))


def request_all(urls: list[str], timeout: float = 10.0, workers: int = WORKERS, cache: Path | None = None,
                allow_loopback: bool | None = None) -> dict[str, LinkResult]:
    """Return a result per URL, from the cache folder where fresh, else by requesting a few URLs at a time."""
    loopback = os.environ.get(LOOPBACK_ENV) == "1" if allow_loopback is None else allow_loopback
    cached = _load_cache(cache) if cache else {}
    now = time.time()
    results = {url: cached[url] for url in urls if url in cached and _fresh(cached[url], now)}
    todo = [url for url in urls if url not in results]
    if todo:
        with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
            for result in pool.map(lambda url: request_one(url, timeout, loopback), todo):
                results[result.url] = result
        if cache:
            keep = {url: r for url, r in {**cached, **results}.items() if _fresh(r, now) and _cacheable(r)}
            if network_down(results.values()):
                keep = {url: r for url, r in keep.items() if r.ok or url not in results}
            _save_cache(cache, keep)
    return results


def request_one(url: str, timeout: float, allow_loopback: bool = False) -> LinkResult:
    """Request one URL and follow its redirects, each hop on a checked public address, in `timeout` s in all."""
    deadline = time.monotonic() + timeout
    redirects: list[str] = []
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, location = _ask(current, deadline, allow_loopback)
            if status in {301, 302, 303, 307, 308} and location:
                current = urljoin(current, location)
                redirects.append(current)
                continue
            return LinkResult(url, status, "", tuple(redirects), time.time())
        return LinkResult(url, None, "too many redirects", checked=time.time())
    except _Refused as exc:
        where = "" if current == url else f" (a redirect goes to {current})"
        return LinkResult(url, None, f"{exc}{where}", checked=time.time())
    except TimeoutError:
        return LinkResult(url, None, "timeout", checked=time.time())
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if time.monotonic() >= deadline:
            return LinkResult(url, None, "timeout", checked=time.time())
        return LinkResult(url, None, _reason(exc), checked=time.time())


def _ask(url: str, deadline: float, allow_loopback: bool) -> tuple[int, str]:
    """Return (status, Location) for one hop: HEAD, or GET when the server refuses HEAD."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _Refused(f"not checked: {parts.scheme or 'no'} scheme")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = public_address(host, port, allow_loopback)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    target = (parts.scheme, host, address, port)
    status, location = _request(target, "HEAD", path, deadline=deadline)
    if status in RETRY_WITH_GET:
        status, location = _request(target, "GET", path, deadline=deadline)
    return status, location


def public_address(host: str, port: int, allow_loopback: bool = False) -> str:
    """Return an address of host to connect to, refusing (_Refused) a host with any non-public address."""
    name = host.rstrip(".").casefold()
    local = name == "localhost" or name.endswith(PRIVATE_SUFFIXES)
    if local and not (allow_loopback and name == "localhost"):
        raise _Refused(f"{PRIVATE} ({host} is a local name)")
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(_reason(exc)) from None
    addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address)
        mapped = getattr(ip, "ipv4_mapped", None)
        ip = mapped or ip
        if ip.is_loopback and allow_loopback:
            continue
        if not ip.is_global or ip.is_multicast:
            raise _Refused(f"{PRIVATE} ({host} is {address})")
    return addresses[0]


def _request(target: tuple[str, str, str, int], method: str, path: str, *, deadline: float) -> tuple[int, str]:
    """Send one request to (scheme, host, checked address, port); read only status and headers, in time."""
    scheme, host, address, port = target
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    conn = _Pinned(host, address, port, remaining, scheme == "https")
    watchdog = threading.Timer(remaining, conn.abort)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request(method, path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
        response = conn.getresponse()
        status, location = response.status, response.getheader("Location", "") or ""
        if conn.aborted:  # the watchdog cut the answer short: what was read is not the whole answer
            raise TimeoutError
    except OSError:
        if time.monotonic() >= deadline:
            raise TimeoutError from None
        raise
    finally:
        watchdog.cancel()
        conn.close()
    return status, location


class _Pinned(http.client.HTTPSConnection):
    """An HTTP(S) connection to a checked address that still names (SNI, certificate, Host) the host."""

    def __init__(self, host: str, address: str, port: int, timeout: float, tls: bool) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context() if tls else None)
        self._address = address
        self._tls = tls
        self.default_port = 443 if tls else 80  # the Host header names the port only when it is not the usual
        self.aborted = False

    def connect(self) -> None:
        """Connect to the checked address, with TLS for the host's name where asked."""
        if self.aborted:
            raise TimeoutError
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host) if self._tls else sock

    def abort(self) -> None:
        """End the request from the watchdog: shut the socket so a blocked read returns."""
        self.aborted = True
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


_REASONS = {  # what the resolver or the socket says -> the reason shown
    "name or service not known": "name or service not known",
    "no address associated with hostname": "name or service not known",
    "nodename nor servname provided": "name or service not known",
    "temporary failure in name resolution": "temporary failure in name resolution",
    "connection refused": "connection refused",
    "certificate verify failed": "certificate verify failed",
    "no route to host": "no route to host",
    "network is unreachable": "network is unreachable",
}


def _reason(exc: BaseException) -> str:
    """Return a short reason for a failed request."""
    if isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_AGAIN:
        return "temporary failure in name resolution"
    text = str(exc).casefold()
    return next((shown for marker, shown in _REASONS.items() if marker in text), type(exc).__name__)


def _fresh(result: LinkResult, now: float) -> bool:
    """Return True while a cached result may be reused: a day when it worked, ten minutes when it failed."""
    return now - result.checked < (CACHE_SECONDS if result.ok else FAILED_CACHE_SECONDS)


def _cacheable(result: LinkResult) -> bool:
    """Return True for results worth keeping (a refusal costs nothing to repeat)."""
    return not result.error.startswith("not checked")


def cache_dir(root: Path) -> Path:
    """Return the folder holding a publication's link cache (in the user's cache folder, see newsletter.cache)."""
    from newsletter import cache

    return cache.folder(root, "links")


def _load_cache(folder: Path) -> dict[str, LinkResult]:
    """Read the link cache; a missing or damaged cache is empty."""
    try:
        data = json.loads((folder / "links.json").read_text(encoding="utf-8"))
        return {url: LinkResult(url, item["status"], str(item.get("error", "")), tuple(item["redirects"]),
                                float(item["checked"]))
                for url, item in data.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _save_cache(folder: Path, results: dict[str, LinkResult]) -> None:
    """Write the results to the cache file (one that cannot be written only costs time)."""
    from newsletter.writer import write_cache_file

    data = {url: {k: v for k, v in asdict(r).items() if k != "url"} for url, r in results.items()}
    write_cache_file(folder / "links.json", json.dumps(data, indent=1).encode("utf-8"))
