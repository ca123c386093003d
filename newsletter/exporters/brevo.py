"""Brevo: the body of POST /v3/emailCampaigns."""

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
from newsletter.exporters.syntax import PONGO2
from newsletter.model import Rendered

# Brevo's template language (pongo2-style). The default filter as Brevo documents it: |default:'…'.
DIALECT = Dialect(
    platform="Brevo",
    syntax=PONGO2,
    tags={"unsubscribe_url": "{{ unsubscribe }}", "web_url": "{{ mirror }}",
          "preferences_url": "{{ update_profile }}", "email": "{{ contact.EMAIL }}"},
    first_name="{{ contact.FIRSTNAME }}",
    first_name_fallback="{{ contact.FIRSTNAME|default:'{fallback}' }}",
    string_quotes="'\"",
)


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the campaign body (no text field: Brevo has none)."""
    name, address = sender(rendered.issue.settings)
    pub = rendered.issue.settings.publication
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html, options))
    body: dict[str, object] = {
        "name": rendered.slug,
        "subject": mail.subject,
        "previewText": mail.preheader,
        "sender": {"name": name, "email": address},
        "htmlContent": mail.html,
    }
    if pub.reply_to:
        body["replyTo"] = pub.reply_to
    lists = [int(part) for part in options.audience.split(",") if part.strip().isdigit()]
    if lists:
        body["recipients"] = {"listIds": lists}
    return Bundle(
        notes=mail.notes,
        files={"campaign.json": to_json(body)},
        describe={"campaign.json": "POST /v3/emailCampaigns body (a draft until you schedule it)"},
        copies=image_copies(rendered),
        next_step=["`curl -s https://api.brevo.com/v3/emailCampaigns -H \"api-key: $BREVO_API_KEY\" "
                   "-H 'Content-Type: application/json' -d @campaign.json`"
                   + ("" if lists else ", then choose the recipients in Campaigns (or pass --audience LIST_ID)")],
    )
