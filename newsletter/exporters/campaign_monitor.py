"""Campaign Monitor: a template import zip (HTML plus images) and the text version."""

from __future__ import annotations

import re

from newsletter import mergetags
from newsletter.exporters.common import Bundle, Dialect, Options, content, local_images, zip_bundle
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


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the zip and the text version."""
    mail = content(rendered, DIALECT, pseudo_tags(local_images(rendered, rendered.html)))
    return Bundle(
        notes=mail.notes,
        files={"campaign-monitor.zip": zip_bundle(mail.html, "index.html", rendered),
               "email.txt": mail.text.encode("utf-8")},
        describe={
            "campaign-monitor.zip": "index.html with relative images/ paths and <unsubscribe> tags",
            "email.txt": "the text version with [unsubscribe] and [webversion] tags",
        },
        next_step=[
            "in Campaign Monitor: Templates > Add a template > Import your own HTML, upload campaign-monitor.zip; "
            "paste email.txt as the campaign's text version",
            "or by API: host both files and POST /api/v3.3/templates/CLIENT_ID.json with HtmlPageURL and "
            "ZipFileURL",
        ],
    )
