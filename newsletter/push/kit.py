"""Kit: POST /v4/broadcasts with send_at null (a draft); PUT /v4/broadcasts/{id} on later pushes."""

from __future__ import annotations

from newsletter.push.common import Context, payload
from newsletter.push.update import create_or_update

ENV = "NEWSLETTER_KIT_API_KEY"
URL = "https://api.kit.com/v4"


def push(ctx: Context) -> bool:
    """Create or update the draft broadcast; return True when it is new."""
    s = ctx.session("Kit", ENV, ctx.base_url("KIT", URL),
                    headers={"X-Kit-Api-Key": ctx.secret(ENV, "Kit v4 API key (Settings > Developer)")})
    body = payload(ctx.export("kit"), "broadcast.json")
    created = create_or_update(ctx, s, create=("POST", "/broadcasts"), update=("PUT", "/broadcasts/{id}"),
                               body=body, new_id=lambda answer: answer["broadcast"]["id"])
    ctx.record.url = f"https://app.kit.com/campaigns/{ctx.record.id}/draft"
    return created
