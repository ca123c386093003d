"""Export an issue to a mailing platform or a mail file: the registry and the one entry point."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from newsletter.config import Settings
from newsletter.errors import UsageError
from newsletter.exporters.common import Bundle, Options
from newsletter.gate import Verdict, admit
from newsletter.writer import write_tree

# Platform name -> (module under newsletter.exporters, one-line description).
TARGETS: dict[str, tuple[str, str]] = {
    "eml": ("eml", "RFC 5322 .eml file: open as a draft, or upload as raw MIME"),
    "mbox": ("mbox", "mbox mailbox (one message per issue; --all for every issue)"),
    "mailchimp": ("mailchimp", "Mailchimp: import zip plus campaign and content API bodies"),
    "ses": ("ses", "Amazon SES: v1 CreateTemplate and SESv2 CreateEmailTemplate inputs"),
    "sendgrid": ("sendgrid", "SendGrid Marketing: Single Send request body"),
    "postmark": ("postmark", "Postmark: template for a broadcast message stream"),
    "mailgun": ("mailgun", "Mailgun: messages form fields for a mailing list"),
    "listmonk": ("listmonk", "listmonk: POST /api/campaigns body"),
    "buttondown": ("buttondown", "Buttondown: POST /v1/emails body (status draft)"),
    "brevo": ("brevo", "Brevo: POST /v3/emailCampaigns body"),
    "kit": ("kit", "Kit (ConvertKit): POST /v4/broadcasts body (draft)"),
    "campaign-monitor": ("campaign_monitor", "Campaign Monitor: template import zip plus text version"),
}


@dataclass
class Exported:
    """One finished export: where it went, what it holds, and the gate's verdict on each issue in it."""

    platform: str
    target: Path
    bundle: Bundle
    verdicts: tuple[Verdict, ...] = ()


def module(platform: str) -> ModuleType:
    """Return the exporter module of a platform, or a usage error listing the known ones."""
    if platform not in TARGETS:
        raise UsageError(f"unknown platform {platform!r}; choose one of: {', '.join(TARGETS)} "
                         "(`newsletter export --list` describes them)")
    return importlib.import_module(f"newsletter.exporters.{TARGETS[platform][0]}")


def default_out(settings: Settings, slug: str, platform: str) -> Path:
    """Return dist/<slug>/export/<platform>/ in the publication."""
    return settings.root / "dist" / slug / "export" / platform


def export_issues(settings: Settings, folders: list[Path], platform: str, out: Path | None = None,
                  options: Options | None = None, *, nested: bool = False, force: bool = False) -> list[Exported]:
    """Build, gate and export issues for a platform; nothing is written unless every issue passes the gate.

    Each export goes to `out` (`out/<slug>/` when `nested`), by default dist/<slug>/export/<platform>/.
    """
    from newsletter.build import build_issue

    exporter = module(platform)
    rendered = [build_issue(settings, folder) for folder in folders]
    verdicts = admit(rendered, "export", force=force)
    bundles: list[Bundle] = [exporter.export(one, options or Options()) for one in rendered]
    done = []
    for one, bundle, verdict in zip(rendered, bundles, verdicts, strict=True):
        where = (out / one.slug if nested else out) if out else None
        target = (where or default_out(settings, one.slug, platform)).resolve()
        write_tree(target, bundle.files, bundle.copies, kind="export")
        done.append(Exported(platform, target, bundle, (verdict,)))
    return done


def export_issue(settings: Settings, folder: Path, platform: str, out: Path | None = None,
                 options: Options | None = None, *, force: bool = False) -> Exported:
    """Build one issue, gate it and write its export for a platform; nothing is sent."""
    return export_issues(settings, [folder], platform, out, options, force=force)[0]


def export_mailbox(settings: Settings, folders: list[Path], out: Path | None = None,
                   options: Options | None = None, *, force: bool = False) -> Exported:
    """Build and gate several issues and write them as one mbox file (nothing, if the gate stops one)."""
    from newsletter.build import build_issue
    from newsletter.exporters import mbox

    rendered = [build_issue(settings, folder) for folder in folders]
    verdicts = admit(rendered, "export", force=force)
    bundle = mbox.export_many(rendered, options or Options())
    target = (out or settings.root / "dist" / "export" / "mbox").resolve()
    write_tree(target, bundle.files, kind="export")
    return Exported("mbox", target, bundle, tuple(verdicts))
