"""Each platform's API as the push tests see it: routes, the official request validators, documented answers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.push_helpers import (
    SECRET,
    Api,
    Request,
    json_body,
    load,
    multipart,
    no_body,
    oas30,
    openapi31,
    swagger2,
)

ID = r"(?P<id>[^/]+)"


def _basic(user: str | None, password: str | None) -> Callable[[Request], bool]:
    """Return a check of HTTP Basic credentials (None: any value there)."""
    def check(req: Request) -> bool:
        raw = req.headers.get("authorization", "")
        if not raw.startswith("Basic "):
            return False
        got_user, _, got_password = base64.b64decode(raw[6:]).decode().partition(":")
        return (user is None or got_user == user) and (password is None or got_password == password)
    return check


def _header(name: str, value: str) -> Callable[[Request], bool]:
    """Return a check of a credential header."""
    return lambda req: req.headers.get(name.lower(), "") == value


def _create(api: Api, answer: Callable[[str, Any], Any], status: int = 201) -> Callable:
    """Return a handler that stores a new draft and answers as the platform documents."""
    def handle(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        draft_id = api.new_id()
        api.drafts[draft_id] = req.data
        return status, answer(draft_id, req.data), {}
    return handle


def _update(api: Api, answer: Callable[[str, Any], Any] = lambda i, d: None, status: int = 200) -> Callable:
    """Return a handler that updates a stored draft, or answers 404 for an unknown one."""
    def handle(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        draft_id = match.group("id")
        if draft_id not in api.drafts:
            return 404, {"message": f"no draft {draft_id}"}, {}
        api.drafts[draft_id] = {**(api.drafts[draft_id] or {}), **(req.data or {})}
        return status, answer(draft_id, req.data), {}
    return handle


def buttondown(shared: Path) -> tuple[Api, dict[str, str]]:
    """Buttondown: EmailInput, EmailUpdateInput and the images upload (buttondown/docs openapi.json)."""
    spec = load(shared, "buttondown/openapi.json")
    email_input = openapi31(spec, "/components/schemas/EmailInput")
    update = openapi31(spec, "/components/schemas/EmailUpdateInput")
    api = Api("buttondown", [], _header("Authorization", f"Token {SECRET}"))

    def image(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        return 201, {"id": api.new_id(), "creation_date": "2026-12-01T00:00:00Z",
                     "image": f"https://assets.buttondown.email/images/{req.data['image'][0]}"}, {}

    def has_image(req: Request) -> list[str]:
        return [] if isinstance((req.data or {}).get("image"), tuple) else ["the image file is missing"]

    api.routes = [
        ("POST", "/v1/emails", json_body(email_input), _create(api, lambda i, d: {"id": i, **d})),
        ("PATCH", f"/v1/emails/{ID}", json_body(update), _update(api, lambda i, d: {"id": i})),
        ("POST", "/v1/images", lambda req: multipart(lambda d: [])(req) or has_image(req), image),
    ]
    return api, {"NEWSLETTER_BUTTONDOWN_API_KEY": SECRET, "NEWSLETTER_BUTTONDOWN_URL": "{url}/v1"}


def kit(shared: Path) -> tuple[Api, dict[str, str]]:
    """Kit v4: POST and PUT /v4/broadcasts (the v4.json copy of Kit's API reference)."""
    spec = load(shared, "kit/v4.json")
    post = spec["paths"]["/v4/broadcasts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    put = spec["paths"]["/v4/broadcasts/{id}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    api = Api("kit", [], _header("X-Kit-Api-Key", SECRET))
    api.routes = [
        ("POST", "/v4/broadcasts", json_body(oas30(spec, post)),
         _create(api, lambda i, d: {"broadcast": {"id": int(i), **d}})),
        ("PUT", f"/v4/broadcasts/{ID}", json_body(oas30(spec, put)),
         _update(api, lambda i, d: {"broadcast": {"id": int(i)}})),
    ]
    return api, {"NEWSLETTER_KIT_API_KEY": SECRET, "NEWSLETTER_KIT_URL": "{url}/v4"}


def sendgrid(shared: Path) -> tuple[Api, dict[str, str]]:
    """SendGrid: SinglesendRequest for POST and PATCH (twilio/sendgrid-oai)."""
    spec = load(shared, "sendgrid/tsg_mc_singlesends_v3.json")
    check = json_body(openapi31(spec, "/components/schemas/SinglesendRequest"))
    api = Api("sendgrid", [], _header("Authorization", f"Bearer {SECRET}"))
    api.routes = [
        ("POST", "/v3/marketing/singlesends", check, _create(api, lambda i, d: {"id": i, **d})),
        ("PATCH", f"/v3/marketing/singlesends/{ID}", check, _update(api, lambda i, d: {"id": i}, 202)),
    ]
    return api, {"NEWSLETTER_SENDGRID_API_KEY": SECRET, "NEWSLETTER_SENDGRID_URL": "{url}/v3"}


def brevo(shared: Path) -> tuple[Api, dict[str, str]]:
    """Brevo: createEmailCampaign and updateEmailCampaign (getbrevo's swagger.yaml)."""
    spec = load(shared, "brevo/swagger.yaml")
    api = Api("brevo", [], _header("api-key", SECRET))
    api.routes = [
        ("POST", "/v3/emailCampaigns", json_body(swagger2(spec, "createEmailCampaign")),
         _create(api, lambda i, d: {"id": int(i)})),
        ("PUT", f"/v3/emailCampaigns/{ID}", json_body(swagger2(spec, "updateEmailCampaign")),
         _update(api, status=204)),
    ]
    return api, {"NEWSLETTER_BREVO_API_KEY": SECRET, "NEWSLETTER_BREVO_URL": "{url}/v3"}


def postmark(shared: Path) -> tuple[Api, dict[str, str]]:
    """Postmark: CreateTemplateRequest and EditTemplateRequest (server-templates.yaml).

    The vendor spec's EditTemplateRequest requires TemplateId, which is not among its properties (the id is in
    the path; see SOURCE): that one `required` is left out, every property is still checked.
    """
    spec = load(shared, "postmark/server-templates.yaml")
    api = Api("postmark", [], _header("X-Postmark-Server-Token", SECRET))

    def create(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        draft_id = api.new_id()
        api.drafts[draft_id] = req.data
        return 200, {"TemplateId": int(draft_id), "Name": req.data["Name"], "Alias": req.data.get("Alias"),
                     "Active": True}, {}

    api.routes = [
        ("POST", "/templates", json_body(swagger2(spec, "CreateTemplateRequest")), create),
        ("PUT", f"/templates/{ID}", json_body(swagger2(spec, "EditTemplateRequest", drop_required=True)),
         _update(api, lambda i, d: {"TemplateId": int(i), "Active": True})),
    ]
    return api, {"NEWSLETTER_POSTMARK_API_KEY": SECRET, "NEWSLETTER_POSTMARK_URL": "{url}"}


def mailgun(shared: Path) -> tuple[Api, dict[str, str]]:
    """Mailgun: the templates and template-version form bodies (mailgun's openapi.yaml), multipart."""
    spec = load(shared, "mailgun/openapi.yaml")
    create = openapi31(spec, "/components/schemas/POST-v3-domain_name-templates-multipart-form-data-RequestBody")
    version = openapi31(
        spec, "/components/schemas/PUT-v3-domain_name-templates-template_name-versions-version_name-multipart-form-"
              "data-RequestBody")
    api = Api("mailgun", [], _basic("api", SECRET))

    def stored(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        api.drafts[req.data["name"].lower()] = req.data
        return 200, {"message": "template has been stored", "template": {"name": req.data["name"].lower()}}, {}

    def put_version(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        name = match.group("id")
        if name not in api.drafts or api.drafts[name]["tag"] != match.group("tag"):
            return 404, {"message": "template not found"}, {}
        api.drafts[name] = {**api.drafts[name], **req.data}
        return 200, {"message": "version has been updated", "template": {"name": name}}, {}

    api.routes = [
        ("POST", "/v3/mg.example.org/templates", multipart(create), stored),
        ("PUT", f"/v3/mg.example.org/templates/{ID}/versions/(?P<tag>[^/]+)", multipart(version), put_version),
    ]
    return api, {"NEWSLETTER_MAILGUN_API_KEY": SECRET, "NEWSLETTER_MAILGUN_URL": "{url}",
                 "NEWSLETTER_MAILGUN_DOMAIN": "mg.example.org"}


def listmonk(shared: Path) -> tuple[Api, dict[str, str]]:
    """listmonk: NewTemplate and CampaignRequest (collections.yaml) plus campaigns.md's required fields.

    The swagger file's CampaignRequest lacks body and altbody and nests template_id wrongly (see SOURCE): the
    schema is checked as it is, and campaigns.md's rules on top.
    """
    spec = load(shared, "listmonk/collections.yaml")
    template = oas30(spec, spec["components"]["schemas"]["NewTemplate"])
    campaign = oas30(spec, spec["components"]["schemas"]["CampaignRequest"])

    def documented(data: Any) -> list[str]:
        found = campaign(data)
        for key in ("name", "subject", "lists", "type", "content_type", "body"):
            if not data.get(key):
                found.append(f"{key} is required (campaigns.md)")
        if data.get("type") not in ("regular", "optin"):
            found.append("type must be regular or optin")
        if not isinstance(data.get("template_id"), int):
            found.append("template_id: without it listmonk wraps the email in its default template")
        return found

    def raw_template(data: Any) -> list[str]:
        found = template(data)
        if data.get("type") == "campaign" and '{{ template "content" . }}' not in data.get("body", ""):
            found.append('a campaign template must contain {{ template "content" . }} (cmd/templates.go)')
        return found

    api = Api("listmonk", [], _basic("api-user", SECRET))

    def templates(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, {"data": [{"id": int(k), **v} for k, v in api.drafts.items() if "lists" not in v]}, {}

    api.routes = [
        ("GET", "/api/templates", no_body, templates),
        ("POST", "/api/templates", json_body(raw_template), _create(api, lambda i, d: {"data": {"id": int(i)}}, 200)),
        ("POST", "/api/campaigns", json_body(documented), _create(api, lambda i, d: {"data": {"id": int(i)}}, 200)),
        ("PUT", f"/api/campaigns/{ID}", json_body(documented), _update(api, lambda i, d: {"data": {"id": int(i)}})),
    ]
    return api, {"NEWSLETTER_LISTMONK_API_KEY": SECRET, "NEWSLETTER_LISTMONK_USER": "api-user",
                 "NEWSLETTER_LISTMONK_URL": "{url}"}


def mailchimp(shared: Path) -> tuple[Api, dict[str, str]]:
    """Mailchimp Marketing API 3.0: no description in ../shared/schemas, so the checks follow platforms.md §2."""
    def campaign(data: Any) -> list[str]:
        found = [] if data.get("type") in ("regular", "plaintext", "absplit", "rss", "variate") else ["type"]
        settings = data.get("settings") or {}
        for key in ("subject_line", "from_name", "reply_to", "title"):
            if not isinstance(settings.get(key), str) or not settings.get(key):
                found.append(f"settings.{key} must be a non-empty string")
        unknown = set(settings) - {"subject_line", "preview_text", "title", "from_name", "reply_to", "to_name",
                                   "inline_css", "auto_footer", "template_id", "folder_id"}
        return found + [f"unknown settings field {k}" for k in sorted(unknown)]

    def content(data: Any) -> list[str]:
        found = [] if isinstance(data.get("html"), str) and "*|UNSUB|*" in data["html"] else ["html with *|UNSUB|*"]
        return found + ([] if isinstance(data.get("plain_text"), str) else ["plain_text must be a string"])

    def file(data: Any) -> list[str]:
        try:
            base64.b64decode(data["file_data"], validate=True)
        except (KeyError, ValueError):
            return ["file_data must be base64"]
        return [] if data.get("name") else ["name is required"]

    api = Api("mailchimp", [], _basic(None, SECRET))

    def upload(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, {"id": int(api.new_id()), "full_size_url": f"https://mcusercontent.com/x/{req.data['name']}"}, {}

    def put_content(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        if match.group("id") not in api.drafts:
            return 404, {"title": "Resource Not Found", "detail": "campaign not found"}, {}
        api.drafts[match.group("id")]["content"] = req.data
        return 200, {"plain_text": req.data["plain_text"]}, {}

    api.routes = [
        ("POST", "/3.0/file-manager/files", json_body(file), upload),
        ("POST", "/3.0/campaigns", json_body(campaign), _create(api, lambda i, d: {"id": i, "web_id": 7000 + int(i)},
                                                                 200)),
        ("PATCH", f"/3.0/campaigns/{ID}", json_body(campaign), _update(api, lambda i, d: {"id": i})),
        ("PUT", f"/3.0/campaigns/{ID}/content", json_body(content), put_content),
    ]
    return api, {"NEWSLETTER_MAILCHIMP_API_KEY": SECRET, "NEWSLETTER_MAILCHIMP_URL": "{url}/3.0"}


def campaign_monitor(shared: Path) -> tuple[Api, dict[str, str]]:
    """Campaign Monitor v3.3: no description in ../shared/schemas; checks follow platforms.md §10 (createsend)."""
    def campaign(data: Any) -> list[str]:
        found = [f"{k} must be a non-empty string" for k in ("Name", "Subject", "FromName", "FromEmail", "ReplyTo",
                                                             "HtmlUrl") if not isinstance(data.get(k), str)
                 or not data.get(k)]
        if not data.get("HtmlUrl", "").startswith("https://"):
            found.append("HtmlUrl must be a public https URL")
        if not isinstance(data.get("ListIDs"), list) or not data["ListIDs"]:
            found.append("ListIDs must list at least one list")
        if any(c["Name"] == data.get("Name") for c in api.drafts.values()):
            found.append("Name must be unique")
        return found

    api = Api("campaign-monitor", [], _basic(SECRET, None))

    def create(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        draft_id = f"cm{api.new_id()}"
        api.drafts[draft_id] = req.data
        return 201, draft_id, {}

    def delete(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        if api.drafts.pop(match.group("id"), None) is None:
            return 404, {"Code": 404, "Message": "Campaign not found"}, {}
        return 200, None, {}

    api.routes = [
        ("POST", "/api/v3.3/campaigns/client-1.json", json_body(campaign), create),
        ("DELETE", r"/api/v3.3/campaigns/(?P<id>[^/]+)\.json", no_body, delete),
    ]
    return api, {"NEWSLETTER_CAMPAIGN_MONITOR_API_KEY": SECRET, "NEWSLETTER_CAMPAIGN_MONITOR_URL": "{url}/api/v3.3",
                 "NEWSLETTER_CAMPAIGN_MONITOR_CLIENT_ID": "client-1"}


def ses(shared: Path) -> tuple[Api, dict[str, str]]:
    """SESv2 templates: each request body is checked against botocore's own model of the operation."""
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("sesv2")

    def check(operation: str, path_name: bool) -> Callable[[Request], list[str]]:
        shape = model.operation_model(operation).input_shape

        def validate(req: Request) -> list[str]:
            params = dict(req.data or {})
            if path_name:
                params["TemplateName"] = req.path.rsplit("/", 1)[1]
            report = ParamValidator().validate(params, shape)
            return [report.generate_report()] if report.has_errors() else []
        return validate

    # Signed with SigV4 by the access key id from the environment (the secret never travels).
    api = Api("ses", [], lambda req: req.headers.get("authorization", "").startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))

    def create(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        name = req.data["TemplateName"]
        if name in api.drafts:
            return 400, {"message": "Template already exists"}, {"x-amzn-ErrorType": "AlreadyExistsException"}
        api.drafts[name] = req.data
        return 200, {}, {}

    def update(req: Request, match: Any) -> tuple[int, Any, dict[str, str]]:
        name = match.group("id")
        if name not in api.drafts:
            return 404, {"message": f"Template {name} does not exist"}, {"x-amzn-ErrorType": "NotFoundException"}
        api.drafts[name] = {"TemplateName": name, **req.data}
        return 200, {}, {}

    api.routes = [
        ("POST", "/v2/email/templates", check("CreateEmailTemplate", False), create),
        ("PUT", f"/v2/email/templates/{ID}", check("UpdateEmailTemplate", True), update),
    ]
    return api, {"NEWSLETTER_SES_API_KEY": SECRET, "NEWSLETTER_SES_ACCESS_KEY_ID": "AKIDEXAMPLE",
                 "NEWSLETTER_SES_URL": "{url}", "NEWSLETTER_SES_REGION": "eu-west-1"}


APIS = {"buttondown": buttondown, "kit": kit, "sendgrid": sendgrid, "brevo": brevo, "postmark": postmark,
        "mailgun": mailgun, "listmonk": listmonk, "mailchimp": mailchimp, "campaign-monitor": campaign_monitor,
        "ses": ses}
# A body each validator must reject (so the validators are shown able to fail).
BAD = {"buttondown": ("POST", "/v1/emails", {"status": "posted"}),
       "kit": ("POST", "/v4/broadcasts", {"subject": 3}),
       "sendgrid": ("POST", "/v3/marketing/singlesends", {"name": ""}),
       "brevo": ("POST", "/v3/emailCampaigns", {"subject": "x"}),
       "postmark": ("POST", "/templates", {"HtmlBody": "x"}),
       "mailgun": ("POST", "/v3/mg.example.org/templates", {"description": "no name"}),
       "listmonk": ("POST", "/api/campaigns", {"name": "x", "lists": []}),
       "mailchimp": ("POST", "/3.0/campaigns", {"type": "regular", "settings": {"subject": "x"}}),
       "campaign-monitor": ("POST", "/api/v3.3/campaigns/client-1.json", {"Name": "x", "HtmlUrl": "file:///x"}),
       "ses": ("POST", "/v2/email/templates", {"TemplateContent": {"Subject": 1}})}


def bad_request(platform: str) -> Request:
    """Return a request the platform's validator must reject."""
    method, path, data = BAD[platform]
    kind = "multipart/form-data; boundary=x" if platform == "mailgun" else "application/json"
    return Request(method, path, {"content-type": kind}, json.dumps(data).encode(), data)
