"""Brevo: POST /v3/emailCampaigns (PUT /v3/emailCampaigns/{id} on later pushes); a draft until scheduled."""

from __future__ import annotations

from newsletter.push.common import Context, payload
from newsletter.push.update import create_or_update

ENV = "NEWSLETTER_BREVO_API_KEY"
URL = "https://api.brevo.com/v3"


def push(ctx: Context) -> bool:
    """Create or update the draft campaign; return True when it is new."""
    s = ctx.session("Brevo", ENV, ctx.base_url("BREVO", URL),
                    headers={"api-key": ctx.secret(ENV, "Brevo API key (SMTP & API > API keys)"),
                             "Accept": "application/json"})
    body = payload(ctx.export("brevo"), "campaign.json")
    created = create_or_update(ctx, s, create=("POST", "/emailCampaigns"), update=("PUT", "/emailCampaigns/{id}"),
                               body=body, new_id=lambda answer: answer["id"])
    ctx.record.url = f"https://app.brevo.com/marketing-campaign/edit/{ctx.record.id}"
    return created
