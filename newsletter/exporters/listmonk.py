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
from newsletter.exporters.syntax import GO
from newsletter.model import Rendered

# listmonk compiles the body and the altbody with Go's html/template, which escapes every value for its HTML
# context: right in the body, wrong in the text part, so the text forms pass through listmonk's Safe. The
# subject is compiled with text/template (no escaping; Safe is harmless there).
DIALECT = Dialect(
    platform="listmonk",
    syntax=GO,
    tags={"unsubscribe_url": "{{ UnsubscribeURL }}", "web_url": "{{ MessageURL }}",
          "preferences_url": "{{ ManageURL }}", "email": "{{ .Subscriber.Email }}"},
    first_name="{{ .Subscriber.FirstName }}",
    first_name_fallback='{{ .Subscriber.FirstName | default "{fallback}" }}',
    raw={"unsubscribe_url": "{{ UnsubscribeURL . | Safe }}", "web_url": "{{ MessageURL . | Safe }}",
         "preferences_url": "{{ ManageURL . | Safe }}", "email": "{{ .Subscriber.Email | Safe }}",
         "first_name": "{{ .Subscriber.FirstName | Safe }}",
         "first_name_fallback": '{{ .Subscriber.FirstName | default "{fallback}" | Safe }}'},
    string_quotes='"`',  # Go: 'x' is a rune, `x` a raw string
)


# A campaign template that adds nothing: without one, listmonk wraps our whole document in its default
# template (a 525 px box, borders on our tables, a second footer). listmonk requires the content tag in it.
RAW_TEMPLATE = {"name": "newsletter: raw (no wrapper)", "type": "campaign", "body": '{{ template "content" . }}'}


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the campaign body."""
    lists = [int(part) for part in options.audience.split(",") if part.strip().isdigit()]
    if not lists:
        raise UsageError("listmonk campaigns need the lists to send to: pass --audience ID (or ID,ID) with the "
                         "numeric list ids from listmonk's Lists page")
    name, address = sender(rendered.issue.settings)
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html, options))
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
    if options.template_id:
        body["template_id"] = options.template_id
    return Bundle(
        notes=mail.notes,
        files={"campaign.json": to_json(body), "template.json": to_json(RAW_TEMPLATE)},
        describe={"campaign.json": "POST /api/campaigns body (draft campaign; HTML body and plain-text altbody)",
                  "template.json": "POST /api/templates body: a raw template, so listmonk does not wrap the email"},
        copies=image_copies(rendered),
        next_step=["once: `curl -s -u \"api_user:$LISTMONK_TOKEN\" https://LISTMONK/api/templates -H "
                   "'Content-Type: application/json' -d @template.json` and note the id it answers",
                   "add `\"template_id\": ID` to campaign.json, then `curl -s -u \"api_user:$LISTMONK_TOKEN\" "
                   "https://LISTMONK/api/campaigns -H 'Content-Type: application/json' -d @campaign.json`, review "
                   "and start it in Campaigns (`newsletter push --to listmonk` does both)"],
    )
