"""An issue's lifecycle (`status` in issue.toml) and the send-day gate."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest

from newsletter.build import build_issue
from newsletter.config import load_settings
from newsletter.gate import gate

SPRING = "2024-05-01-spring"
SUMMER = "2024-06-01-summer"


def _set(root: Path, line: str) -> None:
    meta = root / "issues" / SPRING / "issue.toml"
    meta.write_text(line + "\n" + meta.read_text(encoding="utf-8"), encoding="utf-8")


def test_an_issue_without_status_is_ready_and_the_key_is_read(publication):
    root = publication()
    settings = load_settings(root)
    assert build_issue(settings, root / "issues" / SPRING).issue.status == "ready"
    _set(root, 'status = "draft"')
    assert build_issue(settings, root / "issues" / SPRING).issue.status == "draft"


def test_an_unknown_status_is_an_error_at_its_line(publication, run):
    root = publication()
    _set(root, 'status = "done"')
    result = run("build", cwd=root)
    assert result.exit_code == 1
    assert f"issues/{SPRING}/issue.toml:1: `status = 'done'` is not a status" in result.stderr


def test_the_gate_reports_check_errors_of_what_is_about_to_go_out(publication):
    root = publication("check-clean")
    folder = root / "issues" / SUMMER
    assert not gate(build_issue(load_settings(root), folder)).findings
    story = folder / "01-ferry.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nHello {{ frist_name }}.\n", encoding="utf-8")
    verdict = gate(build_issue(load_settings(root), folder))
    assert verdict.blocked
    assert [f.rule for f in verdict.errors] == ["mergetags/unknown"]


def test_new_writes_a_draft_dated_by_its_slug_and_numbered_after_the_highest(publication, run):
    root = publication()  # its one issue is number 7
    result = run("new", "2024-06-15-midsummer", cwd=root)
    assert result.exit_code == 0, result.output
    folder = root / "issues" / "2024-06-15-midsummer"
    meta = tomllib.loads((folder / "issue.toml").read_text(encoding="utf-8"))
    assert (meta["status"], meta["date"], meta["number"]) == ("draft", dt.date(2024, 6, 15), 8)
    assert result.stdout.splitlines()[:3] == [
        "created issues/2024-06-15-midsummer/ (number 8, dated 2024-06-15, draft):",
        "  issues/2024-06-15-midsummer/issue.toml  subject, preheader, date, number, intro, status",
        "  issues/2024-06-15-midsummer/01-lead.md  a story",
    ]
    assert run("new", "2024-07-01-later", cwd=root).exit_code == 0
    assert tomllib.loads((root / "issues" / "2024-07-01-later" / "issue.toml").read_text())["number"] == 9


def test_new_without_a_date_in_the_slug_is_dated_today(publication, run):
    root = publication()
    assert run("new", "special-edition", cwd=root).exit_code == 0
    meta = tomllib.loads((root / "issues" / "special-edition" / "issue.toml").read_text(encoding="utf-8"))
    assert meta["date"] == dt.date.today()


@pytest.mark.parametrize(("slug", "message"), [
    ("2024-02-30-leap", "'2024-02-30-leap' starts with 2024-02-30, which is not a real date (February 2024 has "
                        "29 days)"),
    ("2023-02-29-leap", "(February 2023 has 28 days)"),
    ("2024-13-01-x", "(there is no month 13)"),
    ("2024-3-5-x", "'2024-3-5-x' starts with a date written 2024-3-5; write it as YYYY-MM-DD: 2024-03-05-x"),
])
def test_new_refuses_a_slug_whose_date_is_not_real(publication, run, slug, message):
    root = publication()
    result = run("new", slug, cwd=root)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (root / "issues" / slug).exists()


def test_status_command_changes_only_the_status_line(publication, run):
    root = publication()
    meta = root / "issues" / SPRING / "issue.toml"
    original = meta.read_bytes().decode("utf-8")
    edited = original.replace("number = 7\n", "number = 7\r\nstatus = 'draft'   # not yet: waiting for the photos\r\n")
    meta.write_bytes(("# the spring issue\n" + edited).encode("utf-8"))
    meta.chmod(0o640)
    before = meta.read_bytes()
    result = run("status", SPRING, "ready", cwd=root)
    assert result.exit_code == 0, result.output
    line = before.count(b"\n", 0, before.index(b"status")) + 1
    assert result.stdout.startswith(f"{SPRING}: draft → ready (issues/{SPRING}/issue.toml:{line})")
    after = meta.read_bytes()
    assert after == before.replace(b"status = 'draft'", b"status = 'ready'")  # quotes, comment, CRLF kept
    assert meta.stat().st_mode & 0o777 == 0o640
    assert run("status", SPRING, "ready", cwd=root).stdout.startswith(f"{SPRING} is already ready")
    assert meta.read_bytes() == after


def test_status_command_adds_the_line_when_there_is_none(publication, run):
    root = publication()
    meta = root / "issues" / SPRING / "issue.toml"
    before = meta.read_text(encoding="utf-8")
    assert "status" not in before
    result = run("status", SPRING, "draft", cwd=root)
    assert result.exit_code == 0, result.output
    assert "ready (no status line) → draft" in result.stdout
    after = meta.read_text(encoding="utf-8")
    assert after.startswith(before) and after[len(before):].strip() == 'status = "draft"'
    assert tomllib.loads(after) == {**tomllib.loads(before), "status": "draft"}
    listing = run("status", cwd=root)
    assert listing.exit_code == 0 and listing.stdout == f"{SPRING}  draft\n"


def test_status_command_lists_and_refuses_what_it_cannot_do(publication, run):
    root = publication()
    assert run("status", cwd=root).stdout == f"{SPRING}  ready  (no status line: ready)\n"
    assert run("status", SPRING, cwd=root).stdout == f"{SPRING}: ready (no status line: ready)\n"
    assert run("status", SPRING, "done", cwd=root).exit_code == 2
    meta = root / "issues" / SPRING / "issue.toml"
    meta.write_text(meta.read_text(encoding="utf-8") + 'status = """draft"""\n', encoding="utf-8")
    before = meta.read_bytes()
    result = run("status", SPRING, "ready", cwd=root)
    assert result.exit_code == 1
    assert f"issues/{SPRING}/issue.toml:" in result.stderr and 'write `status = "ready"`' in result.stderr
    assert meta.read_bytes() == before


def test_build_and_check_show_the_status(publication, run):
    root = publication("check-clean")
    assert ", ready" in run("build", SUMMER, cwd=root).stdout
    assert run("check", SUMMER, cwd=root).stdout.startswith(f"== {SUMMER} (ready): 0 errors")
    assert run("status", SUMMER, "draft", cwd=root).exit_code == 0
    built = run("build", SUMMER, cwd=root)
    assert built.stdout.startswith(f"built dist/{SUMMER}/email.html") and built.stdout.rstrip().endswith(", draft")
    assert run("check", SUMMER, cwd=root).stdout.startswith(f"== {SUMMER} (draft): 0 errors")
    manifest = json.loads((root / "dist" / SUMMER / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "draft"


def test_check_json_carries_the_status(publication, run):
    import json

    root = publication("check-clean")
    meta = root / "issues" / SUMMER / "issue.toml"
    meta.write_text('status = "sent"\n' + meta.read_text(encoding="utf-8"), encoding="utf-8")
    result = run("check", SUMMER, "--format", "json", cwd=root)
    assert json.loads(result.stdout)["issues"][0]["status"] == "sent"
