"""Buttondown: POST /v1/emails with status draft (PATCH on later pushes); images through POST /v1/images."""

from __future__ import annotations

from newsletter.exporters.common import Options
from newsletter.push.common import Context, payload
from newsletter.push.update import create_or_update

ENV = "NEWSLETTER_BUTTONDOWN_API_KEY"
URL = "https://api.buttondown.com/v1"
# EmailUpdateInput's fields (buttondown/docs openapi.json): what a later push changes.
UPDATE = ("subject", "body", "description", "slug", "status", "template")


def push(ctx: Context) -> bool:
    """Create or update the draft email; return True when it is new."""
    s = ctx.session("Buttondown", ENV, ctx.base_url("BUTTONDOWN", URL),
                    headers={"Authorization": f"Token {ctx.secret(ENV, 'Buttondown API key (Settings > API)')}"})

    def upload(name: str, data: bytes, kind: str) -> str:
        answer = s.request("POST", "/images", files={"image": (name, data, kind)}, dry_answer={"image": "DRY-RUN"})
        return str(answer["image"])

    urls = ctx.upload_images(upload)
    body = payload(ctx.export("buttondown", Options(image_urls=urls)), "email.json")
    created = create_or_update(ctx, s, create=("POST", "/emails"), update=("PATCH", "/emails/{id}"), body=body,
                               new_id=lambda answer: answer["id"],
                               update_body={k: body[k] for k in UPDATE if k in body})
    ctx.record.url = f"https://buttondown.com/emails/{ctx.record.id}"
    return created
