"""Kit (ex-ConvertKit): the body of POST /v4/broadcasts, a draft (send_at null)."""

from __future__ import annotations

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
from newsletter.exporters.syntax import LIQUID
from newsletter.model import Rendered

# Liquid does not escape: in HTML the subscriber's own fields pass through `| escape`; the subject and
# preview text are plain text and take them as they are.
DIALECT = Dialect(
    platform="Kit",
    syntax=LIQUID,
    tags={"unsubscribe_url": "{{ unsubscribe_url }}", "email": "{{ subscriber.email_address | escape }}",
          "postal_address": "{{ address | escape }}"},
    first_name="{{ subscriber.first_name | escape }}",
    first_name_fallback='{{ subscriber.first_name | default: "{fallback}" | escape }}',
    raw={"email": "{{ subscriber.email_address }}", "postal_address": "{{ address }}",
         "first_name": "{{ subscriber.first_name }}",
         "first_name_fallback": '{{ subscriber.first_name | default: "{fallback}" }}'},
)


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the broadcast body (Kit has no plain-text field)."""
    _, address = sender(rendered.issue.settings)
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html, options))
    body = {
        "subject": mail.subject,
        "content": mail.html,
        "preview_text": mail.preheader,
        "description": rendered.slug,
        "email_address": address,
        "email_template_id": None,
        "public": False,
        "published_at": None,
        "send_at": None,
        "thumbnail_alt": None,
        "thumbnail_url": None,
        "subscriber_filter": None,
    }
    return Bundle(
        notes=mail.notes,
        files={"broadcast.json": to_json(body)},
        describe={"broadcast.json": "POST /v4/broadcasts body (send_at null: a draft)"},
        copies=image_copies(rendered),
        next_step=["`curl -s https://api.kit.com/v4/broadcasts -H \"X-Kit-Api-Key: $KIT_API_KEY\" "
                   "-H 'Content-Type: application/json' -d @broadcast.json`, then pick recipients in Kit"],
    )
