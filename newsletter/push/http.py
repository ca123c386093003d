"""The one HTTP door of `newsletter push`: timeouts, retries on 429 and 5xx, clear errors, dry runs, no secrets."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from newsletter.errors import NewsletterError

ATTEMPTS = 4
TIMEOUT = (10.0, 60.0)  # seconds to connect, seconds to wait for an answer
MAX_WAIT = 60.0


class PushError(NewsletterError):
    """Raised when a platform refuses a push or cannot be reached; the message says what to check."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class DryValue(str):
    """A dry run's placeholder value: any field of it is the placeholder again."""

    def __getitem__(self, key: Any) -> DryValue:  # type: ignore[override]
        return self


class Placeholder(dict[str, Any]):
    """A dry run's answer: any field asked for reads as a placeholder, so the next request can be shown."""

    def __missing__(self, key: str) -> DryValue:
        return DryValue("DRY-RUN")


@dataclass
class Session:
    """Requests to one platform's API, authenticated from the environment; in a dry run, only described."""

    platform: str
    base_url: str
    env_var: str
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    dry_run: bool = False
    shown: list[str] = field(default_factory=list)
    sleep: Any = time.sleep
    _http: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        """Return the full URL of an API path."""
        return path if path.startswith(("http://", "https://")) else self.base_url.rstrip("/") + path

    def request(self, method: str, path: str, *, json_body: Any = None, form: Mapping[str, Any] | None = None,
                files: Mapping[str, tuple[str, bytes, str]] | None = None, multipart: bool = False,
                dry_answer: Mapping[str, Any] | None = None) -> Any:
        """Send one request and return its JSON answer (None for an empty one); retry 429 and 5xx.

        `form` goes as application/x-www-form-urlencoded, or as multipart/form-data with `multipart` or `files`.
        """
        url = self.url(path)
        if self.dry_run:
            self.shown.append(describe(method, url, json_body if json_body is not None else form, files))
            return Placeholder(dry_answer or {})
        if multipart and form:
            files = {**{k: (None, str(v)) for k, v in form.items()}, **(files or {})}  # type: ignore[dict-item]
            form = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                answer = self._http.request(method, url, json=json_body, data=form, files=files,
                                            headers=dict(self.headers), auth=self.auth, timeout=TIMEOUT)
            except requests.RequestException as exc:
                if attempt == ATTEMPTS:
                    raise PushError(f"could not reach {self.platform} at {self.base_url}: "
                                    f"{type(exc).__name__} (check the address and your connection)") from None
                self.sleep(min(2.0 ** (attempt - 1), MAX_WAIT))
                continue
            if answer.status_code == 429 or answer.status_code >= 500:
                if attempt == ATTEMPTS:
                    raise PushError(f"{self.platform} answered HTTP {answer.status_code} to {method} {path} "
                                    f"{ATTEMPTS} times: {message(answer)}; try again later")
                self.sleep(retry_after(answer, attempt))
                continue
            if answer.status_code in (401, 403):
                raise PushError(f"{self.platform} refused the credentials (HTTP {answer.status_code}: "
                                f"{message(answer)}): check {self.env_var}")
            if answer.status_code >= 400:
                raise PushError(f"{self.platform} rejected {method} {path} (HTTP {answer.status_code}): "
                                f"{message(answer)}", status=answer.status_code)
            return answer.json() if answer.content.strip() else None
        raise AssertionError("unreachable")


def retry_after(answer: requests.Response, attempt: int) -> float:
    """Return how long to wait before trying again: the Retry-After header (seconds or a date), else back off."""
    value = answer.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return min(float(value), MAX_WAIT)
    if value:
        when = email.utils.parsedate_to_datetime(value) if "," in value else None
        if when is not None:
            return max(0.0, min(when.timestamp() - time.time(), MAX_WAIT))
    return min(2.0 ** (attempt - 1), MAX_WAIT)


def message(answer: requests.Response) -> str:
    """Return the platform's own words from an error answer (JSON message fields or the text)."""
    try:
        data = answer.json()
    except ValueError:
        return " ".join(answer.text.split())[:500] or answer.reason or "no message"
    found: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, Mapping):
            for key in ("message", "Message", "detail", "error", "errors", "title", "field", "code"):
                if key in value:
                    collect(value[key])

    collect(data)
    return "; ".join(dict.fromkeys(found))[:500] or json.dumps(data)[:500]


def describe(method: str, url: str, body: Any, files: Mapping[str, tuple[str, bytes, str]] | None) -> str:
    """Return a request as a dry run prints it: method, URL, body with long strings shortened (never headers)."""
    lines = [f"{method} {url}"]
    if body is not None:
        lines.append(json.dumps(_shorten(body), indent=2, ensure_ascii=False))
    for name, (filename, data, kind) in (files or {}).items():
        lines.append(f"  file {name}: {filename} ({kind}, {len(data):,} bytes)")
    return "\n".join(lines)


def _shorten(value: Any) -> Any:
    """Return value with strings over 200 characters cut, saying how long they were."""
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + f"… ({len(value):,} characters)"
    if isinstance(value, Mapping):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value
