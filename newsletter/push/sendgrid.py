"""SendGrid: a Single Send, POST /v3/marketing/singlesends (PATCH on later pushes); nothing is scheduled."""

from __future__ import annotations

from newsletter.push.common import Context, payload
from newsletter.push.update import create_or_update

ENV = "NEWSLETTER_SENDGRID_API_KEY"
URL = "https://api.sendgrid.com/v3"


def push(ctx: Context) -> bool:
    """Create or update the draft Single Send; return True when it is new."""
    key = ctx.secret(ENV, "SendGrid API key with Marketing access (Settings > API Keys)")
    s = ctx.session("SendGrid", ENV, ctx.base_url("SENDGRID", URL), headers={"Authorization": f"Bearer {key}"})
    body = payload(ctx.export("sendgrid"), "singlesend.json")
    created = create_or_update(ctx, s, create=("POST", "/marketing/singlesends"),
                               update=("PATCH", "/marketing/singlesends/{id}"), body=body,
                               new_id=lambda answer: answer["id"])
    ctx.record.url = f"https://mc.sendgrid.com/single-sends/{ctx.record.id}/editor"
    return created
