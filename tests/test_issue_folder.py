"""All problems at once (warnings beside errors), and files in an issue folder that are not stories."""

from __future__ import annotations

from pathlib import Path

SPRING = "2024-05-01-spring"
SUMMER = "2024-06-01-summer"


def test_build_prints_warnings_together_with_errors(publication, run):
    root = publication()
    story = root / "issues" / SPRING / "02-markets.md"
    story.write_text("---\ntitel: Markets\n---\n# Markets\n\n![A stall](images/missing.png)\n", encoding="utf-8")
    result = run("build", SPRING, cwd=root)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    where = f"issues/{SPRING}/02-markets.md"
    warning = f"{where}:2: warning: unknown front-matter key `titel`; did you mean `title`?"
    error = f"{where}:6: image 'images/missing.png' not found"
    assert warning in lines and any(line.startswith(error) for line in lines)
    assert lines.index(warning) + 1 == next(i for i, line in enumerate(lines) if line.startswith(error))


def test_a_misspelt_subject_is_named_next_to_the_missing_subject(publication, run):
    root = publication()
    meta = root / "issues" / SPRING / "issue.toml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("subject =", "subjet ="), encoding="utf-8")
    result = run("build", SPRING, cwd=root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"issues/{SPRING}/issue.toml:1: missing `subject = \"…\"`: every issue needs a subject line (is `subjet` "
        "meant to be `subject`?)",
        f"issues/{SPRING}/issue.toml:1: warning: unknown key `subjet`; did you mean `subject`?",
    ]
    check = run("check", SPRING, cwd=root)
    assert "issue.toml: error: the issue has no subject line [deliverability/no-subject]" in check.stdout
    assert "issue.toml:1:1: warning: unknown key `subjet`; did you mean `subject`? [content/warning]" in check.stdout


def test_config_warnings_are_printed_with_config_errors(publication, run):
    root = publication()
    config = root / "newsletter.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[publication]\nname = ", "[publication]\nnmae = "),
                      encoding="utf-8")
    result = run("build", cwd=root)
    assert result.exit_code == 1
    assert "warning: unknown key `nmae`" in result.stderr
    assert "name" in result.stderr.replace("nmae", "")


def _folder(root: Path) -> Path:
    """Fill the summer issue with files that are not stories, and some that are fine where they are."""
    folder = root / "issues" / SUMMER
    for name in ("08-from-word.docx", "notes.markdown", "page.html", "scan.pdf", "README", "draft.rtf",
                 "_notes.docx", ".DS_Store", "Thumbs.db", "~$om-word.docx", "03-market.md~", "photo.jpg"):
        (folder / name).write_bytes(b"x")
    (folder / "old").mkdir()
    (folder / "_archive").mkdir()
    return folder


def test_files_that_are_not_stories_are_named_with_what_to_do(publication, run):
    root = publication("check-clean")
    _folder(root)
    result = run("build", SUMMER, cwd=root)
    assert result.exit_code == 0, result.output
    where = f"issues/{SUMMER}"
    unread = "; or start its name with _ to keep it here unread"
    warnings = [line for line in result.stderr.splitlines() if line.startswith(where)]
    assert warnings == [
        f"{where}/08-from-word.docx: warning: 08-from-word.docx is not a story: save it as .md or .txt (in your "
        f"word processor: Save As, Plain Text){unread}",
        f"{where}/README: warning: README is not a story: save it as .md or .txt{unread}",
        f"{where}/draft.rtf: warning: draft.rtf is not a story: save it as .md or .txt (in your word processor: "
        f"Save As, Plain Text){unread}",
        f"{where}/notes.markdown: warning: notes.markdown is not a story: rename it to notes.md (stories are .md "
        f"or .txt){unread}",
        f"{where}/old: warning: old/ is a folder the issue does not read: stories go directly in the issue folder, "
        f"images in images/{unread}",
        f"{where}/page.html: warning: page.html is not a story: save it as .md (Markdown allows raw HTML) or "
        f".txt{unread}",
        f"{where}/scan.pdf: warning: scan.pdf is not a story: copy its text into a .md or .txt file{unread}",
    ]
    check = run("check", SUMMER, cwd=root)
    assert check.exit_code == 0 and "7 warnings" in check.stdout.splitlines()[0]
    assert "08-from-word.docx is not a story" in check.stdout
