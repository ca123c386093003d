"""editorial/placeholder: what init and new write for the editor to replace, and the marks writers leave."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newsletter import scaffold
from tests.check_helpers import check_json, findings
from tests.export_helpers import sample_publication

SUMMER = "2024-06-01-summer"
RULE = "editorial/placeholder"


def _placeholders(run: Any, root: Path, slug: str | None = None) -> list[tuple[str, int | None, str]]:
    """Return (path, line, message) of every placeholder finding of one issue (or all)."""
    result = run("check", *([slug] if slug else ["--all"]), "--format", "json", cwd=root)
    document = json.loads(result.stdout)
    return [(f["path"], f["line"], f["message"]) for f in findings(document) if f["rule"] == RULE]


def _story(root: Path, body: str, name: str = "04-case.md") -> str:
    """Add a Markdown story to the summer issue and return its path relative to the root."""
    path = root / "issues" / SUMMER / name
    path.write_text(body, encoding="utf-8")
    return path.relative_to(root).as_posix()


def test_a_fresh_new_issue_fails_check_with_every_placeholder(publication, run):
    root = publication("check-clean")
    assert run("new", "2024-06-08-next", cwd=root).exit_code == 0
    result = run("check", "2024-06-08-next", cwd=root)
    assert result.exit_code == 1
    meta, story = "issues/2024-06-08-next/issue.toml", "issues/2024-06-08-next/01-lead.md"
    assert [(path, line) for path, line, _ in _placeholders(run, root, "2024-06-08-next")] == [
        (meta, 1), (meta, 2), (meta, 7), (story, 2), (story, 3), (story, 6)]  # 7: the intro's text line
    text = result.stdout
    assert (f"  {meta}:1:1: error: “Write the subject line here” in the subject is placeholder text `newsletter new` "
            f"wrote [{RULE}]") in text
    assert f"  {story}:3:1: error: the byline “By …” is the placeholder `newsletter new` wrote [{RULE}]" in text
    assert "6 errors" in text.splitlines()[0]


def test_init_placeholders_are_errors_for_every_issue(run, tmp_path):
    assert run("init", "letter", cwd=tmp_path).exit_code == 0
    root = tmp_path / "letter"
    assert run("new", "2030-01-01-later", cwd=root).exit_code == 0
    found = _placeholders(run, root)
    config = [(path, line) for path, line, message in found if path == "newsletter.toml"]
    assert len(config) == 4, "postal address and example addresses, once per issue"
    postal = next(line for line, text in enumerate((root / "newsletter.toml").read_text().split("\n"), start=1)
                  if text.startswith("postal_address"))
    assert ("newsletter.toml", postal) in config
    assert any("unsubscribe_url" in message and "example.org" in message for _, _, message in found)
    # the sample's own text is placeholder text too (it says how the tool works)
    sample = [path for path, _, _ in found if "first-issue" in path]
    assert {Path(p).name for p in sample} >= {"01-welcome.md", "02-how-it-works.txt", "03-one-more-thing.md"}
    config_file = root / "newsletter.toml"
    config_file.write_text(config_file.read_text().replace(scaffold.POSTAL_PLACEHOLDER, "4 Quay Street, Bristol")
                           .replace("https://example.org/letter", "https://letter.example.net")
                           .replace(scaffold.EXAMPLE_SENDER, "editor@letter.example.net"))
    assert not [f for f in _placeholders(run, root) if f[0] == "newsletter.toml"]


@pytest.mark.parametrize(("body", "line", "words"), [
    ("The council will decide TK, the clerk said.", 3, "TK (“The council will decide TK, the clerk said.”)"),
    ("Figures: TKTK passengers a day.", 3, "TKTK"),
    ("Opening hours are XXX to XXX on weekdays.", 3, "XXX"),
    ("Call 0117 XXXX XXXX to book.", 3, "XXXX"),
    ("TODO: ask the operator about the winter fares.", 3, "TODO"),
    ("The first line.\n\nFIXME the quote below is from last year.", 5, "FIXME"),
    ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.", 3, "lorem ipsum"),
    ("The full report is online [link].", 3, "“[link]”"),
    ("The timetable (link) changes on Monday.", 3, "“(link)”"),
    ("Read the [full report](LINK_HERE) before Friday.", 3, "'LINK_HERE'"),
    ("Read the [full report](link) before Friday.", 3, "'link'"),
    ("Read the [full report](#url) before Friday.", 3, "'#url'"),
    ("Details at INSERT_URL from Monday.", 3, "“INSERT_URL”"),
    ('<p>Read <a href="ALL_CAPS_LINK_HERE">the report</a>.</p>', 3, "ALL_CAPS_LINK_HERE"),
])
def test_writers_placeholders_are_errors_at_their_line(publication, run, body, line, words):
    root = publication("check-clean")
    path = _story(root, f"# Ferry fares\n\n{body}\n")
    found = [(p, n, m) for p, n, m in _placeholders(run, root, SUMMER) if p == path]
    assert [(p, n) for p, n, _ in found] == [(path, line)], found
    assert words.casefold() in found[0][2].casefold()


def test_placeholders_in_subject_title_and_byline(publication, run):
    root = publication("check-clean")
    meta = root / "issues" / SUMMER / "issue.toml"
    meta.write_text(meta.read_text().replace("Summer arrives on the harbour", "Summer arrives TK"))
    story = _story(root, "---\ntitle: The lido reopens on TODO\nbyline: By TK\n---\nThe lido reopens.\n")
    assert [(p, n) for p, n, _ in _placeholders(run, root, SUMMER)] == [
        (f"issues/{SUMMER}/issue.toml", 1), (story, 2), (story, 3)]


# Real prose that looks like a placeholder and is not one: none of it may be reported.
NEAR_MISSES = """# Near misses

TK Maxx opens a second store on the high street; the TKO came in round three, and ATK won the cup.

Super Bowl XXX was played in Tempe, and the XXXL shirts sold out. The Spanish menu says todo incluido.

TODO INCLUIDO, SAYS THE HOTEL BANNER ON THE PROMENADE.

Set `TODO` markers in your code, or run `grep -n XXX src/` before each release; DATABASE_URL and BASE_URL
are settings, not links.

```python
# TODO: this comment explains software, in a code block
value = "XXX"  # TK
```

Read the [link](https://check.example.org/link) list, the [URL guide](https://check.example.org/url), and
the lorem-free [ipsum](https://check.example.org/ipsum) page. Fixes (linked below) land on Monday.

Le conseil a voté « tout » ; Zürich, Łódź and 東京 send their greetings, as does the TK-1 rocket team.
"""


def test_near_misses_on_real_prose_are_not_placeholders(publication, run):
    root = publication("check-clean")
    _story(root, NEAR_MISSES)
    assert _placeholders(run, root, SUMMER) == []


def test_real_publications_have_no_placeholders(publication, run, shared_dir, tmp_path):
    seed = publication("check-seed")  # the seed story as the writer sent it
    (seed / "issues" / "2024-03-23-crocus" / "01-crocus-city-hall.txt").write_text(
        (shared_dir / "seed" / "crocus-city-hall.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert _placeholders(run, seed) == []
    for name in ("text-issues", "text-constructs", "basic"):
        assert _placeholders(run, publication(name)) == [], name
    assert _placeholders(run, sample_publication(tmp_path)) == [], "the repository's sample publication"
    root = publication("check-clean")
    assert _placeholders(run, root) == []
    document, _ = check_json(run, root)
    assert findings(document) == [], "the clean fixture stays clean"


def test_the_rule_knows_every_text_scaffold_writes():
    texts = scaffold.placeholder_texts()
    assert scaffold.NEW_ISSUE["subject"] in texts and scaffold.NEW_STORY["body"] in texts
    assert any("{slug}" in text for text in texts), "init's lead names the slug"
    assert all(text.strip() == text and text for text in texts)
