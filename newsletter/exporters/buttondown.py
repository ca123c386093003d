"""Buttondown: the body of POST /v1/emails, always a draft (a bare POST would send)."""

from __future__ import annotations

import re

from newsletter.exporters.common import Bundle, Dialect, Options, content, hosted_images, image_copies, to_json
from newsletter.exporters.syntax import DJANGO
from newsletter.model import Rendered

# Django templates. Buttondown documents no personalisation of the subject or the description (which is also
# the archive's and search engines' summary): their merge tags are filled with the fallback.
DIALECT = Dialect(
    platform="Buttondown",
    syntax=DJANGO,
    subject="fill",
    preheader="fill",
    tags={"unsubscribe_url": "{{ unsubscribe_url }}", "web_url": "{{ email.absolute_url }}",
          "preferences_url": "{{ manage_subscription_url }}", "email": "{{ subscriber.email }}"},
    first_name="{{ subscriber.metadata.first_name }}",
    first_name_fallback='{{ subscriber.metadata.first_name|default:"{fallback}" }}',
)


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the email body with status draft and the naked template (our HTML as it is)."""
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html, options))
    body = {
        "subject": mail.subject,
        "body": "<!-- buttondown-editor-mode: fancy -->\n" + mail.html,
        "description": mail.preheader,
        "slug": re.sub(r"[^a-zA-Z0-9_-]", "-", rendered.slug)[:100],
        "status": "draft",
        "template": "naked",
    }
    return Bundle(
        notes=mail.notes,
        files={"email.json": to_json(body)},
        describe={"email.json": "POST /v1/emails body: status \"draft\", preheader as description"},
        copies=image_copies(rendered),
        next_step=["`curl -s https://api.buttondown.com/v1/emails -H \"Authorization: Token $BUTTONDOWN_API_KEY\" "
                   "-H 'Content-Type: application/json' -d @email.json`, then review the draft in Buttondown"],
    )
