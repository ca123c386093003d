"""SendGrid Marketing Campaigns: a Single Send request body."""

from __future__ import annotations

from newsletter.exporters.common import Bundle, Dialect, Options, content, hosted_images, image_copies, to_json
from newsletter.exporters.syntax import HANDLEBARS
from newsletter.model import Rendered

# Handlebars, as in SES: the triple-stash forms go in the text part and the subject.
DIALECT = Dialect(
    platform="SendGrid",
    syntax=HANDLEBARS,
    tags={"unsubscribe_url": "{{{unsubscribe}}}", "preferences_url": "{{{unsubscribe_preferences}}}",
          "email": "{{email}}",
          "postal_address": "{{Sender_Name}}, {{Sender_Address}}, {{Sender_City}}, {{Sender_State}} {{Sender_Zip}}"},
    first_name="{{first_name}}",
    first_name_fallback="{{#if first_name}}{{first_name}}{{else}}{fallback}{{/if}}",
    raw={"email": "{{{email}}}", "first_name": "{{{first_name}}}",
         "first_name_fallback": "{{#if first_name}}{{{first_name}}}{{else}}{fallback}{{/if}}",
         "postal_address": "{{{Sender_Name}}}, {{{Sender_Address}}}, {{{Sender_City}}}, {{{Sender_State}}} "
                           "{{{Sender_Zip}}}"},
)


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the Single Send body."""
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html, options))
    body: dict[str, object] = {
        "name": rendered.slug[:100],
        "email_config": {
            "subject": mail.subject,
            "html_content": mail.html,
            "plain_content": mail.text,
            "generate_plain_content": False,
            "editor": "code",
        },
    }
    if options.audience:
        body["send_to"] = {"list_ids": [options.audience]}
    return Bundle(
        notes=mail.notes,
        files={"singlesend.json": to_json(body)},
        describe={"singlesend.json": "POST /v3/marketing/singlesends body (a draft; nothing is scheduled)"},
        copies=image_copies(rendered),
        next_step=[
            "`curl -s https://api.sendgrid.com/v3/marketing/singlesends -H \"Authorization: Bearer "
            "$SENDGRID_API_KEY\" -H 'Content-Type: application/json' -d @singlesend.json`",
            "then in Marketing > Single Sends pick the sender and an unsubscribe group (required before "
            "scheduling)" + ("" if options.audience else " and the recipients (or pass --audience LIST_ID)"),
        ],
    )
