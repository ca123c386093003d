"""Where a push records the remote draft, so the next push updates it: `.newsletter-push.json` at the root.

It sits beside newsletter.toml, outside dist/ (which `build` replaces) and outside the issue folders (which
are the writer's). Commit it with the publication, or keep it: deleting an entry makes the next push create
a new draft.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from newsletter.errors import ConfigError
from newsletter.writer import write_cache_file

STATE_NAME = ".newsletter-push.json"


@dataclass
class Record:
    """One issue's draft on one platform: its id, where to open it, and the images already uploaded."""

    id: str = ""
    url: str = ""
    images: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> {"sha256", "url"}
    extra: dict[str, str] = field(default_factory=dict)


def _path(root: Path) -> Path:
    """Return the state file of a publication."""
    return root / STATE_NAME


def _load(root: Path) -> dict[str, Any]:
    """Return the whole state file, or an empty one; a damaged file is an error, not a silent new draft."""
    path = _path(root)
    if not path.is_file():
        return {"version": 1, "issues": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the push record ({exc}); fix or delete it (the next push then creates "
                          "new drafts)", path) from None
    if not isinstance(data, dict) or not isinstance(data.get("issues"), dict):
        raise ConfigError("the push record is not what newsletter writes; fix or delete it", path)
    return data


def load_record(root: Path, slug: str, platform: str) -> Record:
    """Return what the last push of an issue to a platform recorded (empty when never pushed)."""
    entry = _load(root)["issues"].get(slug, {}).get(platform)
    if not isinstance(entry, dict):
        return Record()
    return Record(id=str(entry.get("id", "")), url=str(entry.get("url", "")),
                  images={k: dict(v) for k, v in entry.get("images", {}).items() if isinstance(v, dict)},
                  extra={k: str(v) for k, v in entry.get("extra", {}).items()})


def save_record(root: Path, slug: str, platform: str, record: Record) -> Path:
    """Write the record of a push (atomically); fail loudly, since a lost id means a second draft next time."""
    data = _load(root)
    data["issues"].setdefault(slug, {})[platform] = asdict(record)
    path = _path(root)
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if not write_cache_file(path, text.encode("utf-8")):
        raise ConfigError(f"the draft {record.id} was pushed, but its id could not be recorded: the next push "
                          "would create a second draft; check that the folder is writable", path)
    return path
