"""`check --links`: request every URL (HEAD, GET on 405), a few at a time, with timeouts and a cache."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.checks import Finding

if TYPE_CHECKING:
    from newsletter.checks.links import Link

WORKERS = 8
CACHE_SECONDS = 24 * 3600  # a link that worked is trusted for a day
USER_AGENT = "newsletter-check/0.1 (link checker; +https://pypi.org/project/newsletter/)"
RETRY_WITH_GET = {405, 501}


@dataclass(frozen=True)
class LinkResult:
    """What requesting one URL gave: final status or error, and the redirects on the way."""

    url: str
    status: int | None
    error: str = ""
    redirects: tuple[str, ...] = ()
    checked: float = 0.0


def check_online(links: Iterable[Link], root: Path, timeout: float = 10.0) -> Iterator[Finding]:
    """Request every http(s) link once and report broken, slow and redirected ones at each place they appear."""
    from newsletter.checks.links import BROKEN, CHAIN, REDIRECT, TIMEOUT, malformed

    wanted = [link for link in links if link.url.lower().startswith(("http://", "https://"))
              and not malformed(link.url)]
    results = request_all(sorted({link.url for link in wanted}), timeout=timeout, cache=cache_dir(root))
    for link in wanted:
        result = results[link.url]
        if result.error == "timeout":
            yield TIMEOUT.at(link.path, link.line, f"{link.url} did not answer within {timeout:g} s")
        elif result.error:
            yield BROKEN.at(link.path, link.line, f"{link.url} cannot be reached: {result.error}")
        elif result.status is not None and result.status >= 400:
            yield BROKEN.at(link.path, link.line, f"{link.url} answers {result.status}")
        elif len(result.redirects) >= 2:
            hops = " → ".join(result.redirects)
            yield CHAIN.at(link.path, link.line, f"{link.url} redirects {len(result.redirects)} times: → {hops}",
                           f"link to {result.redirects[-1]} directly")
        elif result.redirects:
            yield REDIRECT.at(link.path, link.line, f"{link.url} redirects to {result.redirects[0]}",
                              f"link to {result.redirects[0]} directly if the move is permanent")


def request_all(urls: list[str], timeout: float = 10.0, workers: int = WORKERS,
                cache: Path | None = None) -> dict[str, LinkResult]:
    """Return a result per URL, from the cache folder where fresh, else by requesting a few URLs at a time."""
    import requests

    cached = _load_cache(cache) if cache else {}
    now = time.time()
    results = {url: cached[url] for url in urls if url in cached and now - cached[url].checked < CACHE_SECONDS}
    todo = [url for url in urls if url not in results]
    if todo:
        with requests.Session() as session, ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
            session.headers["User-Agent"] = USER_AGENT
            for result in pool.map(lambda url: request_one(session, url, timeout), todo):
                results[result.url] = result
        if cache:
            fresh = {url: r for url, r in {**cached, **results}.items()
                     if not r.error and r.status is not None and r.status < 400 and now - r.checked < CACHE_SECONDS}
            _save_cache(cache, fresh)
    return results


def request_one(session: Any, url: str, timeout: float) -> LinkResult:
    """Request one URL: HEAD, then GET when the server refuses HEAD."""
    import requests

    try:
        response = session.head(url, allow_redirects=True, timeout=timeout)
        if response.status_code in RETRY_WITH_GET:
            response.close()
            response = session.get(url, allow_redirects=True, timeout=timeout, stream=True)
        response.close()
    except requests.Timeout:
        return LinkResult(url, None, "timeout", checked=time.time())
    except requests.TooManyRedirects:
        return LinkResult(url, None, "too many redirects", checked=time.time())
    except requests.RequestException as exc:
        return LinkResult(url, None, _reason(exc), checked=time.time())
    redirects = (*(r.url for r in response.history[1:]), response.url) if response.history else ()
    return LinkResult(url, response.status_code, "", redirects, time.time())


def _reason(exc: Exception) -> str:
    """Return a short reason for a failed request."""
    text = str(exc)
    for marker in ("Name or service not known", "Connection refused", "certificate verify failed",
                   "Temporary failure in name resolution", "No route to host"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def cache_dir(root: Path) -> Path:
    """Return the folder holding a publication's link cache (in the user's cache folder, see newsletter.cache)."""
    from newsletter import cache

    return cache.folder(root, "links")


def _load_cache(folder: Path) -> dict[str, LinkResult]:
    """Read the link cache; a missing or damaged cache is empty."""
    try:
        data = json.loads((folder / "links.json").read_text(encoding="utf-8"))
        return {url: LinkResult(url, item["status"], "", tuple(item["redirects"]), float(item["checked"]))
                for url, item in data.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _save_cache(folder: Path, results: dict[str, LinkResult]) -> None:
    """Write the links that worked to the cache file (one that cannot be written only costs time)."""
    from newsletter.writer import write_cache_file

    data = {url: {k: v for k, v in asdict(r).items() if k not in {"url", "error"}} for url, r in results.items()}
    write_cache_file(folder / "links.json", json.dumps(data, indent=1).encode("utf-8"))
