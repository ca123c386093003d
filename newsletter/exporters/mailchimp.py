"""Mailchimp: an import zip (HTML plus images, re-hosted by Mailchimp) and Marketing API 3.0 bodies."""

from __future__ import annotations

import base64

from newsletter.exporters.common import (
    Bundle,
    Dialect,
    Options,
    content,
    hosted_images,
    local_images,
    sender,
    to_json,
    zip_bundle,
)
from newsletter.exporters.syntax import MAILCHIMP
from newsletter.model import Rendered

DIALECT = Dialect(
    platform="Mailchimp",
    syntax=MAILCHIMP,
    tags={"unsubscribe_url": "*|UNSUB|*", "web_url": "*|ARCHIVE|*", "preferences_url": "*|UPDATE_PROFILE|*",
          "email": "*|EMAIL|*", "postal_address": "*|LIST:ADDRESSLINE|*"},
    first_name="*|FNAME|*",
    first_name_fallback="*|IF:FNAME|**|FNAME|**|ELSE:|*{fallback}*|END:IF|*",
)


def html_content(rendered: Rendered, options: Options) -> dict[str, str]:
    """Return PUT /3.0/campaigns/{id}/content with the HTML (images at the File Manager's URLs) and the text."""
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html, options))
    return {"html": mail.html, "plain_text": mail.text}


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the zip, the campaign body and the content body."""
    name, address = sender(rendered.issue.settings)
    pub = rendered.issue.settings.publication
    mail = content(rendered, DIALECT, local_images(rendered, rendered.html))
    archive = zip_bundle(mail.html, "index.html", rendered)
    campaign: dict[str, object] = {
        "type": "regular",
        "settings": {
            "subject_line": mail.subject,
            "preview_text": mail.preheader,
            "title": rendered.slug,
            "from_name": name,
            "reply_to": pub.reply_to or address,
            "inline_css": False,
            "auto_footer": False,
        },
    }
    if options.audience:
        campaign["recipients"] = {"list_id": options.audience}
    body = {
        "archive": {"archive_content": base64.b64encode(archive).decode("ascii"), "archive_type": "zip"},
        "plain_text": mail.text,
    }
    return Bundle(
        notes=mail.notes,
        files={"mailchimp.zip": archive, "campaign.json": to_json(campaign), "content.json": to_json(body),
               "email.txt": mail.text.encode("utf-8")},
        describe={
            "mailchimp.zip": "index.html with relative images/ paths: Mailchimp re-hosts the images",
            "campaign.json": "POST /3.0/campaigns body (subject, preview text, sender)",
            "content.json": "PUT /3.0/campaigns/{campaign_id}/content body (the zip as archive, plain text)",
            "email.txt": "the plain-text version with Mailchimp merge tags",
        },
        next_step=[
            "in Mailchimp: Campaigns > Email templates > Create template > Code your own > Import zip, "
            "choose mailchimp.zip",
            "or by API: `curl -s -u \"any:$MAILCHIMP_API_KEY\" https://DC.api.mailchimp.com/3.0/campaigns "
            "-d @campaign.json`, then PUT content.json to /3.0/campaigns/ID/content"
            + ("" if options.audience else "; add the audience with --audience LIST_ID"),
        ],
    )
