"""The site's archive.json: which files the archive wrote, and what each issue was built from."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter import __version__
from newsletter.errors import UsageError

STATE_NAME = "archive.json"
STATE_VERSION = 2
RACY_NS = 2_000_000_000  # a file changed this close to the last scan may have changed again unseen: hash it


@dataclass
class State:
    """What the last run left in the site: every file it wrote (with a hash) and each issue's entry."""

    common: str = ""
    scanned: int = 0  # time.time_ns() when the last run started reading the issues
    files: dict[str, str] = field(default_factory=dict)  # site path -> short hash of what was written
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug -> entry
    feed: dict[str, str] = field(default_factory=dict)  # slug -> the feed's content for issues in the feed
    statics: dict[str, list[Any]] = field(default_factory=dict)  # static/ path -> [size, mtime_ns, hash]

    def dumps(self, scanned: bool = True) -> bytes:
        """Return the state as archive.json's bytes (without the time of the scan, to compare two states)."""
        document = {"generator": f"newsletter {__version__}", "version": STATE_VERSION, "common": self.common,
                    "scanned": self.scanned if scanned else 0, "files": self.files, "statics": self.statics,
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
                 issues={e["slug"]: e for e in document["issues"] if isinstance(e, dict) and "slug" in e},
                 feed=dict(document.get("feed", {})))


def short_hash(data: bytes) -> str:
    """Return the hash the state keeps of a file's content."""
    return hashlib.sha256(data).hexdigest()[:24]


def digest(*parts: str) -> str:
    """Return the hash of several hashes."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def folder_hash(folder: Path) -> str:
    """Return a hash of every file under a folder: names and contents."""
    hasher = hashlib.sha256()
    for path, _ in walk(folder):
        hasher.update(str(path.relative_to(folder)).encode() + b"\0")
        try:
            hasher.update(path.read_bytes())
        except OSError:
            hasher.update(b"\1unreadable")
    return hasher.hexdigest()


def walk(folder: Path, hidden: bool = False) -> list[tuple[Path, os.stat_result]]:
    """Return every file under a folder (hidden folders skipped unless asked) with its stat, in a stable order."""
    found: list[tuple[Path, os.stat_result]] = []
    if not folder.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if hidden or not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            try:
                found.append((path, path.stat()))
            except OSError:
                continue
    return found


def source_of(folder: Path, before: dict[str, Any] | None, scanned: int) -> tuple[str, str]:
    """Return (signature, source hash) of an issue folder, hashing its files only when their stats changed.

    The signature is the names, sizes and modification times of the files. When it matches the last run's and
    every file was last changed well before that run started, the files cannot have changed unseen (the
    "racy" case git's index guards against), so the hash from last time holds without reading them.
    """
    files = walk(folder)
    signature = digest(*(f"{p.relative_to(folder)}:{s.st_size}:{s.st_mtime_ns}" for p, s in files))
    newest = max((s.st_mtime_ns for _, s in files), default=0)
    if before and before.get("signature") == signature and newest < scanned - RACY_NS and before.get("source"):
        return signature, str(before["source"])
    return signature, folder_hash(folder)
