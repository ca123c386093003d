"""Postmark: a template for a broadcast message stream."""

from __future__ import annotations

import re

from newsletter.build import preview_text
from newsletter.exporters.common import Bundle, Dialect, Options, content, hosted_images, image_copies, to_json
from newsletter.exporters.syntax import MUSTACHIO
from newsletter.model import Rendered

DIALECT = Dialect(
    platform="Postmark",
    syntax=MUSTACHIO,
    tags={"unsubscribe_url": "{{{ pm:unsubscribe }}}", "email": "{{email}}"},
    first_name="{{first_name}}",
    # Mustachio scopes a section to its value: inside {{#first_name}} the name is {{.}} (Postmark's templates FAQ).
    first_name_fallback="{{#first_name}}{{.}}{{/first_name}}{{^first_name}}{fallback}{{/first_name}}",
    raw={"email": "{{{email}}}", "first_name": "{{{first_name}}}",
         "first_name_fallback": "{{#first_name}}{{{.}}}{{/first_name}}{{^first_name}}{fallback}{{/first_name}}"},
)


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return the template body and a sample batch message."""
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html, options))
    alias = re.sub(r"[^A-Za-z0-9_.-]", "-", rendered.slug)
    name = preview_text(rendered.issue, rendered.issue.subject)[:100]  # a label: no marker characters
    template = {"Name": name, "Alias": alias, "Subject": mail.subject,
                "HtmlBody": mail.html, "TextBody": mail.text, "TemplateType": "Standard"}
    return Bundle(
        notes=mail.notes,
        files={"template.json": to_json(template)},
        describe={"template.json": "POST /templates body (Mustachio; {{{ pm:unsubscribe }}} in HTML and text)"},
        copies=image_copies(rendered),
        next_step=[
            "`curl -s https://api.postmarkapp.com/templates -H \"X-Postmark-Server-Token: $POSTMARK_TOKEN\" "
            "-H 'Content-Type: application/json' -d @template.json`",
            f"send with POST /email/batchWithTemplates: TemplateAlias \"{alias}\", MessageStream set to your "
            "broadcast stream, TemplateModel {\"first_name\": …, \"email\": …} per reader",
        ],
    )
