"""Who the preview shows an issue to: a reader with a first name or without one, and the subject per platform."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from newsletter import mergetags
from newsletter.build import preview_filler
from newsletter.model import Rendered

SAMPLE_NAME = "Ada"
READERS = {"named": f"{SAMPLE_NAME} (has a first name)", "anonymous": "No first name"}


def filler(rendered: Rendered, reader: str | None) -> Callable[[str, str], str]:
    """Return the merge-tag values for a reader: the shared preview values, with this reader's first name.

    Without a reader, the values are build's own; a reader without a first name gets the tag's fallback,
    or nothing when the tag has none, as the platforms send it.
    """
    shared = preview_filler(rendered)
    if reader is None:
        return shared

    def value(name: str, fallback: str) -> str:
        if name == "first_name":
            return SAMPLE_NAME if reader == "named" else fallback
        return shared(name, fallback)

    return value


def readers(rendered: Rendered) -> dict[str, dict[str, str]]:
    """Return the subject and preheader each reader sees in the inbox."""
    issue = rendered.issue
    shown = {}
    for reader in READERS:
        fill = filler(rendered, reader)
        shown[reader] = {"subject": mergetags.fill(issue.subject, fill),
                         "preheader": mergetags.fill(issue.preheader, fill)}
    return shown


def platform_subjects(rendered: Rendered) -> list[dict[str, Any]]:
    """Return the subject line each platform is given, in its own merge-tag syntax (when it has merge tags)."""
    from newsletter.exporters import TARGETS, module
    from newsletter.exporters.common import escape_text

    subject = rendered.issue.subject
    if not mergetags.used(subject):
        return []
    rows = []
    for platform, (_, description) in TARGETS.items():
        dialect = getattr(module(platform), "DIALECT", None)
        if dialect is None:  # a mail file: it carries the preview values, as send-test does
            text = mergetags.fill(subject, preview_filler(rendered))
        else:
            text = mergetags.fill(escape_text(subject, dialect.families),
                                  lambda name, fallback, d=dialect: d.value(rendered, name, fallback, for_html=False))
        rows.append({"platform": platform, "name": description.split(":")[0], "subject": text})
    return rows
