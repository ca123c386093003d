"""Postmark: a template (POST /templates, PUT /templates/{id} on later pushes) for your broadcast stream."""

from __future__ import annotations

from newsletter.push.common import Context, payload
from newsletter.push.update import create_or_update

ENV = "NEWSLETTER_POSTMARK_API_KEY"
URL = "https://api.postmarkapp.com"


def push(ctx: Context) -> bool:
    """Create or update the template; return True when it is new."""
    s = ctx.session("Postmark", ENV, ctx.base_url("POSTMARK", URL),
                    headers={"X-Postmark-Server-Token": ctx.secret(ENV, "Postmark server API token (Server > "
                                                                   "API Tokens)"),
                             "Accept": "application/json"})
    body = payload(ctx.export("postmark"), "template.json")
    created = create_or_update(ctx, s, create=("POST", "/templates"), update=("PUT", "/templates/{id}"),
                               body=body, new_id=lambda answer: answer["TemplateId"],
                               update_body={k: v for k, v in body.items() if k != "TemplateType"})
    ctx.record.url = "https://account.postmarkapp.com/servers (your server > Templates > " \
                     f"{body['Alias']})"
    return created
