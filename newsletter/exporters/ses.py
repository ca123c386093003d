"""Amazon SES: template inputs for v1 CreateTemplate and SESv2 CreateEmailTemplate."""

from __future__ import annotations

import re

from newsletter.exporters.common import Bundle, Dialect, Options, content, hosted_images, image_copies, to_json
from newsletter.exporters.syntax import HANDLEBARS
from newsletter.model import Rendered

# Handlebars: {{x}} HTML-escapes (right in HTML), {{{x}}} does not (what the text part and subject need).
DIALECT = Dialect(
    platform="SES",
    syntax=HANDLEBARS,
    tags={"unsubscribe_url": "{{amazonSESUnsubscribeUrl}}", "email": "{{email}}"},
    first_name="{{first_name}}",
    first_name_fallback="{{#if first_name}}{{first_name}}{{else}}{fallback}{{/if}}",
    raw={"unsubscribe_url": "{{{amazonSESUnsubscribeUrl}}}", "email": "{{{email}}}", "first_name": "{{{first_name}}}",
         "first_name_fallback": "{{#if first_name}}{{{first_name}}}{{else}}{fallback}{{/if}}"},
)


def template_name(slug: str) -> str:
    """Return an SES template name (letters, digits, - and _; at most 64) for an issue."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", slug)[:64] or "newsletter"


def export(rendered: Rendered, options: Options) -> Bundle:
    """Return both template inputs and sample template data."""
    mail = content(rendered, DIALECT, hosted_images(rendered, rendered.html, options))
    name = template_name(rendered.slug)
    v1 = {"Template": {"TemplateName": name, "SubjectPart": mail.subject, "TextPart": mail.text,
                       "HtmlPart": mail.html}}
    v2 = {"TemplateName": name, "TemplateContent": {"Subject": mail.subject, "Text": mail.text, "Html": mail.html}}
    data = {"first_name": "", "email": "reader@example.com"}
    return Bundle(
        notes=mail.notes,
        files={"sesv2-template.json": to_json(v2), "ses-template.json": to_json(v1),
               "template-data.json": to_json(data)},
        describe={
            "sesv2-template.json": "SESv2 CreateEmailTemplate input",
            "ses-template.json": "SES v1 CreateTemplate input",
            "template-data.json": "the TemplateData keys the template uses (first_name, email)",
        },
        copies=image_copies(rendered),
        next_step=[
            "`aws sesv2 create-email-template --cli-input-json file://sesv2-template.json`",
            f"check it renders: `aws sesv2 test-render-email-template --template-name {name} "
            "--template-data file://template-data.json`",
            "send with `aws sesv2 send-email` using Content.Template and ListManagementOptions (ContactListName): "
            "{{amazonSESUnsubscribeUrl}} is only filled with list management",
        ],
    )
