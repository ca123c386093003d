"""Campaign Monitor: a draft campaign (POST /campaigns/{clientid}.json) whose HTML and text it fetches by URL.

Campaign Monitor cannot update a draft's content: a later push deletes the recorded draft and creates it again.
"""

from __future__ import annotations

from newsletter.errors import UsageError
from newsletter.push.common import Context, payload
from newsletter.push.http import PushError

ENV = "NEWSLETTER_CAMPAIGN_MONITOR_API_KEY"
URL = "https://api.createsend.com/api/v3.3"


def push(ctx: Context) -> bool:
    """Create the draft campaign (replacing the recorded one); return True when there was none before."""
    client = ctx.setting("NEWSLETTER_CAMPAIGN_MONITOR_CLIENT_ID", ctx.settings.push.campaign_monitor_client_id,
                         "your Campaign Monitor client id", 'campaign_monitor_client_id = "…"')
    s = ctx.session("Campaign Monitor", ENV, ctx.base_url("CAMPAIGN_MONITOR", URL),
                    auth=(ctx.secret(ENV, "Campaign Monitor API key (Account settings > API keys)"), "x"))
    body = payload(ctx.export("campaign-monitor"), "campaign.json")
    if not body["HtmlUrl"]:
        raise UsageError("Campaign Monitor fetches the campaign's HTML from a URL: set `base_url` under [images] "
                         "in newsletter.toml and upload the export's index.html and email.txt to "
                         f"<base_url>/{ctx.rendered.slug}/campaign-monitor/", ctx.settings.path)
    if not body["ListIDs"]:
        raise UsageError("Campaign Monitor campaigns need the lists to send to: pass --audience LIST_ID "
                         "(or ID,ID) from the list's settings page")
    created = not ctx.record.id
    if ctx.record.id:
        try:
            s.request("DELETE", f"/campaigns/{ctx.record.id}.json")
        except PushError as exc:
            if exc.status != 404:
                raise
            created = True
    ctx.record.id = str(s.request("POST", f"/campaigns/{client}.json", json_body=body, dry_answer={}) or "DRY-RUN")
    ctx.notes.append(f"note: Campaign Monitor fetches {body['HtmlUrl']} and {body['TextUrl']}: upload the export's "
                     "index.html and email.txt there before you push")
    ctx.record.url = "https://login.createsend.com/ (Campaigns > Drafts)"
    return created
