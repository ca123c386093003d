"""listmonk: the body of POST /api/campaigns (Go templates; literal braces escaped)."""

from __future__ import annotations

from email.headerregistry import Address

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
    families=("curly",),
    tags={"unsubscribe_url": "{{ UnsubscribeURL }}", "web_url": "{{ MessageURL }}",
          "preferences_url": "{{ ManageURL }}", "email": "{{ .Subscriber.Email }}"},
    first_name="{{ .Subscriber.FirstName }}",
    first_name_fallback='{{{{ .Subscriber.FirstName | default "{fallback}" }}}}',
    string_quotes='"`',  # Go: 'x' is a rune, `x` a raw string
)


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the campaign body."""
    lists = [int(part) for part in options.audience.split(",") if part.strip().isdigit()]
    if not lists:
        raise UsageError("listmonk campaigns need the lists to send to: pass --audience ID (or ID,ID) with the "
                         "numeric list ids from listmonk's Lists page")
    name, address = sender(rendered.issue.settings)
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html))
    body = {
        "name": rendered.slug,
        "subject": mail.subject,
        "lists": lists,
        "from_email": str(Address(name, addr_spec=address)),
        "type": "regular",
        "content_type": "html",
        "body": mail.html,
        "altbody": mail.text,
        "messenger": "email",
        "tags": ["newsletter"],
    }
    return Bundle(
        files={"campaign.json": to_json(body)},
        describe={"campaign.json": "POST /api/campaigns body (draft campaign; HTML body and plain-text altbody)"},
        copies=image_copies(rendered),
        next_step=["`curl -s -u \"api_user:$LISTMONK_TOKEN\" https://LISTMONK/api/campaigns -H "
                   "'Content-Type: application/json' -d @campaign.json`, then review and start it in Campaigns"],
    )
