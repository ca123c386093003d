"""Helpers for the export tests: publications to export, and reading each platform's files back."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BASE_URL = "https://cdn.example.org/letters"
ESCAPES = 'Write {{ not a tag }} and *|NOT|* and [bracket] and %unsubscribe_url% here'
ESCAPE_STORY = f'Literal template syntax\n\n{ESCAPES}, dear {{{{ first_name | default: "there" }}}}.\n'

# Every target with the --audience it needs in tests.
AUDIENCE = {"mailchimp": "abc123", "sendgrid": "8d6f4d4a-7c5f-4b0e-9a4a-2f1f2b3c4d5e", "listmonk": "3",
            "brevo": "7", "mailgun": "news@mg.example.org"}
PLATFORMS = ("mailchimp", "ses", "sendgrid", "postmark", "mailgun", "listmonk", "buttondown", "brevo", "kit",
             "campaign-monitor")

# Each platform's own tags (from ../shared/docs/platforms.md): the required unsubscribe tag and the
# strings that identify its tokens, so that no other platform's output may contain them.
UNSUBSCRIBE = {
    "mailchimp": "*|UNSUB|*", "ses": "{{amazonSESUnsubscribeUrl}}", "sendgrid": "{{{unsubscribe}}}",
    "postmark": "{{{ pm:unsubscribe }}}", "mailgun": "%unsubscribe_url%", "listmonk": "{{ UnsubscribeURL }}",
    "buttondown": "{{ unsubscribe_url }}", "brevo": "{{ unsubscribe }}", "kit": "{{ unsubscribe_url }}",
    "campaign-monitor": "<unsubscribe",
}
SIGNATURES = {
    "mailchimp": ["*|UNSUB|*", "*|ARCHIVE|*", "*|FNAME|*", "*|EMAIL|*", "*|UPDATE_PROFILE|*", "*|LIST:"],
    "ses": ["amazonSESUnsubscribeUrl"],
    "sendgrid": ["{{{unsubscribe}}}", "{{{unsubscribe_preferences}}}", "{{Sender_", "insert first_name"],
    "postmark": ["pm:unsubscribe"],
    "mailgun": ["%unsubscribe_url%", "%recipient_"],
    "listmonk": ["UnsubscribeURL", "ManageURL", "MessageURL", ".Subscriber."],
    "buttondown": ["manage_subscription_url", "email.absolute_url", "subscriber.metadata", "subscriber.email }}"],
    "brevo": ["{{ unsubscribe }}", "{{ mirror }}", "{{ update_profile }}", "contact.FIRSTNAME", "contact.EMAIL"],
    "kit": ["subscriber.email_address", "subscriber.first_name", "{{ address }}"],
    "campaign-monitor": ["<unsubscribe", "[unsubscribe]", "[webversion]", "[preferences]", "[email]",
                         "[firstname"],
}
# The first-name tag with the fallback "there", as each platform writes it in HTML.
FIRST_NAME = {
    "mailchimp": "*|IF:FNAME|**|FNAME|**|ELSE:|*there*|END:IF|*",
    "ses": "{{#if first_name}}{{first_name}}{{else}}there{{/if}}",
    "sendgrid": "{{#if first_name}}{{first_name}}{{else}}there{{/if}}",
    # Postmark's templates FAQ: `Dear {{#name}}{{.}}{{/name}}{{^name}}…{{/name}}` (Mustachio scopes the section).
    "postmark": "{{#first_name}}{{.}}{{/first_name}}{{^first_name}}there{{/first_name}}",
    "mailgun": "there",  # Mailgun has no fallback: the fallback is written in (and the export says so)
    "listmonk": '{{ .Subscriber.FirstName | default "there" }}',
    "buttondown": '{{ subscriber.metadata.first_name|default:"there" }}',
    "brevo": "{{ contact.FIRSTNAME|default:'there' }}",
    "kit": '{{ subscriber.first_name | default: "there" | escape }}',
    "campaign-monitor": "[firstname,fallback=there]",
}
# ... and in the text part, where the engine would HTML-escape (the raw forms).
FIRST_NAME_TEXT = {
    **FIRST_NAME,
    "ses": "{{#if first_name}}{{{first_name}}}{{else}}there{{/if}}",
    "sendgrid": "{{#if first_name}}{{{first_name}}}{{else}}there{{/if}}",
    "postmark": "{{#first_name}}{{{.}}}{{/first_name}}{{^first_name}}there{{/first_name}}",
    "listmonk": '{{ .Subscriber.FirstName | default "there" | Safe }}',
}
UNSUBSCRIBE_TEXT = {**UNSUBSCRIBE, "ses": "{{{amazonSESUnsubscribeUrl}}}", "listmonk": "{{ UnsubscribeURL . | Safe }}",
                    "campaign-monitor": "[unsubscribe]"}
# What would open a template token on each platform, in the literal text of a story.
OPENERS = {"mailchimp": r"\*\|", "mailgun": r"%unsubscribe_url%", "campaign-monitor": r"\[(?=[A-Za-z])"}
CURLY = r"\{[{%#]"


def add_base_url(root: Path) -> None:
    """Host the images under BASE_URL, as API payloads need."""
    with (root / "newsletter.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[images]\nbase_url = "{BASE_URL}"\n')


def sample_publication(tmp_path: Path) -> Path:
    """Copy the repository's sample publication (newsletter.toml and issues/) into tmp_path."""
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copy(PROJECT / "newsletter.toml", root / "newsletter.toml")
    shutil.copytree(PROJECT / "issues", root / "issues")
    return root


@dataclass
class Parts:
    """What one platform export holds: subject, HTML, text (None where the platform takes none)."""

    subject: str
    html: str
    text: str | None
    payload: dict | None
    preheader: str | None = None


def _zip_html(path: Path) -> tuple[str, list[str]]:
    """Return index.html of an import zip and the names in it."""
    with zipfile.ZipFile(path) as archive:
        return archive.read("index.html").decode("utf-8"), archive.namelist()


def read_parts(platform: str, folder: Path) -> Parts:
    """Read an export folder back into subject, HTML and text."""

    def load(name: str) -> dict:
        return json.loads((folder / name).read_text(encoding="utf-8"))

    if platform == "mailchimp":
        campaign, content = load("campaign.json"), load("content.json")
        return Parts(campaign["settings"]["subject_line"], _zip_html(folder / "mailchimp.zip")[0],
                     content["plain_text"], campaign, campaign["settings"]["preview_text"])
    if platform == "campaign-monitor":
        campaign = load("campaign.json")
        return Parts(campaign["Subject"], _zip_html(folder / "campaign-monitor.zip")[0],
                     (folder / "email.txt").read_text(encoding="utf-8"), campaign)
    if platform == "ses":
        v2 = load("sesv2-template.json")
        c = v2["TemplateContent"]
        return Parts(c["Subject"], c["Html"], c["Text"], v2)
    if platform == "sendgrid":
        body = load("singlesend.json")
        c = body["email_config"]
        return Parts(c["subject"], c["html_content"], c["plain_content"], body)
    if platform == "postmark":
        body = load("template.json")
        return Parts(body["Subject"], body["HtmlBody"], body["TextBody"], body)
    if platform == "mailgun":
        body = load("message.json")
        return Parts(body["subject"], body["html"], body["text"], body)
    if platform == "listmonk":
        body = load("campaign.json")
        return Parts(body["subject"], body["body"], body["altbody"], body)
    if platform == "buttondown":
        body = load("email.json")
        return Parts(body["subject"], body["body"], None, body, body["description"])
    if platform == "brevo":
        body = load("campaign.json")
        return Parts(body["subject"], body["htmlContent"], None, body, body["previewText"])
    if platform == "kit":
        body = load("broadcast.json")
        return Parts(body["subject"], body["content"], None, body, body["preview_text"])
    raise AssertionError(platform)


def visible_html(html: str) -> str:
    """Return HTML without comments and style blocks (where template syntax is not user text)."""
    return re.sub(r"<!--.*?-->|<style\b.*?</style>", "", html, flags=re.S | re.I)
