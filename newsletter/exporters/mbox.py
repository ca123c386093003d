"""Issues as one mbox mailbox (RFC 4155), for mail programs and archives."""

from __future__ import annotations

import mailbox
import tempfile
from pathlib import Path

from newsletter.exporters.common import Bundle, Options
from newsletter.mail import build_message
from newsletter.model import Rendered


def mailbox_bytes(rendered: list[Rendered], options: Options) -> bytes:
    """Return an mbox holding one message per issue, written by the standard library's mailbox."""
    with tempfile.TemporaryDirectory(prefix="newsletter-mbox-") as folder:
        path = Path(folder) / "issues.mbox"
        box = mailbox.mbox(path, create=True)
        try:
            for one in rendered:
                box.add(build_message(one, draft=options.draft))
            box.flush()
        finally:
            box.close()
        return path.read_bytes()


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return an mbox with one issue."""
    return _bundle(f"{rendered.slug}.mbox", [rendered], options)


def export_many(rendered: list[Rendered], options: Options) -> Bundle:
    """Return one mbox with every given issue."""
    return _bundle("issues.mbox", rendered, options)


def _bundle(name: str, rendered: list[Rendered], options: Options) -> Bundle:
    """Return the bundle for an mbox file."""
    count = len(rendered)
    return Bundle(
        files={name: mailbox_bytes(rendered, options)},
        describe={name: f"mbox mailbox with {count} message{'s' if count != 1 else ''}"},
        next_step=[f"import {name} in Thunderbird (ImportExportTools NG: Import mbox file) or open it with "
                   f"`mutt -f {name}`"],
    )
