"""`check` on long, messy digests (tests/fixtures/check-digests): the real slips and nothing else."""

from __future__ import annotations

from collections import Counter

from tests.check_helpers import check_json, findings

SLIPS = {  # one of each per issue, in 01-news.md
    ("editorial/conflicting-figures", "warning"), ("editorial/repeated-word", "warning"),
    ("links/insecure", "warning"), ("links/empty", "error"), ("links/malformed", "error"),
    ("links/vague-text", "warning"), ("editorial/repeated-paragraph", "error"),
}


def test_digests_report_the_slips_and_no_false_alarms(publication, run) -> None:
    """About 230 links per issue, listings, versions, percent-encoded URLs, four languages, pasted HTML."""
    document, code = check_json(run, publication("check-digests"), "--all")
    assert len(document["issues"]) == 3
    for issue in document["issues"]:
        shown = [f for f in issue["findings"] if f["level"] in {"error", "warning"}]
        news = {(f["rule"], f["level"]) for f in shown if f["path"].endswith("01-news.md")
                and not f["rule"].startswith(("editorial/long-story", "deliverability/"))}
        assert news == SLIPS, shown
        others = Counter(f["rule"] for f in shown if not f["path"].endswith("01-news.md"))
        assert set(others) <= {"editorial/long-story", "deliverability/gmail-clipping"}, others
        notes = [f for f in issue["findings"] if f["level"] == "info"]
        assert notes and {f["rule"] for f in notes} == {"editorial/repeated-paragraph"}  # listings twice
        assert all("under another heading" in f["message"] for f in notes)
    assert all(f["column"] for f in findings(document) if f["line"])
    assert code == 1
