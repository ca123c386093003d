"""The site's archive.json: which files the archive wrote, and what each issue was built from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter import __version__
from newsletter.errors import UsageError
from newsletter.files import RACY_NS
from newsletter.inputs import folder_stats

STATE_NAME = "archive.json"
STATE_VERSION = 2


@dataclass
class State:
    """What the last run left in the site: every file it wrote (with a hash) and each issue's entry."""

    common: str = ""
    scanned: int = 0  # time.time_ns() when the last run started reading the issues
    files: dict[str, str] = field(default_factory=dict)  # site path -> short hash of what was written
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug -> entry
    feed: dict[str, str] = field(default_factory=dict)  # slug -> the feed's content for issues in the feed
    statics: dict[str, list[Any]] = field(default_factory=dict)  # static/ path -> [size, mtime_ns, hash]
    parts: dict[str, list[Any]] = field(default_factory=dict)  # front pages, feed, sitemap -> [mark, files]

    def dumps(self, scanned: bool = True) -> bytes:
        """Return the state as archive.json's bytes (without the time of the scan, to compare two states)."""
        document = {"generator": f"newsletter {__version__}", "version": STATE_VERSION, "common": self.common,
                    "scanned": self.scanned if scanned else 0, "files": self.files, "statics": self.statics,
                    "parts": self.parts,
                    "issues": list(self.issues.values()), "feed": self.feed}
        return (json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n").encode("utf-8")


def read_state(out: Path) -> State:
    """Return the state of the site in `out`; refuse a non-empty folder the archive did not write."""
    path = out / STATE_NAME
    if not out.exists():
        return State()
    if not out.is_dir():
        raise UsageError(f"{out.name} is a file; give --out a folder for the site", out)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if any(out.iterdir()):
            raise UsageError(f"{out} is not empty and was not written by `newsletter archive` (no {STATE_NAME}); "
                             "choose a new or empty folder with --out, or move the files you want published "
                             "into static/ at the publication root", out) from None
        return State()
    except (OSError, ValueError):
        return State()  # unreadable: rebuild everything; files it named are left alone
    if not isinstance(document, dict) or not isinstance(document.get("issues"), list):
        return State()
    if document.get("version") == 1:  # written by an older newsletter: its pages and index are ours
        owned = {"index.html": "", "feed.xml": "", ".newsletter-output": ""}
        for entry in document["issues"]:
            owned.update({f"{entry['slug']}/{name}": "" for name in entry.get("files", ())})
        return State(files=owned)
    if document.get("version") != STATE_VERSION:
        return State()
    return State(common=str(document.get("common", "")), scanned=int(document.get("scanned", 0)),
                 files=dict(document.get("files", {})), statics=dict(document.get("statics", {})),
                 parts=dict(document.get("parts", {})),
                 issues={e["slug"]: e for e in document["issues"] if isinstance(e, dict) and "slug" in e},
                 feed=dict(document.get("feed", {})))


def short_hash(data: bytes) -> str:
    """Return the hash the state keeps of a file's content."""
    return hashlib.sha256(data).hexdigest()[:24]


def digest(*parts: str) -> str:
    """Return the hash of several hashes (short: the state keeps one per issue)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def signature_of(folder: Path, scanned: int) -> tuple[str, bool]:
    """Return an issue folder's signature (its files' names, sizes and times) and whether it can be trusted.

    When the signature matches the last run's and every file was last changed well before that run started,
    the files cannot have changed unseen (the "racy" case git's index guards against), so what the last run
    learnt from them still holds without reading them again.
    """
    signature, newest = folder_stats(folder)
    return signature, newest < scanned - RACY_NS
