"""Every bad input a writer can make: `path:line: message`, exit code, no traceback, previous output kept."""

from __future__ import annotations

from pathlib import Path

import pytest

SPRING = "2024-05-01-spring"
STORY = Path("issues") / SPRING / "01-lead.md"


@pytest.fixture
def pub(publication, run):
    """Return a fixture publication with one good build already in dist/."""
    root = publication()
    assert run("build", cwd=root).exit_code == 0
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Return every file of the previous good build."""
    out = root / "dist" / SPRING
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def fails(run, root: Path, expected: str, code: int = 1, *args: str) -> str:
    """Build, assert it fails with `expected` in stderr, no traceback, and the old output intact."""
    before = snapshot(root)
    result = run("build", *args, cwd=root)
    assert result.exit_code == code, result.output
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert snapshot(root) == before, "a failed build must leave the previous good output untouched"
    leftovers = [p.name for p in (root / "dist").iterdir() if p.name.endswith(".tmp") or ".old-" in p.name]
    assert leftovers == []
    return result.stderr


def edit(root: Path, relative: Path | str, text: str | bytes) -> None:
    """Overwrite a file of the publication."""
    path = root / relative
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def test_malformed_yaml_front_matter(pub, run):
    edit(pub, STORY, "---\ntitle: Fine\nbyline: [unclosed\n---\nBody text.\n")
    err = fails(run, pub, f"{STORY}:")
    assert "invalid YAML front matter" in err
    line = int(err.split(f"{STORY}:")[1].split(":")[0])
    assert line in (3, 4)


def test_front_matter_that_is_not_a_mapping(pub, run):
    edit(pub, STORY, "---\n- just\n- a list\n---\nBody.\n")
    fails(run, pub, f"{STORY}:2: front matter must be `key: value` lines")


def test_front_matter_never_closed(pub, run):
    edit(pub, STORY, "---\ntitle: Open\nBody.\n")
    fails(run, pub, f"{STORY}:1: front matter opened with `---` on line 1 is never closed")


def test_malformed_issue_toml(pub, run):
    toml = Path("issues") / SPRING / "issue.toml"
    edit(pub, toml, 'subject = "ok"\npreheader = "unterminated\n')
    fails(run, pub, f"{toml}:2: invalid TOML")


def test_malformed_newsletter_toml(pub, run):
    edit(pub, "newsletter.toml", '[publication]\nname = "X"\nurl = \n')
    fails(run, pub, "newsletter.toml:3: invalid TOML")


def test_missing_subject(pub, run):
    toml = Path("issues") / SPRING / "issue.toml"
    edit(pub, toml, "date = 2024-05-01\n")
    fails(run, pub, f"{toml}: missing `subject")


def test_missing_publication_name(pub, run):
    edit(pub, "newsletter.toml", '[publication]\nurl = "https://x.example"\n')
    fails(run, pub, "newsletter.toml:1: [publication] needs `name")


def test_story_without_title(pub, run):
    edit(pub, STORY, "---\nbyline: Someone\n---\nText without a headline.\n")
    fails(run, pub, f"{STORY}:1: the story has no title")


def test_empty_story(pub, run):
    edit(pub, STORY, "\n  \n")
    fails(run, pub, f"{STORY}:1: the story is empty")


def test_not_utf8(pub, run):
    edit(pub, STORY, "---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    fails(run, pub, f"{STORY}:2: not UTF-8 text")


def test_missing_image(pub, run):
    edit(pub, STORY, "---\ntitle: T\n---\nText.\n\n![Gone](images/missing.png)\n")
    fails(run, pub, f"{STORY}:6: image 'images/missing.png' not found")


def test_image_outside_the_issue_is_refused_without_reading(pub, run):
    edit(pub, STORY, "---\ntitle: T\nimage: ../../../../../../etc/passwd\nimage_alt: x\n---\nText.\n")
    err = fails(run, pub, f"{STORY}:3: image path '../../../../../../etc/passwd' is outside the issue folder")
    assert "root:" not in err


def test_absolute_image_path_is_refused(pub, run):
    edit(pub, STORY, "---\ntitle: T\n---\nText.\n\n![x](/etc/hostname)\n")
    fails(run, pub, "is outside the issue folder")


def test_file_that_is_not_an_image(pub, run):
    (pub / "issues" / SPRING / "images" / "fake.png").write_text("not a picture")
    edit(pub, STORY, "---\ntitle: T\n---\nText.\n\n![x](images/fake.png)\n")
    fails(run, pub, "cannot be read as an image")


def test_bad_kind(pub, run):
    edit(pub, STORY, "---\ntitle: T\nkind: feature\n---\nText.\n")
    fails(run, pub, f"{STORY}:3: `kind: feature` is not a story kind")


def test_missing_newsletter_toml(run, tmp_path):
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    result = run("build", cwd=empty)
    assert result.exit_code == 1
    assert "no newsletter.toml here or in any parent folder" in result.stderr
    assert "newsletter init" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_issue_is_a_usage_error(pub, run):
    err = fails(run, pub, "no issue named '2024-05-01-sprung'", 2, "2024-05-01-sprung")
    assert "did you mean '2024-05-01-spring'?" in err


def test_template_syntax_error_names_template_and_line(pub, run):
    (pub / "templates").mkdir()
    edit(pub, "templates/footer.mjml", "<mj-section>\n<mj-column>\n{% if %}\n</mj-column></mj-section>\n")
    fails(run, pub, "templates/footer.mjml:3: template syntax error")


def test_template_undefined_value_names_template_and_line(pub, run):
    (pub / "templates").mkdir()
    edit(pub, "templates/footer.mjml", "<mj-section><mj-column>\n<mj-text>{{ publication.nmae }}</mj-text>\n"
         "</mj-column></mj-section>\n")
    fails(run, pub, "templates/footer.mjml:2: template error:")


def test_mjml_error_names_the_line_of_the_failed_mjml(pub, run):
    (pub / "templates").mkdir()
    edit(pub, "templates/footer.mjml", "<mj-section>\n<mj-column>\n<mj-text>unclosed\n</mj-column></mj-section>\n")
    err = fails(run, pub, "dist/.failed/2024-05-01-spring/email.mjml:")
    assert "MJML error" in err and "mj-text" in err
    failed = (pub / "dist" / ".failed" / SPRING / "email.mjml").read_text().split("\n")
    line = int(err.split("email.mjml:")[1].split(":")[0])
    assert "<mj-text>unclosed" in failed[line - 1]


def test_all_problems_of_an_issue_are_reported_at_once(pub, run):
    edit(pub, STORY, "---\nbyline: x\n---\nNo title here.\n")
    edit(pub, Path("issues") / SPRING / "02-markets.md", "# T\n\n![a](images/nope.png)\n")
    err = fails(run, pub, "the story has no title")
    assert "images/nope.png' not found" in err


def test_unknown_keys_are_warnings_with_lines_and_the_build_goes_on(pub, run):
    edit(pub, STORY, "---\ntitel: Typo\ntitle: Real\n---\nText.\n")
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + "\n[theme]\naccent_colour = \"#000\"\n")
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    assert f"{STORY}:2: warning: unknown front-matter key `titel`; did you mean `title`?" in result.stderr
    assert "newsletter.toml:12: warning: unknown key `accent_colour` in [theme]; did you mean `accent_color`?" in (
        result.stderr
    )


def test_verbose_shows_the_traceback(pub, run):
    edit(pub, STORY, "---\ntitle: [\n---\nx\n")
    result = run("--verbose", "build", cwd=pub)
    assert result.exit_code == 1
    assert "Traceback" in result.stderr


def test_build_all_builds_good_issues_and_reports_bad_ones(pub, run):
    import shutil

    shutil.copytree(pub / "issues" / SPRING, pub / "issues" / "2024-06-01-broken")
    edit(pub, Path("issues") / "2024-06-01-broken" / "01-lead.md", "---\ntitle: [\n---\nx\n")
    result = run("build", "--all", cwd=pub)
    assert result.exit_code == 1
    assert "issues/2024-06-01-broken/01-lead.md:2" in result.stderr
    assert (pub / "dist" / SPRING / "email.html").is_file()
    assert not (pub / "dist" / "2024-06-01-broken").exists()


def test_empty_subject(pub, run):
    toml = Path("issues") / SPRING / "issue.toml"
    edit(pub, toml, 'date = 2024-05-01\nsubject = "  "\n')
    fails(run, pub, f"{toml}:2: `subject` is empty")


def test_wrong_value_types_in_issue_toml(pub, run):
    toml = Path("issues") / SPRING / "issue.toml"
    edit(pub, toml, 'subject = "S"\nnumber = "seven"\ndate = "yesterday"\n')
    err = fails(run, pub, f"{toml}:2: `number` must be a whole number")
    assert f"{toml}:3: `date` must be a date like 2024-03-23" in err


def test_stories_list_naming_a_missing_file(pub, run):
    toml = Path("issues") / SPRING / "issue.toml"
    edit(pub, toml, 'subject = "S"\nstories = ["01-lead.md", "09-gone.md"]\n')
    fails(run, pub, f"{toml}:2: `stories` names '09-gone.md', which is not a story file in this folder")


def test_wrong_value_types_in_newsletter_toml(pub, run):
    edit(pub, "newsletter.toml", '[publication]\nname = "X"\n\n[text]\nwidth = "wide"\n')
    fails(run, pub, "newsletter.toml:5: `width` must be a whole number")


def test_issue_without_stories(pub, run):
    folder = pub / "issues" / SPRING
    for story in folder.glob("0*"):
        story.unlink()
    fails(run, pub, f"issues/{SPRING}: the issue has no stories")
