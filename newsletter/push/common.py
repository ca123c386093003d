"""Shared by the push modules: credentials and base URLs from the environment, payloads, image uploads."""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter.config import Settings
from newsletter.errors import UsageError
from newsletter.exporters import module as exporter
from newsletter.exporters.common import Bundle, Options
from newsletter.model import Rendered
from newsletter.push.http import Session
from newsletter.push.state import Record


@dataclass
class Context:
    """What one push works with: the built issue, the last record, the environment, and what it says."""

    rendered: Rendered
    settings: Settings
    record: Record
    env: Mapping[str, str]
    dry_run: bool = False
    audience: str = ""
    shown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def secret(self, name: str, what: str) -> str:
        """Return a credential from the environment (a placeholder in a dry run), or say which variable to set."""
        value = self.env.get(name, "").strip()
        if value or self.dry_run:
            return value or "DRY-RUN"
        raise UsageError(f"set {name} to your {what}; newsletter reads it only from the environment and never "
                         "prints or stores it")

    def setting(self, env_name: str, value: str, what: str, table_key: str) -> str:
        """Return a setting from the environment, else newsletter.toml's [push] table, or say where to set it."""
        found = self.env.get(env_name, "").strip() or value.strip()
        if found:
            return found
        raise UsageError(f"say {what}: set {table_key} under [push] in newsletter.toml, or {env_name}",
                         self.settings.path)

    def base_url(self, platform_env: str, default: str) -> str:
        """Return the API's base URL: NEWSLETTER_<PLATFORM>_URL (a region, a proxy, a test server) or the default."""
        return (self.env.get(f"NEWSLETTER_{platform_env}_URL", "").strip() or default).rstrip("/")

    def session(self, name: str, env_var: str, base_url: str, *, headers: Mapping[str, str] | None = None,
                auth: tuple[str, str] | None = None) -> Session:
        """Return an HTTP session to the platform that records what it shows in a dry run."""
        return Session(name, base_url, env_var, headers=dict(headers or {}), auth=auth, dry_run=self.dry_run,
                       shown=self.shown)

    def export(self, platform: str, options: Options | None = None) -> Bundle:
        """Return what `newsletter export` writes for the platform (the payloads a push sends)."""
        bundle: Bundle = exporter(platform).export(self.rendered, options or Options(audience=self.audience))
        self.notes.extend(bundle.notes)
        return bundle

    def upload_images(self, upload: Callable[[str, bytes, str], str]) -> dict[str, str]:
        """Upload each local image the platform does not have yet (by content hash); return name -> URL."""
        urls: dict[str, str] = {}
        for name, path in sorted(self.rendered.images.items()):
            data = Path(path).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            known = self.record.images.get(name, {})
            if known.get("sha256") == digest and known.get("url"):
                urls[name] = known["url"]
                continue
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            urls[name] = upload(name, data, kind)
            if not self.dry_run:
                self.record.images[name] = {"sha256": digest, "url": urls[name]}
        return urls


def payload(bundle: Bundle, name: str) -> dict[str, Any]:
    """Return one JSON file of an export as data."""
    data: dict[str, Any] = json.loads(bundle.files[name])
    return data
