"""Amazon SES: an SESv2 email template (CreateEmailTemplate, UpdateEmailTemplate later), through botocore."""

from __future__ import annotations

from typing import Any

from newsletter.errors import UsageError
from newsletter.push.common import Context, payload
from newsletter.push.http import PushError, describe

ENV = "NEWSLETTER_SES_API_KEY"  # the secret access key
KEY_ID = "NEWSLETTER_SES_ACCESS_KEY_ID"


def push(ctx: Context) -> bool:
    """Create or update the template; return True when it is new."""
    region = ctx.env.get("NEWSLETTER_SES_REGION", "").strip() or ctx.settings.push.ses_region or "us-east-1"
    endpoint = ctx.base_url("SES", f"https://email.{region}.amazonaws.com")
    template = payload(ctx.export("ses"), "sesv2-template.json")
    name = template["TemplateName"]
    update = {"TemplateName": name, "TemplateContent": template["TemplateContent"]}
    if ctx.dry_run:
        ctx.shown.append(describe("POST", f"{endpoint}/v2/email/templates", template, None)
                         if not ctx.record.id else
                         describe("PUT", f"{endpoint}/v2/email/templates/{name}", update, None))
        return not ctx.record.id
    client = _client(ctx, region, endpoint)
    created = True
    if ctx.record.id:
        created = not _call(client, "update_email_template", update, missing_ok=True)
    if created and not _call(client, "create_email_template", template, exists_ok=True):
        _call(client, "update_email_template", update)
        created = False
    ctx.record.id = name
    ctx.record.url = f"https://{region}.console.aws.amazon.com/ses/home?region={region}#/email-templates/{name}"
    return created


def _client(ctx: Context, region: str, endpoint: str) -> Any:
    """Return a botocore SESv2 client with the credentials from the environment only."""
    try:
        import botocore.config
        import botocore.session
    except ImportError:
        raise UsageError("pushing to SES needs botocore: pip install 'newsletter[ses]'") from None
    session = botocore.session.Session()
    config = botocore.config.Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=10,
                                    read_timeout=60)
    return session.create_client("sesv2", region_name=region, endpoint_url=endpoint, config=config,
                                 aws_access_key_id=ctx.secret(KEY_ID, "AWS access key id for SES"),
                                 aws_secret_access_key=ctx.secret(ENV, "AWS secret access key for SES"))


def _call(client: Any, operation: str, params: dict[str, Any], *, missing_ok: bool = False,
          exists_ok: bool = False) -> bool:
    """Call one SESv2 operation; return False for a missing template (missing_ok) or an existing one (exists_ok)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        getattr(client, operation)(**params)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        words = exc.response.get("Error", {}).get("Message", "") or code
        if missing_ok and code == "NotFoundException":
            return False
        if exists_ok and code == "AlreadyExistsException":
            return False
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status in (401, 403) or code in ("UnrecognizedClientException", "InvalidSignatureException",
                                            "AccessDeniedException"):
            raise PushError(f"SES refused the credentials ({code}: {words}): check {KEY_ID} and {ENV}") from None
        raise PushError(f"SES rejected {operation} ({code}): {words}", status=status) from None
    except BotoCoreError as exc:
        raise PushError(f"could not reach SES: {type(exc).__name__}: {exc}") from None
    return True
