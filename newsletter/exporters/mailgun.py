"""Mailgun: the form fields of POST /v3/{domain}/messages, addressed to a mailing list."""

from __future__ import annotations

import shlex
from email.headerregistry import Address

from newsletter import mergetags
from newsletter.errors import UsageError
from newsletter.exporters.common import (
    Bundle,
    Dialect,
    Options,
    content,
    hosted_images,
    image_copies,
    sender,
    to_json,
)
from newsletter.model import Rendered

DIALECT = Dialect(
    families=("percent",),
    tags={"unsubscribe_url": "%unsubscribe_url%", "email": "%recipient_email%"},
    first_name="%recipient_fname%",
)


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the message fields (JSON) and the HTML and text files for curl."""
    if "@" not in options.audience:
        raise UsageError("Mailgun sends to a mailing list address: pass --audience LIST@YOUR-MAILGUN-DOMAIN")
    name, address = sender(rendered.issue.settings)
    pub = rendered.issue.settings.publication
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html))
    fields: dict[str, str | list[str]] = {
        "from": str(Address(name, addr_spec=address)),
        "to": [options.audience],
        "subject": mail.subject,
        "html": mail.html,
        "text": mail.text,
        "h:List-Unsubscribe": "<%unsubscribe_url%>",
        "h:List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "o:tag": [rendered.slug],
    }
    if pub.reply_to:
        fields["h:Reply-To"] = pub.reply_to
    form = " ".join(f"--form-string {shlex.quote(f'{key}={item}')}" for key, value in fields.items()
                    if key not in ("html", "text") for item in (value if isinstance(value, list) else [value]))
    fallbacks = sorted({m.group(2) for m in mergetags.MARKED.finditer(rendered.html + rendered.text)
                        if m.group(1) == "first_name" and m.group(2)})
    notes = [f"note: Mailgun has no fallback for %recipient_fname%: readers without a first name see nothing "
             f"where the story says {', '.join(map(repr, fallbacks))}; set a first name on every list member "
             "or drop the tag"] if fallbacks else []
    return Bundle(
        notes=notes,
        files={"message.json": to_json(fields), "email.html": mail.html.encode("utf-8"),
               "email.txt": mail.text.encode("utf-8")},
        describe={
            "message.json": "every form field of POST /v3/DOMAIN/messages",
            "email.html": "the html field on its own, for curl -F html=<email.html",
            "email.txt": "the text field on its own",
        },
        copies=image_copies(rendered),
        next_step=[f"`curl -s --user \"api:$MAILGUN_API_KEY\" https://api.mailgun.net/v3/DOMAIN/messages {form} "
                   "-F html=<email.html -F text=<email.txt` (add -F o:testmode=yes for a dry run)"],
    )
