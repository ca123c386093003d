"""`newsletter check` end to end: the seed story, text and JSON output, exit codes, refused issues, build's summary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newsletter.build import build_issue
from newsletter.checks import Finding, check_issue, check_rendered, summarise
from newsletter.config import load_settings
from tests.check_helpers import CLEAN, ISSUE, apply, check_json, findings, places

SEED_ISSUE = "issues/2024-03-23-crocus"
SEED_STORY = "01-crocus-city-hall.txt"


@pytest.fixture
def seed_pub(publication, shared_dir: Path) -> Path:
    """Return the check-seed publication holding the seed story as writers sent it."""
    pub = publication("check-seed")
    shutil.copyfile(shared_dir / "seed" / "crocus-city-hall.txt", pub / SEED_ISSUE / SEED_STORY)
    return pub


def test_seed_story_editorial_findings_with_their_lines(seed_pub: Path, run) -> None:
    """The seed's four slips: repeated paragraph, own subscribe line, 182 vs 183 injured, double space."""
    document, code = check_json(run, seed_pub)
    editorial = sorted((f["rule"], Path(f["path"]).name, f["line"]) for f in findings(document)
                       if f["rule"].startswith("editorial/"))
    assert editorial == sorted([
        ("editorial/repeated-paragraph", SEED_STORY, 19),
        ("editorial/own-subscribe-line", SEED_STORY, 41),
        ("editorial/conflicting-figures", SEED_STORY, 5),
        ("editorial/double-space", SEED_STORY, 27),
    ])
    messages = {f["rule"]: f["message"] for f in findings(document)}
    assert "line 3" in messages["editorial/repeated-paragraph"]
    assert "183" in messages["editorial/conflicting-figures"]
    assert "182" in messages["editorial/conflicting-figures"]
    assert "line 1" in messages["editorial/conflicting-figures"]
    assert code == 1  # the repeated paragraph is an error


def test_seed_text_output_points_at_story_lines(seed_pub: Path, run) -> None:
    """Text output names story file and line, the rule, and a fix; reading time per story and issue."""
    result = run("check", cwd=seed_pub)
    out = result.stdout
    story = f"{SEED_ISSUE}/{SEED_STORY}"
    assert f"{story}:19:1: error: this paragraph repeats the one on line 3" in out
    assert f"{story}:41:1: warning:" in out
    assert f"{story}:5:140: warning:" in out  # at the figure: “…injuring 183 others”
    assert f"{story}:27:89: warning:" in out  # at the no-break space and space
    assert "fix: delete one of the two copies" in out
    assert "reading time: about 2 min" in out
    assert f"{SEED_STORY}: 2 min, 411 words" in out
    assert "newest issue: 2024-03-23-crocus" in result.stderr
    assert "email.html" not in out.split("reading time")[0]  # findings never point at generated files


def test_text_output_groups_findings_by_file(publication, run) -> None:
    """Findings of one file are together, files separated by a blank line, in issue order."""
    pub = apply(publication(CLEAN), {
        "ISSUE/02-lido.txt": "The Lido Reopens\n\nThe the pool reopens.\n\nIt\u00a0 opens at 7am.\n",
        "ISSUE/03-market.md": "# Market\n\n[click here](http://market.example.org)\n",
        "ISSUE/issue.toml": lambda t: t.replace('"Summer arrives on the harbour"', '"SUMMER ON THE HARBOUR"'),
    })
    out = run("check", "--strict", cwd=pub).stdout
    lines = [line for line in out.splitlines() if ": warning:" in line or ": error:" in line or not line.strip()]
    files = [line.split(":")[0].strip() for line in lines if line.strip()]
    assert files == [f"{ISSUE}/issue.toml", f"{ISSUE}/02-lido.txt", f"{ISSUE}/02-lido.txt",
                     f"{ISSUE}/03-market.md", f"{ISSUE}/03-market.md"]
    blocks = "\n".join(lines).split("\n\n")
    assert len([b for b in blocks if b.strip()]) == 3


def test_exit_codes(publication, run) -> None:
    """0 when clean or only warnings; 1 on an error, or on a warning with --strict; 2 for an unknown issue."""
    pub = publication(CLEAN)
    assert run("check", cwd=pub).exit_code == 0
    apply(pub, {"ISSUE/02-lido.txt": "Lido\n\nIt\u00a0 opens.\n"})
    assert run("check", cwd=pub).exit_code == 0
    assert run("check", "--strict", cwd=pub).exit_code == 1
    failed = apply(pub, {"ISSUE/03-market.md": "# Market\n\n![](images/boat.png)\n"})
    assert run("check", cwd=failed).exit_code == 1
    result = run("check", "no-such-issue", cwd=failed)
    assert result.exit_code == 2
    assert "no issue named 'no-such-issue'" in result.stderr


def test_json_output_validates_against_schema(seed_pub: Path, publication, run) -> None:
    """The JSON document validates (check_json) and its counts add up, across several issues."""
    folder = seed_pub / "issues" / "2024-03-24-after"
    shutil.copytree(seed_pub / SEED_ISSUE, folder)
    (folder / "02-empty.md").write_text("", encoding="utf-8")
    document, code = check_json(run, seed_pub, "--all")
    assert [i["slug"] for i in document["issues"]] == ["2024-03-23-crocus", "2024-03-24-after"]
    for issue in document["issues"]:
        counted = {level: sum(f["level"] == level for f in issue["findings"]) for level in issue["counts"]}
        assert counted == issue["counts"]
    total = {level: sum(i["counts"][level] for i in document["issues"]) for level in ("error", "warning", "info")}
    assert document["counts"] == total
    first = document["issues"][0]
    assert first["stories"][0] == {"file": SEED_STORY, "title": first["stories"][0]["title"], "words": 411,
                                   "reading_minutes": 2, "html_bytes": first["stories"][0]["html_bytes"]}
    assert first["html_bytes"] > first["stories"][0]["html_bytes"] > 1000
    assert code == 1


def test_refused_issue_still_gets_every_rule(publication, run) -> None:
    """An issue the loader refuses (empty and untitled stories) is still checked story by story."""
    pub = apply(publication(CLEAN), {
        "ISSUE/04-empty.md": "",
        "ISSUE/05-untitled.md": "A story with no heading and a [link](#).\n",
        "ISSUE/06-ok.txt": "Fine\n\nThe the harbour.\n",
    })
    assert run("build", cwd=pub).exit_code == 1  # the loader refuses it
    document, code = check_json(run, pub)
    assert ("04-empty.md", 1) in places(document, "editorial/empty-story")
    assert ("05-untitled.md", 1) in places(document, "editorial/no-title")
    assert ("05-untitled.md", 1) in places(document, "links/empty")
    assert ("06-ok.txt", 3) in places(document, "editorial/repeated-word")
    # the loader's own messages about the same problems are not repeated
    assert places(document, "content/error") == []
    assert ("issue.toml", None) in places(document, "deliverability/not-measured")
    assert document["issues"][0]["html_bytes"] is None
    assert code == 1


def test_loader_problems_without_a_rule_are_kept(publication, run) -> None:
    """Problems only the loader knows (a missing image, an unknown key) are reported with their lines."""
    pub = apply(publication(CLEAN), {
        "ISSUE/04-case.md": "---\ntitle: Case\nimgae: x.png\n---\n![A map](images/missing.png)\n",
        "ISSUE/issue.toml": lambda text: text + "edition = 4\n",
    })
    document, _ = check_json(run, pub)
    assert ("04-case.md", 5) in places(document, "content/error")
    assert ("04-case.md", 3) in places(document, "content/warning")
    assert ("issue.toml", 6) in places(document, "content/warning")  # kept although the loader refused the issue


@pytest.mark.parametrize("subject", [None, '""', "7"])
def test_issue_without_a_subject_still_checks_preheader_and_intro(publication, run, subject: str | None) -> None:
    """A missing, empty or non-text subject is one error; the preheader and intro are checked all the same."""
    def edit(text: str) -> str:
        lines = [line for line in text.split("\n") if not line.startswith("subject")]
        head = [] if subject is None else [f"subject = {subject}"]
        return "\n".join([*head, *lines]).replace("Three stories this week.", "[Click here](https://check.example.org/x).")

    document, code = check_json(run, apply(publication(CLEAN), {"ISSUE/issue.toml": edit}))
    assert code == 1
    assert places(document, "links/vague-text") == [("issue.toml", 4 if subject is None else 5)]
    assert places(document, "deliverability/no-preheader") == []


@pytest.mark.parametrize("refused", [False, True])
def test_intro_links_are_tagged_as_build_tags_them(publication, run, refused: bool) -> None:
    """[links] UTM tags reach intro and story links alike, so one page linked from both is no mismatch."""
    pub = apply(publication(CLEAN), {
        "newsletter.toml": lambda text: text + '\n[links]\nutm_source = "weekly"\n',
        "ISSUE/issue.toml": lambda text: text.replace("Three stories this week.",
                                                      "See [the timetable](https://check.example.org/times)."),
        "ISSUE/04-case.md": "# Case\n\nThe [new timetable](https://check.example.org/times) is out.\n"
                            + ("\n![A map](images/missing.png)\n" if refused else ""),
    })
    document, _ = check_json(run, pub)
    assert bool(places(document, "content/error")) is refused
    assert places(document, "links/utm-mismatch") == []


def test_clipping_names_the_cost_of_each_story(publication, run) -> None:
    """Over 102 KB, the finding lists each story's KB, the links' tracking and the layout: what to cut."""
    paragraph = "The harbour board met again on Thursday and talked about the tides, boats and rents. " * 18
    pub = apply(publication(CLEAN), {f"ISSUE/1{i:02d}-x.txt": f"Extra {i}\n\n{paragraph}N{i}.\n" for i in range(42)})
    document, code = check_json(run, pub)
    clipped = [f for f in findings(document) if f["rule"] == "deliverability/gmail-clipping"]
    assert len(clipped) == 1
    assert clipped[0]["level"] == "error"
    message = clipped[0]["message"]
    assert "Stories " in message and "; links' tracking " in message and "; layout " in message
    assert message.count("-x.txt 2.") + message.count("-x.txt 1.") == 42, "every story with its KB"
    assert document["issues"][0]["html_bytes"] >= 102 * 1024
    assert code == 1


def test_check_rendered_and_summary_for_build(publication) -> None:
    """build can reuse its Rendered: check_rendered finds the slips, summarise prints them briefly."""
    pub = apply(publication(CLEAN), {"ISSUE/02-lido.txt": "Lido\n\nIt\u00a0 opens.\n\nThe the pool.\n"})
    settings = load_settings(pub)
    rendered = build_issue(settings, pub / ISSUE)
    found = check_rendered(rendered)
    assert [(f.rule, f.line) for f in found] == [("editorial/double-space", 3), ("editorial/repeated-word", 5)]
    assert found == check_issue(settings, pub / ISSUE)
    lines = summarise(found, pub)
    assert lines[0] == "check: 2 warnings (run `newsletter check` for the fixes)"
    assert lines[1].startswith(f"  {ISSUE}/02-lido.txt:3:3: warning: ")
    assert lines[1].endswith("[editorial/double-space]")
    assert summarise([], pub) == []
    many = [Finding("editorial/double-space", "warning", pub / "a.txt", n, "m", "f") for n in range(1, 15)]
    assert summarise([*many, Finding("x/y", "info", None, None, "i", "")], pub, limit=3)[-1] == "  … and 11 more"


def test_readme_schema_is_the_one_tests_validate_against() -> None:
    """The JSON Schema in the README's check section is exactly the schema the output is validated against."""
    import json
    import re

    from newsletter.checks.report import JSON_SCHEMA

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```json\n(.*?)```", readme, re.DOTALL) if JSON_SCHEMA["title"] in b]
    assert blocks, "README.md must show the `newsletter check --format json` schema"
    assert json.loads(blocks[0]) == JSON_SCHEMA


def test_build_prints_the_check_summary_and_still_builds(publication, run) -> None:
    """`newsletter build` prints check's warnings as path:line, writes the issue and exits 0."""
    pub = apply(publication(CLEAN), {"ISSUE/02-lido.txt": "Lido\n\nIt\u00a0 opens.\n\nThe the pool.\n"})
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    assert "check: 2 warnings (run `newsletter check` for the fixes)" in result.stderr
    assert f"{ISSUE}/02-lido.txt:3:3: warning: " in result.stderr
    assert f"{ISSUE}/02-lido.txt:5:5: warning: " in result.stderr
    assert (pub / "dist" / "2024-06-01-summer" / "email.html").is_file()
    clean = run("build", cwd=apply(pub, {"ISSUE/02-lido.txt": "Lido\n\nIt opens.\n\nThe pool.\n"}))
    assert clean.exit_code == 0
    assert "check:" not in clean.stderr
