"""Campaign Monitor: a template import zip (HTML plus images) and the text version."""

from __future__ import annotations

import re

from newsletter import mergetags
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
from newsletter.exporters.syntax import BRACKETS
from newsletter.model import Rendered

DIALECT = Dialect(
    platform="Campaign Monitor",
    syntax=BRACKETS,
    tags={"unsubscribe_url": "[unsubscribe]", "web_url": "[webversion]", "preferences_url": "[preferences]",
          "email": "[email]"},
    first_name="[firstname]",
    first_name_fallback="[firstname,fallback={fallback}]",
)
_PSEUDO = {"unsubscribe_url": "unsubscribe", "web_url": "webversion", "preferences_url": "preferences"}
_LINK = re.compile(r'<a\b([^>]*?)\s+href="' + mergetags.OPEN + r'(unsubscribe_url|web_url|preferences_url)'
                   + mergetags.CLOSE + r'"([^>]*)>(.*?)</a>', re.S)


def pseudo_tags(html: str) -> str:
    """Turn links to the unsubscribe, web-version and preferences tags into CM's own elements."""
    return _LINK.sub(lambda m: f"<{_PSEUDO[m.group(2)]}{m.group(1)}{m.group(3)}>{m.group(4)}"
                               f"</{_PSEUDO[m.group(2)]}>", html)


def content_url(rendered: Rendered, name: str) -> str:
    """Return where Campaign Monitor fetches a campaign file from: under [images] base_url, or ''."""
    base = rendered.issue.settings.images.base_url.rstrip("/")
    return f"{base}/{rendered.slug}/campaign-monitor/{name}" if base else ""


def campaign(rendered: Rendered, subject: str, options: Options) -> dict[str, object]:
    """Return the body of POST /api/v3.3/campaigns/{clientid}.json (a draft: content fetched from URLs)."""
    name, address = sender(rendered.issue.settings)
    pub = rendered.issue.settings.publication
    return {"Name": rendered.slug, "Subject": subject, "FromName": name, "FromEmail": address,
            "ReplyTo": pub.reply_to or address, "HtmlUrl": content_url(rendered, "index.html"),
            "TextUrl": content_url(rendered, "email.txt"),
            "ListIDs": [part.strip() for part in options.audience.split(",") if part.strip()]}


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the zip, the text version, and the campaign body with the page to host for it."""
    mail = content(rendered, DIALECT, pseudo_tags(local_images(rendered, rendered.html)))
    hosted = content(rendered, DIALECT, pseudo_tags(hosted_images(rendered, rendered.html, options))) \
        if rendered.issue.settings.images.base_url or not rendered.images else mail
    return Bundle(
        notes=mail.notes,
        files={"campaign-monitor.zip": zip_bundle(mail.html, "index.html", rendered),
               "email.txt": mail.text.encode("utf-8"), "index.html": hosted.html.encode("utf-8"),
               "campaign.json": to_json(campaign(rendered, mail.subject, options))},
        describe={
            "campaign-monitor.zip": "index.html with relative images/ paths and <unsubscribe> tags",
            "email.txt": "the text version with [unsubscribe] and [webversion] tags",
            "index.html": "the HTML with absolute image URLs, for a campaign's HtmlUrl",
            "campaign.json": "POST /api/v3.3/campaigns/CLIENT_ID.json body (subject with [firstname] tags)",
        },
        next_step=[
            "in Campaign Monitor: Templates > Add a template > Import your own HTML, upload campaign-monitor.zip; "
            "paste email.txt as the campaign's text version",
            "or by API: host both files and POST /api/v3.3/templates/CLIENT_ID.json with HtmlPageURL and "
            "ZipFileURL",
        ],
    )
