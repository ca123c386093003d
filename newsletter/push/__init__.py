"""`newsletter push`: turn an export into a draft on the platform through its API; never send to subscribers.

One payload model, two doors (style.md §8): each platform module sends the payload its exporter writes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from newsletter.config import Settings
from newsletter.errors import UsageError
from newsletter.gate import Verdict, admit
from newsletter.push.common import Context
from newsletter.push.state import STATE_NAME, load_record, save_record

# Platform name -> (module under newsletter.push, what a push creates there).
PLATFORMS: dict[str, tuple[str, str]] = {
    "buttondown": ("buttondown", "a draft email (images uploaded to Buttondown)"),
    "mailchimp": ("mailchimp", "a draft regular campaign (images uploaded to the File Manager)"),
    "listmonk": ("listmonk", "a draft campaign on a raw template"),
    "kit": ("kit", "a draft broadcast"),
    "sendgrid": ("sendgrid", "a draft Single Send"),
    "brevo": ("brevo", "a draft email campaign"),
    "postmark": ("postmark", "a template for your broadcast stream"),
    "mailgun": ("mailgun", "a stored template"),
    "ses": ("ses", "an SESv2 email template"),
    "campaign-monitor": ("campaign_monitor", "a draft campaign"),
}


@dataclass
class Pushed:
    """One finished push: the draft, whether it is new, what was shown (dry run) and said."""

    platform: str
    slug: str
    id: str
    url: str
    created: bool
    dry_run: bool
    verdict: Verdict
    record: Path | None = None
    shown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def module(platform: str) -> ModuleType:
    """Return the push module of a platform, or a usage error listing the known ones."""
    if platform not in PLATFORMS:
        raise UsageError(f"unknown platform {platform!r} for push; choose one of: {', '.join(PLATFORMS)}")
    return importlib.import_module(f"newsletter.push.{PLATFORMS[platform][0]}")


def push_issue(settings: Settings, folder: Path, platform: str, env: dict[str, str], *, audience: str = "",
               dry_run: bool = False, force: bool = False) -> Pushed:
    """Build an issue, run the send-day gate (as export does), and create or update its draft on a platform."""
    from newsletter.build import build_issue

    pusher = module(platform)
    rendered = build_issue(settings, folder)
    verdict = admit([rendered], "push", force=force)[0]
    record = load_record(settings.root, rendered.slug, platform)
    ctx = Context(rendered=rendered, settings=settings, record=record, env=env, dry_run=dry_run,
                  audience=audience)
    created = pusher.push(ctx)
    saved = None if dry_run else save_record(settings.root, rendered.slug, platform, ctx.record)
    return Pushed(platform, rendered.slug, ctx.record.id, ctx.record.url, created, dry_run, verdict, saved,
                  ctx.shown, ctx.notes)


__all__ = ["PLATFORMS", "STATE_NAME", "Pushed", "module", "push_issue"]
