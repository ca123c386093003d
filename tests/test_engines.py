"""Export fidelity, proven in each platform's own template engine (or its closest open implementation).

Every export of the fixture issues is rendered for sample readers (with and without a first name, and with
hostile names) and compared with what the reader must get: the build's own text and HTML with each merge tag
filled with that reader's values. A control renders the same content without the exporter's escaping, so
each engine test is shown able to fail.
"""

from __future__ import annotations

import html as htmllib
import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter import mergetags
from newsletter.cli import cli
from newsletter.exporters import module
from newsletter.exporters.common import Dialect, content, literal_value
from newsletter.exporters.syntax import ZWSP, Syntax
from newsletter.model import Rendered
from tests.conftest import missing_tool
from tests.engine_helpers import (
    KIT_ADDRESS,
    MAILCHIMP_ADDRESS,
    NODE_MODULES,
    READERS,
    SENDER,
    EngineError,
    Reader,
    build_go,
    campaign_monitor,
    go_available,
    go_engine,
    mailchimp,
    mailgun,
    mustachio_engine,
    node_engine,
    python_engine,
    view,
)
from tests.export_helpers import AUDIENCE, add_base_url, read_parts, sample_publication

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLATFORMS = ("sendgrid", "ses", "mailgun", "postmark", "listmonk", "brevo", "kit", "buttondown", "mailchimp",
             "campaign-monitor")
POSTAL = {"sendgrid": "{Sender_Name}, {Sender_Address}, {Sender_City}, {Sender_State} {Sender_Zip}".format(**SENDER),
          "kit": KIT_ADDRESS, "mailchimp": MAILCHIMP_ADDRESS}
PLAIN = Syntax("plain", __import__("re").compile("(?!)"), str, str)


def _data(platform: str, r: Reader) -> dict:
    """Return what the platform's engine is given for one reader, named as the platform names it."""
    return {
        "sendgrid": lambda: {"first_name": r.first_name, "email": r.email, "unsubscribe": r.unsubscribe_url,
                             "unsubscribe_preferences": r.preferences_url, **SENDER},
        "ses": lambda: {"first_name": r.first_name, "email": r.email, "amazonSESUnsubscribeUrl": r.unsubscribe_url},
        "postmark": lambda: {"first_name": r.first_name, "email": r.email, "pm:unsubscribe": r.unsubscribe_url},
        "listmonk": lambda: {"first_name": r.first_name, "email": r.email, "unsubscribe_url": r.unsubscribe_url,
                             "web_url": r.web_url, "uuid": "c0ffee"},
        "brevo": lambda: {"first_name": r.first_name, "email": r.email, "unsubscribe_url": r.unsubscribe_url,
                          "web_url": r.web_url, "preferences_url": r.preferences_url},
        "kit": lambda: {"subscriber": {"first_name": r.first_name, "email_address": r.email},
                        "unsubscribe_url": r.unsubscribe_url, "address": KIT_ADDRESS},
        "buttondown": lambda: {"subscriber": {"email": r.email, "metadata": {"first_name": r.first_name}},
                               "unsubscribe_url": r.unsubscribe_url, "manage_subscription_url": r.preferences_url,
                               "email": {"absolute_url": r.web_url}},
        "mailchimp": lambda: {"FNAME": r.first_name, "EMAIL": r.email, "UNSUB": r.unsubscribe_url,
                              "ARCHIVE": r.web_url, "UPDATE_PROFILE": r.preferences_url,
                              "LIST:ADDRESSLINE": MAILCHIMP_ADDRESS},
        "campaign-monitor": lambda: {"firstname": r.first_name, "email": r.email},
        "mailgun": lambda: {"recipient_fname": r.first_name, "recipient_email": r.email,
                            "unsubscribe_url": r.unsubscribe_url},
    }[platform]()


class Engines:
    """Run a platform's engine on named templates for every sample reader."""

    def __init__(self, go_binary: Path | None) -> None:
        self.go_binary = go_binary

    def render(self, platform: str, parts: dict[str, str]) -> dict[str, list[str] | str]:
        """Return, per part (html, text, subject, preheader), the output for each reader or the engine's error."""
        data = [_data(platform, r) for r in READERS]
        if platform in ("sendgrid", "ses"):
            return node_engine("handlebars", parts, data)
        if platform == "postmark":
            return mustachio_engine(parts, data)
        if platform == "kit":
            return python_engine("liquid", parts, data)
        if platform == "buttondown":
            # Buttondown documents no templating of the subject and description: only the body is rendered.
            body = python_engine("django", {"html": parts["html"]}, data)
            return {**{k: [v] * len(READERS) for k, v in parts.items() if k != "html"}, **body}
        if platform in ("listmonk", "brevo"):
            assert self.go_binary is not None
            if platform == "listmonk":
                kinds = {"html": "body", "text": "altbody", "subject": "subject"}
                return go_engine(self.go_binary, "listmonk", {n: (kinds[n], t) for n, t in parts.items()}, data)
            # Subjects and preview texts are plain text: rendered with autoescaping off.
            cases = {n: ("html", t if n == "html" else "{% autoescape off %}" + t + "{% endautoescape %}")
                     for n, t in parts.items()}
            return go_engine(self.go_binary, "pongo2", cases, data)
        if platform == "mailchimp":
            return {n: [mailchimp(t, d, html=n == "html") for d in data] for n, t in parts.items()}
        if platform == "campaign-monitor":
            urls = [{"unsubscribe": r.unsubscribe_url, "webversion": r.web_url, "preferences": r.preferences_url}
                    for r in READERS]
            return {n: [campaign_monitor(t, d, u, html=n == "html") for d, u in zip(data, urls, strict=True)]
                    for n, t in parts.items()}
        if platform == "mailgun":
            return {n: [mailgun(t, d) for d in data] for n, t in parts.items()}
        raise AssertionError(platform)


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Engines:
    """Return the engines, building the Go one; skip (fail in CI) when one is missing."""
    if not shutil.which("node") or not (NODE_MODULES / "handlebars").is_dir():
        missing_tool("the engines' npm packages are not installed (npm install --prefix tests/engines)")
    for name in ("liquid", "django"):
        if __import__("importlib").util.find_spec(name) is None:
            missing_tool(f"the {name} package is not installed (pip install -e '.[test]')")
    reason = go_available()
    if reason:
        missing_tool(reason)
    return Engines(build_go(tmp_path_factory.mktemp("go")))


def _export(root: Path, platform: str, slug: str) -> Path:
    """Export one issue through the CLI and return the export folder."""
    audience = ["--audience", AUDIENCE[platform]] if platform in AUDIENCE else []
    result = CliRunner().invoke(cli, ["--root", str(root), "export", slug, "--to", platform, *audience],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return root / "dist" / slug / "export" / platform


@pytest.fixture(scope="module")
def publications(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[str]]]:
    """Copy the engines fixture and the sample publication, each with hosted images; name their issues."""
    base = tmp_path_factory.mktemp("engines")
    engines_root = base / "engines"
    shutil.copytree(FIXTURES / "engines", engines_root)
    sample = sample_publication(base)
    add_base_url(sample)
    return {"engines": (engines_root, ["2024-07-06-tides"]),
            "sample": (sample, sorted(p.name for p in (sample / "issues").iterdir()))}


def _rendered(root: Path, slug: str) -> Rendered:
    """Build one issue in process, as the export does."""
    from newsletter.build import build_issue
    from newsletter.config import load_settings

    settings = load_settings(root)
    return build_issue(settings, root / "issues" / slug)


def _dialect(platform: str) -> Dialect:
    """Return the dialect an exporter uses (Mailgun's stored template has its own)."""
    return module(platform).DIALECT


def _expected(platform: str, rendered: Rendered, reader: Reader) -> Callable[[str, str], str]:
    """Return what each merge tag must show this reader on this platform."""
    dialect = _dialect(platform)
    per = {"unsubscribe_url": reader.unsubscribe_url, "web_url": reader.web_url,
           "preferences_url": reader.preferences_url, "email": reader.email,
           "postal_address": POSTAL.get(platform, "")}
    if platform == "listmonk":  # listmonk's ManageURL is the unsubscribe URL plus ?manage=true
        per["preferences_url"] = reader.unsubscribe_url + "?manage=true"

    def value(name: str, fallback: str) -> str:
        if name == "first_name":
            return fallback if dialect.prefill_fallback and fallback else (reader.first_name or fallback)
        if name in dialect.tags:
            return per[name]
        literal = literal_value(rendered, name)
        return literal or (reader.unsubscribe_url if name == "preferences_url" else "")

    return value


def _check_text(actual: str, expected: str, syntax: Syntax) -> None:
    """A text part is the build's own text byte for byte (where a platform has no escape: but for its breaks)."""
    broken = syntax.broken(expected)
    if broken:
        assert actual.count(ZWSP) >= len(broken)
        actual = actual.replace(ZWSP, "")
    assert actual == expected


def _parts(folder: Path, platform: str) -> dict[str, str]:
    """Return the parts of an export a platform renders: html, text, subject, preheader field."""
    parts = read_parts(platform, folder)
    found = {"html": parts.html, "subject": parts.subject}
    if parts.text is not None:
        found["text"] = parts.text
    if parts.preheader is not None:
        found["preheader"] = parts.preheader
    return found


def _assert_reader_gets(platform: str, rendered: Rendered, outputs: dict[str, list[str] | str]) -> None:
    """Every part, for every reader, is exactly what the build says that reader must get."""
    dialect = _dialect(platform)
    for part, result in outputs.items():
        assert not isinstance(result, str), f"{platform} {part}: engine error: {result}"
    for i, reader in enumerate(READERS):
        value = _expected(platform, rendered, reader)
        html = outputs["html"][i]
        # Mailgun's list substitution inserts values as they are (the export says so): so do we, here.
        want = view(mergetags.fill(rendered.html, value, html=platform != "mailgun"))
        got = view(html)
        assert got.text == want.text, f"{platform} HTML text for {reader}"
        assert got.links == want.links, f"{platform} HTML links for {reader}"
        assert got.outlook_comments == want.outlook_comments > 0, "Outlook conditional comments lost"
        assert got.documents == 1, "the email is wrapped in a second document"
        if "text" in outputs:
            _check_text(outputs["text"][i], mergetags.fill(rendered.text, value), dialect.syntax)
        fill = value if dialect.subject == "tags" else (lambda n, f: f if n == "first_name" else "")
        _check_text(outputs["subject"][i], mergetags.fill(rendered.issue.subject, fill), dialect.syntax)
        if "preheader" in outputs:
            fill = value if dialect.preheader == "tags" else (lambda n, f: f if n == "first_name" else "")
            _check_text(outputs["preheader"][i], mergetags.fill(rendered.issue.preheader, fill), dialect.syntax)


@pytest.mark.parametrize("publication_name", ["engines", "sample"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_reader_gets_what_was_written(engines: Engines, publications: dict, platform: str,
                                            publication_name: str) -> None:
    """Rendered by the platform's engine, each export shows every reader the build's text and links exactly."""
    root, slugs = publications[publication_name]
    for slug in slugs:
        folder = _export(root, platform, slug)
        rendered = _rendered(root, slug)
        _assert_reader_gets(platform, rendered, engines.render(platform, _parts(folder, platform)))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_control_without_the_exporters_escaping_fails(engines: Engines, publications: dict, platform: str) -> None:
    """The same content without the platform's literal syntax breaks in its engine: the test above can fail."""
    root, slugs = publications["engines"]
    rendered = _rendered(root, slugs[0])
    dialect = replace(_dialect(platform), syntax=PLAIN)
    mail = content(rendered, dialect, rendered.html)
    parts = {"html": mail.html, "subject": mail.subject}
    if platform not in ("brevo", "kit", "buttondown"):
        parts["text"] = mail.text
    with pytest.raises(AssertionError):
        _assert_reader_gets(platform, rendered, engines.render(platform, parts))


def test_mailgun_stored_template_renders_in_handlebars(engines: Engines, publications: dict) -> None:
    """Mailgun's stored template is Handlebars, then %tags%: the reader still gets the build's HTML."""
    root, slugs = publications["engines"]
    folder = _export(root, "mailgun", slugs[0])
    fields = json.loads((folder / "template.json").read_text(encoding="utf-8"))
    rendered = _rendered(root, slugs[0])
    templated = node_engine("handlebars", {"html": fields["template"]}, [{}])["html"]
    assert not isinstance(templated, str), templated
    html = templated[0]
    outputs = {"html": [mailgun(html, _data("mailgun", r)) for r in READERS],
               "subject": [json.loads(fields["headers"])["Subject"]] * len(READERS)}
    _assert_reader_gets("mailgun", rendered, outputs)
    plain = content(rendered, replace(module("mailgun").TEMPLATE_DIALECT, syntax=PLAIN), rendered.html)
    broken = node_engine("handlebars", {"html": plain.html}, [{}])["html"]
    assert isinstance(broken, str) or htmllib.unescape(broken[0]).count("{{ not a tag }}") == 0


def test_kit_escapes_names_and_the_control_does_not(engines: Engines, publications: dict) -> None:
    """Liquid inserts values as they are: Kit's HTML passes subscriber fields through `| escape`."""
    root, slugs = publications["engines"]
    folder = _export(root, "kit", slugs[0])
    html = read_parts("kit", folder).html
    assert "subscriber.first_name | escape" in html
    outputs = engines.render("kit", {"html": html.replace(" | escape", "")})["html"]
    assert "<b>x</b>" in outputs[3]  # the unescaped form lets a name typed as markup become markup


def test_listmonk_keeps_comments_and_has_a_raw_template(engines: Engines, publications: dict) -> None:
    """listmonk's html/template drops comments unless they pass through Safe; its raw template adds nothing."""
    root, slugs = publications["engines"]
    folder = _export(root, "listmonk", slugs[0])
    body = json.loads((folder / "campaign.json").read_text(encoding="utf-8"))["body"]
    template = json.loads((folder / "template.json").read_text(encoding="utf-8"))
    assert template["type"] == "campaign" and template["body"] == '{{ template "content" . }}'
    assert engines.go_binary is not None
    wrapped = go_engine(engines.go_binary, "listmonk", {"html": ("body", body)}, [_data("listmonk", READERS[0])],
                        base=template["body"])["html"]
    bare = go_engine(engines.go_binary, "listmonk", {"html": ("body", body)}, [_data("listmonk", READERS[0])])["html"]
    assert wrapped == bare
    assert '{{ "<!--[if mso | IE]>' in body
    no_safe = go_engine(engines.go_binary, "listmonk",
                        {"html": ("body", mergetags.restore(_rendered(root, slugs[0]).html))},
                        [_data("listmonk", READERS[0])])["html"]
    assert isinstance(no_safe, str) or "<!--[if" not in no_safe[0]


def test_engine_errors_are_reported(engines: Engines) -> None:
    """A template an engine rejects comes back as its error, so a broken export cannot pass unnoticed."""
    assert isinstance(node_engine("handlebars", {"x": "{{#if}}"}, [{}])["x"], str)
    assert isinstance(python_engine("liquid", {"x": "{% if %}"}, [{}])["x"], str)
    assert isinstance(python_engine("django", {"x": "{% if %}"}, [{}])["x"], str)
    assert engines.go_binary is not None
    assert isinstance(go_engine(engines.go_binary, "listmonk", {"x": ("body", "{{ nope }}")}, [{}])["x"], str)
    assert isinstance(go_engine(engines.go_binary, "pongo2", {"x": ("html", "{% if %}")}, [{}])["x"], str)
    with pytest.raises(EngineError):
        go_engine(Path("/bin/false"), "listmonk", {}, [])


SUBJECT = 'Tides for {{ first_name | default: "there" }}, {{ not a tag }}'
PREHEADER = 'Read on, {{ first_name | default: "there" }}'


@pytest.mark.parametrize("platform", PLATFORMS)
def test_personalised_subject_and_preheader(engines: Engines, tmp_path: Path, platform: str) -> None:
    """Merge tags in the subject and preheader reach each platform in its syntax, or filled where it cannot."""
    root = tmp_path / "engines"
    shutil.copytree(FIXTURES / "engines", root)
    meta = root / "issues" / "2024-07-06-tides" / "issue.toml"
    lines = [line for line in meta.read_text().splitlines() if not line.startswith(("subject", "preheader"))]
    meta.write_text("\n".join([f"subject = {json.dumps(SUBJECT)}", f"preheader = {json.dumps(PREHEADER)}", *lines]))
    audience = ["--audience", AUDIENCE[platform]] if platform in AUDIENCE else []
    result = CliRunner().invoke(cli, ["--root", str(root), "export", "2024-07-06-tides", "--to", platform,
                                      *audience], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    folder = root / "dist" / "2024-07-06-tides" / "export" / platform
    parts = {k: v for k, v in _parts(folder, platform).items() if k in ("subject", "preheader")}
    outputs = engines.render(platform, {"html": "<html><body></body></html>", **parts})
    dialect = _dialect(platform)
    for i, reader in enumerate(READERS):
        name = reader.first_name or "there"
        if dialect.subject == "fill":
            name = "there"
        assert outputs["subject"][i].replace(ZWSP, "") == f"Tides for {name}, {{{{ not a tag }}}}"
        if "preheader" in parts:
            want = reader.first_name or "there" if dialect.preheader == "tags" else "there"
            assert outputs["preheader"][i] == f"Read on, {want}"
    filled = "does not personalise the subject" in result.stderr
    assert filled == (dialect.subject == "fill"), result.stderr


def test_the_mustachio_port_behaves_as_postmark_documents():
    """The Postmark engine of these tests: what Postmark's docs and Mustachio's source say it does."""
    from tests.mustachio_engine import MustachioError, render

    model = {"first_name": "O'Brien", "items": [{"n": "a"}, {"n": "b"}], "empty": "", "pm:unsubscribe": "https://u"}
    assert render("Hi {{ first_name }}", model) == "Hi O&#39;Brien"
    assert render("Hi {{{ first_name }}}", model) == "Hi O'Brien"
    assert render("{{#first_name}}{{.}}{{/first_name}}{{^empty}}none{{/empty}}", model) == "O&#39;Briennone"
    assert render("{{#each items}}{{n}}{{/each}}", model) == "ab"
    assert render("{{{ pm:unsubscribe }}}", model) == "https://u"
    assert render("{{{!}}{ not a tag }}", model) == "{{ not a tag }}"
    for refused in ("{{=<% %>=}}", "{{ not a tag }}", "{{#open}}"):
        with pytest.raises(MustachioError):
            render(refused, model)
