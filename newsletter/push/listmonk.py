"""listmonk (self-hosted): a raw campaign template once, then a draft campaign on it (PUT on later pushes)."""

from __future__ import annotations

from newsletter.exporters import listmonk as exporter
from newsletter.exporters.common import Options
from newsletter.push.common import Context, payload
from newsletter.push.http import Session
from newsletter.push.update import create_or_update

ENV = "NEWSLETTER_LISTMONK_API_KEY"
USER = "NEWSLETTER_LISTMONK_USER"


def push(ctx: Context) -> bool:
    """Create or update the draft campaign; return True when it is new."""
    base = ctx.base_url("LISTMONK", ctx.settings.push.listmonk_url)
    if not base:
        base = ctx.setting("NEWSLETTER_LISTMONK_URL", "", "where listmonk runs", "listmonk_url = \"https://…\"")
    user = ctx.env.get(USER, "").strip() or ("api" if ctx.dry_run else "")
    if not user:
        ctx.secret(USER, "listmonk API user (Admin > Users > API user)")
    token = ctx.secret(ENV, "listmonk API user's token")
    s = ctx.session("listmonk", ENV, f"{base}/api", auth=(user, token))
    template_id = _raw_template(ctx, s)
    body = payload(ctx.export("listmonk", Options(audience=ctx.audience, template_id=template_id)), "campaign.json")
    created = create_or_update(ctx, s, create=("POST", "/campaigns"), update=("PUT", "/campaigns/{id}"),
                               body=body, new_id=lambda answer: answer["data"]["id"])
    ctx.record.url = f"{base}/admin/campaigns/{ctx.record.id}"
    return created


def _raw_template(ctx: Context, s: Session) -> int:
    """Return the id of the raw template (found by name, or created), so listmonk does not wrap the email."""
    if ctx.dry_run:
        s.request("GET", "/templates")
        s.request("POST", "/templates", json_body=exporter.RAW_TEMPLATE)
        return 1
    found = s.request("GET", "/templates") or {}
    for template in found.get("data") or []:
        if template.get("name") == exporter.RAW_TEMPLATE["name"] and template.get("type") == "campaign":
            return int(template["id"])
    return int(s.request("POST", "/templates", json_body=exporter.RAW_TEMPLATE)["data"]["id"])
