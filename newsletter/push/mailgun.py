"""Mailgun: a stored template (POST /v3/{domain}/templates; later pushes update its version), never a send."""

from __future__ import annotations

from newsletter.exporters import mailgun as exporter
from newsletter.exporters.common import Options
from newsletter.push.common import Context
from newsletter.push.http import PushError

ENV = "NEWSLETTER_MAILGUN_API_KEY"
URL = "https://api.mailgun.net"  # EU: https://api.eu.mailgun.net ([push] mailgun_url)


def push(ctx: Context) -> bool:
    """Create the stored template, or put a new text into its version; return True when it is new."""
    domain = ctx.setting("NEWSLETTER_MAILGUN_DOMAIN", ctx.settings.push.mailgun_domain, "your Mailgun sending domain",
                         'mailgun_domain = "mg.example.org"')
    base = ctx.base_url("MAILGUN", ctx.settings.push.mailgun_url or URL)
    s = ctx.session("Mailgun", ENV, f"{base}/v3/{domain}",
                    auth=("api", ctx.secret(ENV, "Mailgun private API key (API Security)")))
    fields = exporter.template_fields(ctx.rendered, Options(), ctx.notes)
    name, tag = fields["name"], fields["tag"]
    created = True
    if ctx.record.id:
        version = {k: fields[k] for k in ("template", "comment", "headers")} | {"active": "yes"}
        try:
            s.request("PUT", f"/templates/{ctx.record.id}/versions/{tag}", form=version, multipart=True)
            created = False
        except PushError as exc:
            if exc.status != 404:
                raise
            ctx.notes.append(f"note: the stored template {ctx.record.id} is gone from Mailgun: creating it again")
    if created:
        s.request("POST", "/templates", form=fields, multipart=True)
        ctx.record.id = name
    ctx.record.url = f"https://app.mailgun.com/mg/sending/{domain}/templates"
    return created
