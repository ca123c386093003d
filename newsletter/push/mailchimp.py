"""Mailchimp: a draft regular campaign (POST /campaigns, PATCH later), its HTML and text (PUT …/content).

Images go to the File Manager (POST /file-manager/files) and the HTML points at the URLs it answers.
"""

from __future__ import annotations

import base64

from newsletter.errors import UsageError
from newsletter.exporters import mailchimp as exporter
from newsletter.exporters.common import Options
from newsletter.push.common import Context, payload
from newsletter.push.update import create_or_update

ENV = "NEWSLETTER_MAILCHIMP_API_KEY"


def push(ctx: Context) -> bool:
    """Create or update the draft campaign and its content; return True when it is new."""
    key = ctx.secret(ENV, "Mailchimp API key (Profile > Extras > API keys; it ends in -us21 or similar)")
    center = key.rsplit("-", 1)[1] if "-" in key else ("us1" if ctx.dry_run else "")
    if not center.isalnum():
        raise UsageError(f"{ENV} does not end in its data center (…-us21): copy the whole key from Mailchimp")
    s = ctx.session("Mailchimp", ENV, ctx.base_url("MAILCHIMP", f"https://{center}.api.mailchimp.com/3.0"),
                    auth=("newsletter", key))

    def upload(name: str, data: bytes, kind: str) -> str:
        answer = s.request("POST", "/file-manager/files",
                           json_body={"name": f"{ctx.rendered.slug}-{name}",
                                      "file_data": base64.b64encode(data).decode("ascii")},
                           dry_answer={"full_size_url": f"DRY-RUN/{name}"})
        return str(answer["full_size_url"])

    options = Options(audience=ctx.audience, image_urls=ctx.upload_images(upload))
    campaign = payload(ctx.export("mailchimp", options), "campaign.json")
    answers: list[dict] = []

    def new_id(answer: dict) -> str:
        answers.append(answer)
        return str(answer["id"])

    created = create_or_update(ctx, s, create=("POST", "/campaigns"), update=("PATCH", "/campaigns/{id}"),
                               body=campaign, new_id=new_id)
    if answers and "web_id" in answers[0]:
        ctx.record.extra["web_id"] = str(answers[0]["web_id"])
    s.request("PUT", f"/campaigns/{ctx.record.id}/content", json_body=exporter.html_content(ctx.rendered, options))
    web_id = ctx.record.extra.get("web_id", "")
    ctx.record.url = f"https://{center}.admin.mailchimp.com/campaigns/edit?id={web_id}" if web_id else \
        f"https://{center}.admin.mailchimp.com/campaigns/"
    return created
