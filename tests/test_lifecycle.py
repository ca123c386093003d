"""An issue's lifecycle (`status` in issue.toml) and the send-day gate."""

from __future__ import annotations

from pathlib import Path

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
