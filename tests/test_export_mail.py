"""newsletter export --to eml / mbox: RFC 5322 structure read back with `email`, and SpamAssassin's score."""

from __future__ import annotations

import email
import mailbox
import re
import shutil
import subprocess
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from tests.conftest import missing_tool
from tests.export_helpers import sample_publication

BRIDGE, FERRY = "2026-11-14-the-bridge", "2026-11-28-night-ferry"
LEFTOVER = re.compile(r"[\ue000\ue001]|\{\{|\}\}|\*\||%unsubscribe_url%|\[unsubscribe\]|unsubscribe_url|web_url")


def _export(root: Path, *args: str) -> tuple[int, str, str]:
    """Run `newsletter --root ROOT export ...`."""
    result = CliRunner().invoke(cli, ["--root", str(root), "export", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _eml(root: Path, slug: str, *extra: str) -> tuple[bytes, EmailMessage]:
    """Export one issue as .eml and parse it back."""
    code, out, err = _export(root, slug, "--to", "eml", *extra)
    assert code == 0, err
    assert "next:" in out
    data = (root / "dist" / slug / "export" / "eml" / f"{slug}.eml").read_bytes()
    return data, email.message_from_bytes(data, policy=policy.default)


def test_eml_structure_headers_and_cid_images(tmp_path: Path) -> None:
    """multipart/alternative: text first, then related(HTML + CID images); list headers; every CID resolves."""
    root = sample_publication(tmp_path)
    data, msg = _eml(root, BRIDGE)
    assert msg.get_content_type() == "multipart/alternative"
    text, related = msg.get_payload()
    assert text.get_content_type() == "text/plain" and text.get_content_charset() == "utf-8"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html" and html_part.get_content_charset() == "utf-8"
    html = html_part.get_content()
    cids = set(re.findall(r'src="cid:([^"]+)"', html))
    assert cids and len(images) == len(cids)
    assert {part["Content-ID"].strip("<>") for part in images} == cids
    assert all(part.get_content_maintype() == "image" and part.get_content() for part in images)
    assert 'src="images/' not in html
    assert str(msg["From"]) == "The Almost <editor@almost.example.org>"
    assert str(msg["Reply-To"]) == "tips@almost.example.org"
    assert msg["Message-ID"].endswith("@almost.example.org>")
    assert msg["Date"].datetime is not None
    assert msg["List-Unsubscribe"] == ("<https://almost.example.org/unsubscribe>, "
                                       "<mailto:unsubscribe@almost.example.org?subject=unsubscribe>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "X-Unsent" not in msg
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert "https://almost.example.org/unsubscribe" in html and "https://almost.example.org/unsubscribe" in \
        text.get_content()
    for where in (html, text.get_content(), *(str(v) for v in msg.values())):
        assert not LEFTOVER.search(where), LEFTOVER.search(where)


def test_eml_subject_in_non_latin_script_and_draft_flag(tmp_path: Path) -> None:
    """A Greek and Japanese subject is RFC 2047-encoded and decodes back; --draft adds X-Unsent: 1."""
    root = sample_publication(tmp_path)
    toml = root / "issues" / FERRY / "issue.toml"
    subject = "Νυχτερινό πλοίο · 夜のフェリー"
    toml.write_text(re.sub(r'(?m)^subject = ".*"$', f'subject = "{subject}"', toml.read_text()), encoding="utf-8")
    data, msg = _eml(root, FERRY, "--draft")
    raw_subject = re.search(rb"^Subject: (.*(?:\r\n .*)*)", data, re.M).group(1)
    assert raw_subject.startswith(b"=?utf-8?") and raw_subject.isascii()
    assert msg["Subject"] == subject
    assert msg["X-Unsent"] == "1"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]
    body = msg.get_payload()[0].get_content()
    assert "Hello friend." in body  # first name falls back to the writer's default


def test_eml_needs_an_https_unsubscribe_address(tmp_path: Path) -> None:
    """Without an https unsubscribe_url there is no RFC 8058 header: the error names the key and line."""
    root = sample_publication(tmp_path)
    config = root / "newsletter.toml"
    config.write_text(config.read_text().replace('unsubscribe_url = "https://', 'unsubscribe_url = "http://'))
    code, _, err = _export(root, FERRY, "--to", "eml")
    assert code == 1
    assert err.startswith("newsletter.toml:6: ") and "unsubscribe_url" in err and "https://" in err


def test_mbox_all_holds_every_issue(tmp_path: Path) -> None:
    """`export --all --to mbox` writes one mailbox with a message per issue; mboxo quoting by mailbox."""
    root = sample_publication(tmp_path)
    code, out, err = _export(root, "--all", "--to", "mbox")
    assert code == 0, err
    assert "2 messages" in out
    box = mailbox.mbox(root / "dist" / "export" / "mbox" / "issues.mbox", create=False)
    subjects = [m["Subject"] for m in box]
    assert len(subjects) == 2
    assert all(m.get_from().startswith("MAILER-DAEMON") for m in box)
    for message in box:
        parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    code, _, err = _export(root, BRIDGE, "--to", "mbox")
    assert code == 0, err
    assert len(mailbox.mbox(root / "dist" / BRIDGE / "export" / "mbox" / f"{BRIDGE}.mbox", create=False)) == 1


def _spamassassin_score(path: Path, home: Path) -> tuple[float, str]:
    """Score a message with SpamAssassin offline (-L) and return the score and report."""
    if not shutil.which("spamassassin"):
        missing_tool("SpamAssassin is not installed (apt-get install spamassassin)")
    with path.open("rb") as fh:
        done = subprocess.run(["spamassassin", "-L", "-t"], stdin=fh, capture_output=True, check=False,
                              timeout=180, env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    report = done.stdout.decode("utf-8", "replace")
    match = re.search(r"^X-Spam-Status: \w+, score=(-?[\d.]+)", report, re.M)
    assert match, report[-2000:]
    return float(match.group(1)), report


@pytest.mark.parametrize("slug", [BRIDGE, FERRY])
def test_sample_issue_scores_under_one_with_spamassassin(tmp_path: Path, slug: str) -> None:
    """The sample issues score under 0.5 with SpamAssassin run offline (the issue asks for under 1.0)."""
    root = sample_publication(tmp_path)
    _eml(root, slug)
    score, report = _spamassassin_score(root / "dist" / slug / "export" / "eml" / f"{slug}.eml", tmp_path)
    assert score < 0.5, report[report.find("Content analysis"):]
