"""Mailgun: the form fields of POST /v3/{domain}/messages, addressed to a mailing list."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from email.headerregistry import Address

from newsletter import mergetags
from newsletter.build import preview_text
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
from newsletter.exporters.syntax import HANDLEBARS, PERCENT, combine
from newsletter.model import Rendered

# Mailgun's list substitution has no fallback and no escaping: a first name with a fallback is written in as
# the fallback (said in the export's notes). The subject is not personalised (Mailgun documents %tags% in the
# body of list messages); the stored template is Handlebars first, then the same %tags%.
DIALECT = Dialect(
    platform="Mailgun",
    syntax=PERCENT,
    tags={"unsubscribe_url": "%unsubscribe_url%", "email": "%recipient_email%"},
    first_name="%recipient_fname%",
    prefill_fallback=True,
    subject="fill",
)
TEMPLATE_DIALECT = replace(DIALECT, syntax=combine(HANDLEBARS, PERCENT))


def template_name(slug: str) -> str:
    """Return the stored template's name for an issue (Mailgun lower-cases names)."""
    return slug.lower()[:100]


def template_fields(rendered: Rendered, options: Options, notes: list[str] | None = None) -> dict[str, str]:
    """Return the form fields of a stored template: the HTML (Handlebars) and the From, Subject and Reply-To."""
    name, address = sender(rendered.issue.settings)
    mail = content(rendered, TEMPLATE_DIALECT, hosted_images(rendered, rendered.html, options))
    if notes is not None:
        notes.extend(mail.notes)
    headers = {"From": str(Address(name, addr_spec=address)), "Subject": mail.subject}
    if rendered.issue.settings.publication.reply_to:
        headers["Reply-To"] = rendered.issue.settings.publication.reply_to
    description = preview_text(rendered.issue, rendered.issue.subject)[:200]  # a label: no marker characters
    return {"name": template_name(rendered.slug), "description": description,
            "template": mail.html, "tag": "newsletter", "comment": "pushed by newsletter",
            "headers": json.dumps(headers, ensure_ascii=False)}


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the message fields (JSON) and the HTML and text files for curl."""
    if "@" not in options.audience:
        raise UsageError("Mailgun sends to a mailing list address: pass --audience LIST@YOUR-MAILGUN-DOMAIN")
    name, address = sender(rendered.issue.settings)
    pub = rendered.issue.settings.publication
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html, options))
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
    stored = template_fields(rendered, options)
    if any(m.group(1) in ("first_name", "email") and not m.group(2)
           for m in mergetags.MARKED.finditer(rendered.html)):
        mail.notes.append("note: Mailgun inserts %recipient_fname% and %recipient_email% as they are: a name "
                          "typed as markup reaches the HTML as markup (Mailgun has no escaping)")
    return Bundle(
        notes=mail.notes,
        files={"message.json": to_json(fields), "email.html": mail.html.encode("utf-8"),
               "email.txt": mail.text.encode("utf-8"), "template.json": to_json(stored)},
        describe={
            "message.json": "every form field of POST /v3/DOMAIN/messages",
            "email.html": "the html field on its own, for curl -F html=<email.html",
            "email.txt": "the text field on its own",
            "template.json": "POST /v3/DOMAIN/templates fields: the stored template `newsletter push` creates",
        },
        copies=image_copies(rendered),
        next_step=[f"`curl -s --user \"api:$MAILGUN_API_KEY\" https://api.mailgun.net/v3/DOMAIN/messages {form} "
                   "-F html=<email.html -F text=<email.txt` (add -F o:testmode=yes for a dry run)"],
    )
