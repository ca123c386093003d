"""Merge tags in the subject and preheader: checked like body tags, filled wherever no platform personalises."""

from __future__ import annotations

import email
import json
import mailbox
import re
from email import policy
from pathlib import Path
from typing import Any

import pytest

from newsletter.build import build_issue, preview_text
from newsletter.config import load_settings
from newsletter.mergetags import CLOSE, OPEN

pytest.importorskip("aiosmtpd", reason="aiosmtpd is a test dependency (pip install -e .[test])")

from tests.test_send_test import smtp_server  # noqa: F401  (the fixture: a real aiosmtpd server)

SUMMER = "2024-06-01-summer"
SUBJECT = 'Summer, {{ first_name | default: "neighbour" }}: the ferry, the lido and the market move'
PREHEADER = "{{ first_name }}, the timetable changes on Monday and the lido reopens on Saturday morning."
SHOWN = "Summer, neighbour: the ferry, the lido and the market move"
SHOWN_PREHEADER = "reader, the timetable changes on Monday and the lido reopens on Saturday morning."


def _personal(publication: Any, subject: str = SUBJECT, preheader: str = PREHEADER) -> Path:
    """Return the clean fixture with merge tags in its subject and preheader."""
    root = publication("check-clean")
    meta = root / "issues" / SUMMER / "issue.toml"
    lines = meta.read_text(encoding="utf-8").split("\n")
    lines[0], lines[1] = f"subject = {json.dumps(subject)}", f"preheader = {json.dumps(preheader)}"
    meta.write_text("\n".join(lines), encoding="utf-8")
    return root


def _clean(text: str) -> None:
    """Assert no written tag and no marker character is left in text."""
    assert "{{" not in text and OPEN not in text and CLOSE not in text, text[:200]


def test_build_fills_title_preheader_and_manifest(publication, run):
    root = _personal(publication)
    result = run("build", SUMMER, cwd=root)
    assert result.exit_code == 0, result.output
    html = (root / "dist" / SUMMER / "email.html").read_text(encoding="utf-8")
    assert re.search(r"<title>([^<]*)</title>", html).group(1) == SHOWN
    assert SHOWN_PREHEADER in html
    manifest = json.loads((root / "dist" / SUMMER / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["subject"], manifest["preheader"]) == (SHOWN, SHOWN_PREHEADER)
    assert "first_name" in manifest["merge_tags"]
    for name in ("email.html", "email.txt", "manifest.json"):
        _clean((root / "dist" / SUMMER / name).read_text(encoding="utf-8"))


def test_the_shared_preview_fill(publication):
    root = _personal(publication)
    issue = build_issue(load_settings(root), root / "issues" / SUMMER).issue
    assert OPEN in issue.subject, "the subject carries markers, as the body does"
    assert preview_text(issue, issue.subject) == SHOWN
    assert preview_text(issue, issue.preheader) == SHOWN_PREHEADER


def test_eml_and_mbox_subjects_are_filled(publication, run):
    root = _personal(publication)
    assert run("export", SUMMER, "--to", "eml", cwd=root).exit_code == 0
    data = (root / "dist" / SUMMER / "export" / "eml" / f"{SUMMER}.eml").read_bytes()
    message = email.message_from_bytes(data, policy=policy.default)
    assert message["Subject"] == SHOWN
    _clean(message.get_body(("html",)).get_content())
    assert run("export", SUMMER, "--to", "mbox", cwd=root).exit_code == 0
    box = mailbox.mbox(root / "dist" / SUMMER / "export" / "mbox" / f"{SUMMER}.mbox")
    (only,) = list(box)
    assert email.message_from_bytes(only.as_bytes(), policy=policy.default)["Subject"] == SHOWN


def test_send_test_subject_is_filled(publication, run, smtp_server):  # noqa: F811
    root = _personal(publication)
    inbox, port, _ = smtp_server()
    result = run("send-test", SUMMER, "--to", "t@example.net", "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
                 cwd=root)
    assert result.exit_code == 0, result.output
    (_, _, content, _), = inbox.messages
    received = email.message_from_bytes(content, policy=policy.default)
    assert received["Subject"] == f"[TEST] {SHOWN}"
    _clean(received["Subject"])


def test_unknown_tags_in_subject_and_preheader_are_errors_that_stop_export(publication, run):
    root = _personal(publication, "Summer, {{ frist_name }}", "{{ firstname }}, the timetable changes on Monday.")
    result = run("check", SUMMER, cwd=root)
    assert result.exit_code == 1
    meta = f"issues/{SUMMER}/issue.toml"
    assert f"  {meta}:1:1: error: “{{{{ frist_name }}}}” is not a merge tag; did you mean first_name? " \
           "[mergetags/unknown]" in result.stdout
    assert f"  {meta}:2:1: error: “{{{{ firstname }}}}” is not a merge tag; did you mean first_name?" in result.stdout
    exported = run("export", SUMMER, "--to", "eml", cwd=root)
    assert exported.exit_code == 1 and "2 errors, so export stops here" in exported.stderr
    assert not (root / "dist").exists()


def test_subject_length_counts_what_readers_see(publication, run):
    root = _personal(publication)
    assert len(SUBJECT) > 70 >= len(SHOWN)
    document = json.loads(run("check", SUMMER, "--format", "json", cwd=root).stdout)
    rules = {f["rule"] for issue in document["issues"] for f in issue["findings"]}
    assert "deliverability/long-subject" not in rules and "deliverability/preheader-length" not in rules


def test_pasted_marker_characters_in_the_subject_are_refused(publication, run):
    root = _personal(publication, f"Summer {OPEN}email{CLOSE} news", PREHEADER)
    result = run("export", SUMMER, "--to", "eml", cwd=root)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"issues/{SUMMER}/issue.toml:1: `subject` must be one line of text")
    assert not (root / "dist").exists()


def test_archive_index_feed_and_preview_state_show_the_filled_subject(publication, run):
    import feedparser

    from newsletter.preview.state import Preview

    root = _personal(publication)
    assert run("archive", cwd=root).exit_code == 0
    site = root / "dist" / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert SHOWN in index
    _clean(index)
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert [entry.title for entry in feed.entries] == [SHOWN]
    _clean((site / "feed.xml").read_text(encoding="utf-8"))
    state = Preview(load_settings(root), root / "issues" / SUMMER).state(SUMMER)
    assert (state["subject"], state["preheader"]) == (SHOWN, SHOWN_PREHEADER)


def test_no_marker_character_reaches_any_hosted_export(publication, run):
    """Every file of every hosted export: subjects in the platform's syntax, labels (names) filled, no marker."""
    from newsletter.exporters import TARGETS
    from tests.export_helpers import AUDIENCE

    root = _personal(publication)  # its newsletter.toml already hosts images under [images] base_url
    for platform in TARGETS:
        audience = ["--audience", AUDIENCE[platform]] if platform in AUDIENCE else []
        result = run("export", SUMMER, "--to", platform, *audience, cwd=root)
        assert result.exit_code == 0, (platform, result.output)
        for path in (root / "dist" / SUMMER / "export" / platform).rglob("*"):
            if path.is_file() and path.suffix in {".json", ".txt", ".html", ".eml", ".mbox"}:
                text = path.read_text(encoding="utf-8")
                assert OPEN not in text and CLOSE not in text, (platform, path.name)
