"""The RFC 5322 message of an issue: text and HTML alternatives, CID images, list headers."""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from newsletter import mergetags
from newsletter.exporters.common import config_error, local_images, sender
from newsletter.model import Rendered

# What the `email` merge tag says in mail that is not personalised per reader.
EMAIL_PLACEHOLDER = "this address"


def _values(rendered: Rendered) -> dict[str, str]:
    """Return the literal value of each neutral tag in a mail file."""
    settings = rendered.issue.settings
    pub = settings.publication
    unsubscribe = pub.unsubscribe_url
    if not unsubscribe.startswith("https://"):
        raise config_error(settings, "mail files need a one-click unsubscribe address (RFC 8058): add "
                           "`unsubscribe_url = \"https://…\"` under [publication] in newsletter.toml"
                           + (" (it must start with https://)" if unsubscribe else ""),
                           "publication", "unsubscribe_url")
    return {
        "unsubscribe_url": unsubscribe,
        "web_url": rendered.issue.web_url or pub.url or unsubscribe,
        "preferences_url": pub.preferences_url or unsubscribe,
        "email": EMAIL_PLACEHOLDER,
        "postal_address": pub.postal_address,
    }


def _filler(values: dict[str, str]) -> Callable[[str, str], str]:
    """Return the marker filler for mail: the literal values (mergetags.fill escapes them for the HTML part)."""

    def value(name: str, fallback: str) -> str:
        return (fallback or "reader") if name == "first_name" else values[name]

    return value


def build_message(rendered: Rendered, *, to: str = "", subject_prefix: str = "", draft: bool = False,
                  now: dt.datetime | None = None) -> EmailMessage:
    """Return the issue as a multipart/alternative message with its images as CID parts."""
    settings = rendered.issue.settings
    pub = settings.publication
    name, address = sender(settings)
    domain = address.rpartition("@")[2]
    values = _values(rendered)
    cids = {image: f"{re.sub(r'[^A-Za-z0-9.-]', '-', image)}@{domain}" for image in rendered.images}
    html = local_images(rendered, rendered.html, lambda image: f"cid:{cids[image]}")
    fill = _filler(values)
    html = mergetags.fill(html, fill, html=True)
    text = mergetags.fill(rendered.text, fill)

    msg = EmailMessage()
    msg["From"] = Address(name, addr_spec=address)
    msg["To"] = to or Address(name, addr_spec=address)
    if pub.reply_to:
        msg["Reply-To"] = pub.reply_to
    msg["Subject"] = subject_prefix + mergetags.fill(rendered.issue.subject, fill)
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC).astimezone())
    msg["Message-ID"] = make_msgid(idstring=rendered.slug, domain=domain)
    unsubscribe = [f"<{values['unsubscribe_url']}>"]
    if pub.unsubscribe_mailto:
        mailto = pub.unsubscribe_mailto.removeprefix("mailto:")
        unsubscribe.append(f"<mailto:{mailto}?subject=unsubscribe>")
    msg["List-Unsubscribe"] = ", ".join(unsubscribe)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    list_name = re.sub(r"[^a-z0-9]+", "-", pub.name.lower()).strip("-") or "newsletter"
    msg["List-Id"] = f"{pub.name} <{list_name}.{domain}>"
    if draft:
        msg["X-Unsent"] = "1"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    if rendered.images:
        html_part = msg.get_payload()[1]
        for image, path in sorted(rendered.images.items()):
            kind = mimetypes.guess_type(image)[0] or "application/octet-stream"
            maintype, subtype = kind.split("/", 1)
            html_part.add_related(path.read_bytes(), maintype, subtype, cid=f"<{cids[image]}>",
                                  disposition="inline", filename=image)
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    """Return the message as it goes on the wire: CRLF line ends, lines under 998 octets."""
    return msg.as_bytes(policy=SMTP)
