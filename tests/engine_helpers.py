"""The platforms' template engines for the fidelity tests: run them, and read what a reader would get."""

from __future__ import annotations

import functools
import html as htmllib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lxml.html

ENGINES = Path(__file__).resolve().parent / "engines"
NODE_MODULES = ENGINES / "node_modules"


@dataclass(frozen=True)
class Reader:
    """A sample subscriber, with the per-reader URLs a platform fills in."""

    first_name: str
    email: str
    unsubscribe_url: str = "https://lists.example.net/u/8f3a?list=1&sig=a=b"
    web_url: str = "https://lists.example.net/m/42?s=1&t=2"
    preferences_url: str = "https://lists.example.net/p/8f3a?manage=1&x=y"


READERS = (Reader("Ada", "ada@example.org"), Reader("", "anon@example.org"),
           Reader("O'Brien", "obrien@example.org"), Reader("<b>x</b>", "d+news@example.org"))
# What the platforms' own postal-address tags hold for the tests (SendGrid's sender fields, Kit's address).
SENDER = {"Sender_Name": "Harbour & Co", "Sender_Address": "4 Mill Yard", "Sender_City": "Porth",
          "Sender_State": "CO", "Sender_Zip": "TR1 1AA"}
KIT_ADDRESS = "4 Mill Yard, Porth <TR1>"
MAILCHIMP_ADDRESS = "Harbour Notes, 4 Mill Yard, Porth"


class EngineError(Exception):
    """Raised when a template engine rejects a template."""


def _run(command: list[str], request: dict, cwd: Path | None = None) -> list[dict]:
    """Send one JSON request to an engine program and return its results."""
    done = subprocess.run(command, input=json.dumps(request), capture_output=True, text=True, check=False,
                          timeout=300, cwd=cwd)
    if done.returncode != 0:
        raise EngineError(f"{command[0]} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def node_engine(engine: str, cases: dict[str, str], readers: list[dict]) -> dict[str, list[str] | str]:
    """Render with Handlebars (npm); a string in the answer is the engine's error."""
    request = {"engine": engine, "readers": readers,
               "cases": [{"name": name, "template": template} for name, template in cases.items()]}
    return {r["name"]: r["output"] if not r["error"] else r["error"]
            for r in _run(["node", str(ENGINES / "render.js")], request)}


def go_engine(binary: Path, engine: str, cases: dict[str, tuple[str, str]], readers: list[dict],
              base: str = "") -> dict[str, list[str] | str]:
    """Render with the Go program: listmonk's compile steps, or pongo2."""
    request = {"engine": engine, "readers": readers,
               "cases": [{"name": n, "kind": kind, "template": t, "base": base} for n, (kind, t) in cases.items()]}
    return {r["name"]: r["output"] if not r["error"] else r["error"] for r in _run([str(binary)], request)}


def build_go(out: Path) -> Path:
    """Build tests/engines/gotemplates with Debian's Go packages (offline) and return the binary."""
    binary = out / "gotemplates"
    done = subprocess.run(["bash", str(ENGINES / "gotemplates" / "build.sh"), str(binary)], capture_output=True,
                          text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise EngineError(f"building the Go engine failed: {done.stderr.strip()}")
    return binary


def go_available() -> str:
    """Return why the Go engine cannot be built here, or an empty string."""
    if not shutil.which("go"):
        return "Go is not installed (apt-get install golang-go)"
    for package in ("github.com/Masterminds/sprig", "github.com/flosch/pongo2"):
        if not (Path("/usr/share/gocode/src") / package).is_dir():
            return f"{package} is not installed (apt-get install golang-github-masterminds-sprig-dev " \
                   "golang-github-flosch-pongo2.v4-dev)"
    return ""


@functools.cache
def _django() -> None:
    """Configure Django's template engine once, as a standalone engine with autoescaping (its default)."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}])
        django.setup()


def python_engine(engine: str, cases: dict[str, str], readers: list[dict]) -> dict[str, list[str] | str]:
    """Render with python-liquid (Kit) or Django's templates (Buttondown)."""
    out: dict[str, list[str] | str] = {}
    for name, template in cases.items():
        try:
            if engine == "liquid":
                import liquid

                parsed = liquid.parse(template)
                out[name] = [parsed.render(**data) for data in readers]
            else:
                _django()
                from django.template import Context, Template

                compiled = Template(template)
                out[name] = [compiled.render(Context(data)) for data in readers]
        except Exception as exc:  # the engine's own error, whatever its class
            out[name] = f"{type(exc).__name__}: {exc}"
    return out


def mustachio_engine(cases: dict[str, str], readers: list[dict]) -> dict[str, list[str] | str]:
    """Render with the Mustachio emulation (Postmark); a string in the answer is the engine's error."""
    from tests.mustachio_engine import MustachioError, render

    out: dict[str, list[str] | str] = {}
    for name, template in cases.items():
        try:
            out[name] = [render(template, data) for data in readers]
        except MustachioError as exc:
            out[name] = f"MustachioError: {exc}"
    return out


# --- substitution written from the platforms' documentation -------------------------------------------------

def mailchimp(template: str, fields: dict[str, str], *, html: bool) -> str:
    """Fill Mailchimp merge tags: *|IF:X|*…*|ELSE:|*…*|END:IF|*, then *|TAG|* (unknown tags: empty)."""
    def conditional(m: re.Match[str]) -> str:
        return m.group(2) if fields.get(m.group(1)) else (m.group(3) or "")

    text = re.sub(r"\*\|IF:([A-Z0-9_]+)\|\*(.*?)(?:\*\|ELSE:\|\*(.*?))?\*\|END:IF\|\*", conditional, template,
                  flags=re.S)
    return re.sub(r"\*\|([A-Z0-9_:]+)\|\*", lambda m: _value(fields.get(m.group(1), ""), html), text)


def campaign_monitor(template: str, fields: dict[str, str], urls: dict[str, str], *, html: bool) -> str:
    """Fill Campaign Monitor tags: <unsubscribe>…</unsubscribe>-style links, [field,fallback=…], [field]."""
    def pseudo(m: re.Match[str]) -> str:
        return f'<a href="{htmllib.escape(urls[m.group(1).lower()])}"{m.group(2)}>{m.group(3)}</a>'

    text = re.sub(r"<(unsubscribe|webversion|preferences)\b([^>]*)>(.*?)</\1>", pseudo, template, flags=re.S | re.I)
    for name in ("unsubscribe", "webversion", "preferences"):
        text = text.replace(f"[{name}]", _value(urls[name], html))

    def field(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1)  # an HTML comment (Outlook's [if mso] conditions): not a tag
        value = fields.get(m.group(2).lower(), "")
        return _value(value, html) if value else (m.group(3) or "")

    return re.sub(r"(<!--.*?-->)|\[([A-Za-z][\w ]*?)(?:,fallback=([^\]]*))?\]", field, text, flags=re.S)


def mailgun(template: str, fields: dict[str, str]) -> str:
    """Fill Mailgun's list variables (%recipient_fname%, %unsubscribe_url%, …), inserted as they are."""
    return re.sub(r"%(recipient(?:[._][\w.]+)?|unsubscribe_url|unsubscribe_email|tag_unsubscribe_url"
                  r"|mailing_list_unsubscribe_url)%", lambda m: fields.get(m.group(1), ""), template)


def _value(value: str, html: bool) -> str:
    """Return a field's value as the platform inserts it: HTML-escaped in HTML."""
    return htmllib.escape(value) if html else value


# --- what a reader gets ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """What a reader sees of an HTML email: its text, its links, its Outlook comments and documents."""

    text: str
    links: tuple[str, ...]
    outlook_comments: int
    documents: int


def view(html: str) -> View:
    """Return what a mail client shows of the HTML: the body's text (comments left out) and its links."""
    doc = lxml.html.document_fromstring(html)
    for comment in doc.xpath("//comment()"):
        if comment.getparent() is not None:
            comment.drop_tree()
    body = doc.find("body")
    text = " ".join("".join(body.itertext()).split()) if body is not None else ""
    links = tuple(a.get("href", "") for a in doc.iter("a"))
    return View(text, links, len(re.findall(r"<!--\[if", html)), len(re.findall(r"<html\b", html, re.I)))


def fill_expected(marked: str, value: Callable[[str, str], str]) -> str:
    """Return marked content with each merge tag filled as the reader should see it."""
    from newsletter import mergetags

    return mergetags.fill(marked, value)
