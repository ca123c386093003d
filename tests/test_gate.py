"""The send-day gate through the CLI: export and send-test stop on check errors and export on drafts."""

from __future__ import annotations

import email
import mailbox
from email import policy
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aiosmtpd", reason="aiosmtpd is a test dependency (pip install -e .[test])")

from tests.test_send_test import smtp_server  # noqa: F401  (the fixture: a real aiosmtpd server)

SUMMER = "2024-06-01-summer"
STORY = f"issues/{SUMMER}/01-ferry.md"


def _publication(publication: Any, error: bool = False, status: str | None = None) -> Path:
    """Return the clean check fixture, with a misspelt merge tag (a check error) and a status when asked."""
    root = publication("check-clean")
    if error:
        story = root / STORY
        story.write_text(story.read_text(encoding="utf-8") + "\nSee you soon, {{ frist_name }}.\n", encoding="utf-8")
    if status:
        meta = root / "issues" / SUMMER / "issue.toml"
        meta.write_text(meta.read_text(encoding="utf-8") + f'status = "{status}"\n', encoding="utf-8")
    return root


def _check_lines(run: Any, root: Path) -> list[str]:
    """Return the error lines (with their fix lines) that `newsletter check` prints for the issue."""
    lines = run("check", SUMMER, cwd=root).stdout.splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        if ": error: " in line:
            out += [line, *([lines[i + 1]] if i + 1 < len(lines) and lines[i + 1].startswith("      fix:") else [])]
    return out


def _send(run: Any, root: Path, port: int, *extra: str) -> Any:
    """Run send-test against the loopback server."""
    return run("send-test", SUMMER, "--to", "tester@example.net", "--smtp-host", "127.0.0.1", "--smtp-port",
               str(port), *extra, cwd=root)


def test_an_error_stops_export_and_prints_it_as_check_does(publication, run):
    root = _publication(publication, error=True)
    expected = _check_lines(run, root)
    assert expected and "frist_name" in expected[0]
    result = run("export", SUMMER, "--to", "eml", cwd=root)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{SUMMER}: 1 error, so export stops here (`newsletter check {SUMMER}` shows the same):"
    assert lines[1:3] == expected
    assert lines[-1] == "nothing was exported: fix the above, or add --force to export anyway"
    assert result.stdout == "" and not (root / "dist").exists()


def test_force_exports_and_says_what_it_overrode(publication, run):
    root = _publication(publication, error=True)
    expected = _check_lines(run, root)
    result = run("export", SUMMER, "--to", "eml", "--force", cwd=root)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[:3] == [f"--force: exported {SUMMER} despite 1 error:", *expected]
    message = email.message_from_bytes((root / "dist" / SUMMER / "export" / "eml" / f"{SUMMER}.eml").read_bytes(),
                                       policy=policy.default)
    assert "{{ frist_name }}" in message.get_body(("plain",)).get_content()  # what --force let through


def test_export_refuses_a_draft_and_says_how_to_mark_it_ready(publication, run):
    root = _publication(publication, status="draft")
    result = run("export", SUMMER, "--to", "eml", cwd=root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"issues/{SUMMER}/issue.toml:6: {SUMMER} is a draft (status = \"draft\"), and export refuses drafts: when "
        f"it is ready, run `newsletter status {SUMMER} ready` or set status = \"ready\" in issue.toml",
        "nothing was exported: fix the above, or add --force to export anyway",
    ]
    assert not (root / "dist").exists()
    forced = run("export", SUMMER, "--to", "eml", "--force", cwd=root)
    assert forced.exit_code == 0, forced.output
    assert forced.stderr.splitlines() == [f"--force: exported {SUMMER}, a draft (issues/{SUMMER}/issue.toml:6)"]
    assert run("status", SUMMER, "ready", cwd=root).exit_code == 0
    again = run("export", SUMMER, "--to", "eml", cwd=root)
    assert again.exit_code == 0 and again.stderr == ""


def test_warnings_are_one_line_and_never_block(publication, run):
    root = _publication(publication)
    story = root / STORY
    story.write_text(story.read_text(encoding="utf-8") + "\nThe the ferry is late.\n\nIt\u00a0 is late.\n",
                     encoding="utf-8")
    result = run("export", SUMMER, "--to", "eml", cwd=root)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{SUMMER}: 2 warnings, not blocking (`newsletter check {SUMMER}` lists them)\n"


def test_one_refused_issue_stops_an_export_of_several(publication, run):
    root = _publication(publication, error=True)
    assert run("new", "2024-06-08-next", cwd=root).exit_code == 0  # a draft full of placeholders
    result = run("export", "--all", "--to", "mbox", cwd=root)
    assert result.exit_code == 1
    assert f"{SUMMER}: 1 error, so export stops here" in result.stderr
    assert "2024-06-08-next: 6 errors" in result.stderr and "2024-06-08-next is a draft" in result.stderr
    assert not (root / "dist").exists()
    for_each = run("export", "--all", "--to", "eml", "--out", "out", cwd=root)
    assert for_each.exit_code == 1 and not (root / "out").exists()
    forced = run("export", "--all", "--to", "mbox", "--force", cwd=root)
    assert forced.exit_code == 0, forced.output
    assert len(mailbox.mbox(root / "dist" / "export" / "mbox" / "issues.mbox")) == 2


def test_an_error_stops_send_test_and_the_server_receives_nothing(publication, run, smtp_server):  # noqa: F811
    root = _publication(publication, error=True)
    inbox, port, _ = smtp_server()
    result = _send(run, root, port)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{SUMMER}: 1 error, so send-test stops here (`newsletter check {SUMMER}` shows the same):"
    assert lines[1:3] == _check_lines(run, root)
    assert lines[-1] == "nothing was sent: fix the above, or add --force to send anyway"
    assert inbox.messages == [] and result.stdout == ""
    forced = _send(run, root, port, "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stderr.startswith(f"--force: sent {SUMMER} despite 1 error:\n")
    assert len(inbox.messages) == 1


def test_send_test_works_on_a_draft(publication, run, smtp_server):  # noqa: F811
    root = _publication(publication, status="draft")
    inbox, port, _ = smtp_server()
    result = _send(run, root, port)
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and f"sent {SUMMER} to tester@example.net" in result.stdout
    (_, rcpt, content, _), = inbox.messages
    assert rcpt == ["tester@example.net"]
    assert email.message_from_bytes(content, policy=policy.default)["Subject"] == "[TEST] Summer arrives on the harbour"


def test_a_sent_issue_exports_with_a_note(publication, run):
    root = _publication(publication, status="sent")
    result = run("export", SUMMER, "--to", "eml", cwd=root)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"note: {SUMMER} is marked sent (status = \"sent\"); make sure it is not sent twice\n"
