"""newsletter export to the mailing platforms: payloads, schemas, merge tags, escaping, images."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from newsletter.cli import cli
from tests.export_helpers import (
    AUDIENCE,
    BASE_URL,
    CURLY,
    ESCAPE_STORY,
    ESCAPES,
    FIRST_NAME,
    FIRST_NAME_TEXT,
    OPENERS,
    PLATFORMS,
    SIGNATURES,
    UNSUBSCRIBE,
    UNSUBSCRIBE_TEXT,
    Parts,
    add_base_url,
    read_parts,
    sample_publication,
    visible_html,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SLUGS = ("2026-11-14-the-bridge", "2026-11-28-night-ferry")


def _export(root: Path, *args: str) -> tuple[int, str, str]:
    """Run `newsletter --root ROOT export ...` and return exit code, stdout and stderr."""
    result = CliRunner().invoke(cli, ["--root", str(root), "export", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _args(platform: str) -> list[str]:
    """Return the --to and --audience arguments for a platform."""
    return ["--to", platform, *(["--audience", AUDIENCE[platform]] if platform in AUDIENCE else [])]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Export both sample issues to every platform once; return the publication root."""
    root = sample_publication(tmp_path_factory.mktemp("export"))
    add_base_url(root)
    for slug in SLUGS:
        for platform in PLATFORMS:
            code, out, err = _export(root, slug, *_args(platform))
            assert code == 0, err
            assert "next:" in out
    return root


@pytest.fixture(scope="module")
def escapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Export the basic fixture with a story full of other platforms' syntax to every platform."""
    root = tmp_path_factory.mktemp("escapes") / "basic"
    shutil.copytree(FIXTURES / "basic", root)
    add_base_url(root)
    (root / "issues" / "2024-05-01-spring" / "04-escapes.txt").write_text(ESCAPE_STORY, encoding="utf-8")
    for platform in PLATFORMS:
        code, _, err = _export(root, "2024-05-01-spring", "--force", *_args(platform))  # its javascript: link
        assert code == 0, err
    return root


def _parts(root: Path, slug: str, platform: str) -> Parts:
    """Read one export back."""
    return read_parts(platform, root / "dist" / slug / "export" / platform)


def test_list_names_every_platform(tmp_path: Path) -> None:
    """`export --list` names all twelve targets."""
    root = sample_publication(tmp_path)
    code, out, _ = _export(root, "--list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["eml", "mbox", *PLATFORMS[:9], "campaign-monitor"]


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_tags_are_the_platforms_own(sample: Path, platform: str, slug: str) -> None:
    """The export holds the platform's unsubscribe tag and no marker or other platform's token."""
    parts = _parts(sample, slug, platform)
    bodies = [parts.html] + ([parts.text] if parts.text is not None else [])
    for body in bodies:
        assert (UNSUBSCRIBE if body is parts.html else UNSUBSCRIBE_TEXT)[platform] in body
        assert "\ue000" not in body and "\ue001" not in body
        for other, signatures in SIGNATURES.items():
            if other != platform:
                found = [s for s in signatures if s in body]
                assert not found, f"{platform} export holds {other} tokens {found}"
    assert len(parts.html.encode("utf-8")) < 100_000, "Gmail clips HTML over about 102 KB"
    for body in bodies:
        first = (FIRST_NAME if body is parts.html else FIRST_NAME_TEXT)[platform]
        rest = re.sub(re.escape(first).replace("there", r"[\w ]*"), "", body) if platform != "mailgun" else body
        if platform == "campaign-monitor":
            rest = visible_html(rest) if body is parts.html else rest
            rest = re.sub(r"</?(unsubscribe|webversion|preferences)\b", "", rest)
            tokens = re.findall(r"\[[A-Za-z][\w ]*(?:,fallback=[^\]]*)?\]", rest)
        elif platform == "mailchimp":
            tokens = re.findall(r"\*\|.*?\|\*", rest)
        elif platform == "mailgun":
            tokens = re.findall(r"%[a-z_.]+%", rest)
        else:
            rest = re.sub(r'\{\{ "(?:[^"\\]|\\.)*" \| Safe \}\}', "", rest)  # listmonk: comments through Safe
            tokens = re.findall(r"\{\{\{?[^{}]*\}\}\}?|\{%.*?%\}", rest)
        assert set(tokens) <= TOKENS[platform], set(tokens) - TOKENS[platform]


# Every token each platform's export may hold besides the first name with its fallback (HTML and text forms).
TOKENS = {
    "mailchimp": {"*|UNSUB|*", "*|ARCHIVE|*", "*|UPDATE_PROFILE|*", "*|EMAIL|*", "*|LIST:ADDRESSLINE|*"},
    "ses": {"{{amazonSESUnsubscribeUrl}}", "{{email}}", "{{{amazonSESUnsubscribeUrl}}}", "{{{email}}}"},
    "sendgrid": {"{{{unsubscribe}}}", "{{{unsubscribe_preferences}}}", "{{email}}", "{{Sender_Name}}",
                 "{{Sender_Address}}", "{{Sender_City}}", "{{Sender_State}}", "{{Sender_Zip}}", "{{{email}}}",
                 "{{{Sender_Name}}}", "{{{Sender_Address}}}", "{{{Sender_City}}}", "{{{Sender_State}}}",
                 "{{{Sender_Zip}}}"},
    "postmark": {"{{{ pm:unsubscribe }}}", "{{email}}", "{{{email}}}"},
    "mailgun": {"%unsubscribe_url%", "%recipient_email%"},
    "listmonk": {"{{ UnsubscribeURL }}", "{{ MessageURL }}", "{{ ManageURL }}", "{{ .Subscriber.Email }}",
                 "{{ UnsubscribeURL . | Safe }}", "{{ MessageURL . | Safe }}", "{{ ManageURL . | Safe }}",
                 "{{ .Subscriber.Email | Safe }}"},
    "buttondown": {"{{ unsubscribe_url }}", "{{ email.absolute_url }}", "{{ manage_subscription_url }}",
                   "{{ subscriber.email }}"},
    "brevo": {"{{ unsubscribe }}", "{{ mirror }}", "{{ update_profile }}", "{{ contact.EMAIL }}"},
    "kit": {"{{ unsubscribe_url }}", "{{ subscriber.email_address | escape }}", "{{ address | escape }}"},
    "campaign-monitor": {"[unsubscribe]", "[webversion]", "[preferences]", "[email]"},
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_literal_template_syntax_is_escaped(escapes: Path, platform: str) -> None:
    """A story with {{ not a tag }}, *|NOT|*, [bracket] and %unsubscribe_url% reads the same but parses as text."""
    parts = _parts(escapes, "2024-05-01-spring", platform)
    opener = OPENERS.get(platform, CURLY)
    match = re.search(r"Write .*? here", parts.html)
    assert match, "the escape story is missing from the HTML"
    assert htmllib.unescape(match.group(0)) == ESCAPES
    assert not re.search(opener, match.group(0)), match.group(0)
    assert FIRST_NAME[platform] in parts.html
    if parts.text is not None:
        # The text part is written in the engine's own literal syntax (test_engines renders it back to ESCAPES);
        # only platforms without an escape form break a token, with a zero-width space, and say so.
        assert ("\u200b" in parts.text) == (platform in ("mailchimp", "mailgun", "campaign-monitor"))
        assert FIRST_NAME_TEXT[platform] in parts.text


@pytest.mark.parametrize("platform", ["ses", "sendgrid", "postmark", "mailgun", "listmonk", "buttondown", "brevo",
                                      "kit"])
def test_api_payloads_use_hosted_images(escapes: Path, platform: str) -> None:
    """Images in API payloads are absolute https URLs under [images] base_url, and the files sit beside it."""
    parts = _parts(escapes, "2024-05-01-spring", platform)
    sources = re.findall(r'<img[^>]*\ssrc="([^"]+)"', parts.html)
    assert sources
    assert all(src.startswith(f"{BASE_URL}/2024-05-01-spring/images/") for src in sources), sources
    folder = escapes / "dist" / "2024-05-01-spring" / "export" / platform
    for src in sources:
        assert (folder / "images" / src.rsplit("/", 1)[1]).is_file()


@pytest.mark.parametrize(("platform", "archive"), [("mailchimp", "mailchimp.zip"),
                                                   ("campaign-monitor", "campaign-monitor.zip")])
def test_import_zips_hold_relative_images(escapes: Path, platform: str, archive: str) -> None:
    """The import zips hold index.html at the root and every image it uses under images/."""
    path = escapes / "dist" / "2024-05-01-spring" / "export" / platform / archive
    with zipfile.ZipFile(path) as bundle:
        html = bundle.read("index.html").decode("utf-8")
        names = set(bundle.namelist())
    sources = re.findall(r'<img[^>]*\ssrc="([^"]+)"', html)
    assert sources
    assert all(src.startswith("images/") and src in names for src in sources), (sources, names)


def test_buttondown_is_a_draft_and_kit_is_unscheduled(sample: Path) -> None:
    """Buttondown would send a bare POST: the body says draft. Kit's send_at is null (a draft)."""
    buttondown = _parts(sample, SLUGS[0], "buttondown").payload
    assert buttondown["status"] == "draft"
    assert buttondown["description"].startswith("A footbridge, a missing bolt")
    kit = _parts(sample, SLUGS[0], "kit").payload
    assert kit["send_at"] is None and kit["public"] is False
    assert kit["preview_text"] == buttondown["description"]


def test_preheader_goes_in_the_platforms_field(sample: Path) -> None:
    """Mailchimp, Brevo and Kit carry the preheader in their own field."""
    preheader = _parts(sample, SLUGS[0], "buttondown").payload["description"]
    assert _parts(sample, SLUGS[0], "mailchimp").payload["settings"]["preview_text"] == preheader
    brevo = _parts(sample, SLUGS[0], "brevo").payload
    assert brevo["previewText"] == preheader
    assert brevo["sender"] == {"name": "The Almost", "email": "editor@almost.example.org"}


def test_local_images_without_base_url_name_the_setting(tmp_path: Path) -> None:
    """An API export of an issue with local images and no base_url fails, naming the setting."""
    root = sample_publication(tmp_path)
    code, _, err = _export(root, SLUGS[0], "--to", "kit")
    assert code == 1
    assert err.startswith("newsletter.toml: ")
    assert "base_url" in err and "[images]" in err
    assert not (root / "dist" / SLUGS[0] / "export" / "kit").exists()
    code, _, err = _export(root, SLUGS[1], "--to", "kit")
    assert code == 0, err


def test_bad_requests_are_usage_errors(tmp_path: Path) -> None:
    """Unknown platform, missing --to and missing list ids exit 2 with what to do."""
    root = sample_publication(tmp_path)
    code, _, err = _export(root, SLUGS[1], "--to", "mailchump")
    assert code == 2 and "unknown platform 'mailchump'" in err and "campaign-monitor" in err
    code, _, err = _export(root, SLUGS[1])
    assert code == 2 and "--to PLATFORM" in err
    code, _, err = _export(root, SLUGS[1], "--to", "listmonk")
    assert code == 2 and "--audience" in err


# --- official schemas -----------------------------------------------------------------------------------


def _openapi31(document: dict, pointer: str, instance: dict) -> list[str]:
    """Validate instance against a schema inside an OpenAPI 3.1 document; return the error messages."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:spec", Resource.from_contents(document, default_specification=DRAFT202012))
    validator = Draft202012Validator({"$ref": f"urn:spec#{pointer}"}, registry=registry)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def test_sendgrid_singlesend_matches_the_official_schema(sample: Path, shared_dir: Path) -> None:
    """The Single Send body validates against twilio/sendgrid-oai."""
    spec = json.loads((shared_dir / "schemas/sendgrid/tsg_mc_singlesends_v3.json").read_text())
    for slug in SLUGS:
        payload = _parts(sample, slug, "sendgrid").payload
        assert _openapi31(spec, "/components/schemas/SinglesendRequest", payload) == []
    assert _openapi31(spec, "/components/schemas/SinglesendRequest", {"name": ""})  # the schema can fail


def test_mailgun_fields_match_the_official_schema(sample: Path, shared_dir: Path) -> None:
    """The message form fields validate against mailgun's OpenAPI description."""
    spec = yaml.safe_load((shared_dir / "schemas/mailgun/openapi.yaml").read_text())
    pointer = "/components/schemas/POST-v3-domain_name-messages-multipart-form-data-RequestBody"
    for slug in SLUGS:
        payload = _parts(sample, slug, "mailgun").payload
        assert _openapi31(spec, pointer, payload) == []
        assert payload["h:List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _openapi31(spec, pointer, {"from": "a@b.c"})


def test_buttondown_email_matches_the_official_schema(sample: Path, shared_dir: Path) -> None:
    """The email body validates against buttondown/docs EmailInput."""
    spec = json.loads((shared_dir / "schemas/buttondown/openapi.json").read_text())
    for slug in SLUGS:
        assert _openapi31(spec, "/components/schemas/EmailInput", _parts(sample, slug, "buttondown").payload) == []
    assert _openapi31(spec, "/components/schemas/EmailInput", {"subject": "x", "status": "posted"})


def _oas30(schema: dict, instance: dict) -> list[str]:
    """Validate against an OpenAPI 3.0 schema object; return the error messages."""
    from openapi_schema_validator import OAS30Validator

    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in OAS30Validator(schema).iter_errors(instance)]


def test_kit_broadcast_matches_the_official_schema(sample: Path, shared_dir: Path) -> None:
    """The broadcast body validates against Kit's v4 OpenAPI description (every field required, nullable)."""
    spec = json.loads((shared_dir / "schemas/kit/v4.json").read_text())
    schema = spec["paths"]["/v4/broadcasts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    for slug in SLUGS:
        assert _oas30(schema, _parts(sample, slug, "kit").payload) == []
    assert _oas30(schema, {"subject": "x"})


def test_listmonk_campaign_matches_schema_and_documented_rules(sample: Path, shared_dir: Path) -> None:
    """The campaign validates against listmonk's collections.yaml plus the rules of its campaigns API doc."""
    spec = yaml.safe_load((shared_dir / "schemas/listmonk/collections.yaml").read_text())
    schema = {**spec["components"]["schemas"]["CampaignRequest"], "components": spec["components"]}
    for slug in SLUGS:
        payload = _parts(sample, slug, "listmonk").payload
        assert _oas30(schema, payload) == []
        # campaigns.md: these are required; the swagger file lacks body and altbody.
        for key in ("name", "subject", "lists", "type", "content_type", "body"):
            assert payload[key], key
        assert payload["type"] in {"regular", "optin"}
        assert payload["content_type"] in {"richtext", "html", "markdown", "plain", "visual"}
        assert 1 <= len(payload["subject"]) <= 5000
        assert payload["lists"] == [3]
        assert payload["altbody"].strip()


@pytest.mark.parametrize(("service", "operation", "name"), [("ses", "CreateTemplate", "ses-template.json"),
                                                            ("sesv2", "CreateEmailTemplate", "sesv2-template.json")])
def test_ses_templates_match_botocore(sample: Path, service: str, operation: str, name: str) -> None:
    """Both SES template inputs validate against botocore's service models."""
    botocore_session = pytest.importorskip("botocore.session", reason="botocore is a test dependency")
    from botocore.validate import ParamValidator

    shape = botocore_session.get_session().get_service_model(service).operation_model(operation).input_shape
    for slug in SLUGS:
        payload = json.loads((sample / "dist" / slug / "export" / "ses" / name).read_text())
        report = ParamValidator().validate(payload, shape)
        assert not report.has_errors(), report.generate_report()
        template = payload.get("Template", payload)
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", template["TemplateName"])  # not enforced by botocore
        content = payload.get("Template") or payload["TemplateContent"]
        assert sum(len(v.encode()) for k, v in content.items() if k.endswith(("Part", "Html", "Text"))
                   and k != "SubjectPart") < 500_000
    broken = {"Template": {"SubjectPart": "x"}} if service == "ses" else {"TemplateContent": {"Subject": "x"}}
    assert ParamValidator().validate(broken, shape).has_errors()  # no TemplateName: the validator can fail


# The fallback as written, and the postal address from newsletter.toml, hold other template syntax too.
QUOTED_STORY = 'Quoted fallback\n\nHello {{ first_name | default: \'Mx "Reader"\' }}.\n'
ADDRESS = "Unit [4], {{ Mill }} Yard, 10%recipient.x% Lane, *|Box|* 9"
QUOTED_TAG = {
    "brevo": "{{ contact.FIRSTNAME|default:'Mx \"Reader\"' }}",
    "kit": "{{ subscriber.first_name | default: 'Mx \"Reader\"' | escape }}",
    "buttondown": "{{ subscriber.metadata.first_name|default:'Mx \"Reader\"' }}",
    "listmonk": '{{ .Subscriber.FirstName | default `Mx "Reader"` }}',
    "ses": '{{#if first_name}}{{first_name}}{{else}}Mx &quot;Reader&quot;{{/if}}',
    "campaign-monitor": '[firstname,fallback=Mx &quot;Reader&quot;]',
}
# The text part: the raw forms, and the fallback as written.
QUOTED_TAG_TEXT = {
    "kit": "{{ subscriber.first_name | default: 'Mx \"Reader\"' }}",
    "listmonk": '{{ .Subscriber.FirstName | default `Mx "Reader"` | Safe }}',
    "ses": '{{#if first_name}}{{{first_name}}}{{else}}Mx "Reader"{{/if}}',
    "campaign-monitor": '[firstname,fallback=Mx "Reader"]',
}


@pytest.fixture(scope="module")
def quoted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Export a story whose fallback holds double quotes, with a postal address full of template syntax."""
    root = tmp_path_factory.mktemp("quoted") / "basic"
    shutil.copytree(FIXTURES / "basic", root)
    add_base_url(root)
    config = root / "newsletter.toml"
    config.write_text(config.read_text().replace('"1 Test Street, Testville"', json.dumps(ADDRESS)))
    (root / "issues" / "2024-05-01-spring" / "04-quoted.txt").write_text(QUOTED_STORY, encoding="utf-8")
    for platform in PLATFORMS:
        code, _, err = _export(root, "2024-05-01-spring", "--force", *_args(platform))  # its javascript: link
        assert code == 0, err
    return root


@pytest.mark.parametrize("platform", sorted(QUOTED_TAG))
def test_fallback_quotes_use_the_platforms_other_string_quote(quoted: Path, platform: str) -> None:
    """A fallback holding " is delimited by the platform's other string quote (Go: a raw `string`)."""
    parts = _parts(quoted, "2024-05-01-spring", platform)
    assert f"Hello {QUOTED_TAG[platform]}." in " ".join(parts.html.split()), platform
    if parts.text is not None:
        assert f"Hello {QUOTED_TAG_TEXT[platform]}." in " ".join(parts.text.split()), platform


@pytest.mark.parametrize("platform", PLATFORMS)
def test_literal_values_from_the_config_are_escaped(quoted: Path, platform: str) -> None:
    """A postal address written out literally (where the platform has no address tag) parses as text."""
    parts = _parts(quoted, "2024-05-01-spring", platform)
    if platform in ("mailchimp", "kit", "sendgrid"):  # these fill their own address tag
        assert ADDRESS not in htmllib.unescape(parts.html)
        return
    html = htmllib.unescape(re.search(r'class="[^"]*nl-address[^"]*"[^>]*>(.*?)</p>', parts.html, re.S).group(1))
    assert html == ADDRESS
    raw = re.search(r'nl-address[^>]*>(.*?)</p>', parts.html, re.S).group(1)
    assert not re.search(OPENERS.get(platform, CURLY), raw), raw
    if parts.text is not None:  # written in the engine's literal syntax: test_engines renders it back
        line = next(line for line in parts.text.splitlines() if "Yard" in line or "Unit" in line)
        assert ADDRESS not in line or platform in ("mailgun", "campaign-monitor"), line


def test_mailgun_says_it_writes_the_fallback_in(quoted: Path) -> None:
    """Mailgun's %recipient_fname% has no fallback: the fallback is written in for everyone, and the export says so."""
    code, out, err = _export(quoted, "2024-05-01-spring", "--force", *_args("mailgun"))
    assert code == 0 and "exported to mailgun" in out
    assert "Mailgun has no fallback for the first name" in err and "every reader gets the fallback" in err
    assert 'Hello Mx "Reader".' in _parts(quoted, "2024-05-01-spring", "mailgun").text
    code, _, err = _export(quoted, "2024-05-01-spring", "--force", *_args("brevo"))
    assert code == 0 and "no fallback" not in err


def test_out_folder_and_what_the_export_prints(tmp_path: Path, run: Any) -> None:
    """--out writes there (per issue with --all); the output names each file, what it is, and the next step."""
    root = sample_publication(tmp_path)
    result = run("export", SLUGS[1], "--to", "mailchimp", "--out", "elsewhere", cwd=root)
    assert result.exit_code == 0, result.stderr
    folder = root / "elsewhere"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".newsletter-output", "campaign.json", "content.json", "email.txt", "mailchimp.zip"]
    assert not (root / "dist" / SLUGS[1] / "export").exists()
    lines = result.stdout.splitlines()
    assert lines[0] == "exported to mailchimp: elsewhere/"
    for name in ("mailchimp.zip", "campaign.json", "content.json", "email.txt"):
        assert any(line.split()[0] == name and len(line.split()) > 2 for line in lines[1:5]), name
    steps = lines[lines.index("next:") + 1:]
    assert "Import zip" in steps[0] and "--audience LIST_ID" in steps[1]
    result = run("export", "--all", "--to", "eml", "--out", "all", cwd=root)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (root / "all").iterdir()) == sorted(SLUGS)
    assert all((root / "all" / slug / f"{slug}.eml").is_file() for slug in SLUGS)
