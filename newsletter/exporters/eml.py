"""The issue as one RFC 5322 .eml file, images inline as CID parts."""

from __future__ import annotations

from newsletter.exporters.common import Bundle, Options
from newsletter.mail import build_message, message_bytes
from newsletter.model import Rendered


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the .eml file of one issue."""
    name = f"{rendered.slug}.eml"
    data = message_bytes(build_message(rendered, draft=options.draft))
    what = "the message: text and HTML alternatives, images as CID parts" + (
        ", marked X-Unsent: 1 so mail programs open it as a draft" if options.draft else "")
    return Bundle(
        files={name: data},
        describe={name: what},
        next_step=[
            f"open {name} in your mail program (Thunderbird, Apple Mail, Outlook) to review or send it"
            + ("" if options.draft else "; add --draft to open it as an editable draft in Outlook"),
            f"or send it raw: `curl -s --user \"api:$MAILGUN_API_KEY\" https://api.mailgun.net/v3/DOMAIN/"
            f"messages.mime -F to=LIST@DOMAIN -F message=@{name}`",
            "or send a test to yourself: `newsletter send-test ISSUE --to you@example.org`",
        ],
    )
