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


def test_out_never_replaces_a_folder_it_did_not_write(pub, run):
    (pub / "notes").mkdir()
    (pub / "notes" / "keep.txt").write_text("mine")
    result = run("export", SPRING, "--to", "eml", "--force", "--out", "notes", cwd=pub)
    assert result.exit_code == 2
    assert "is not empty and was not written by newsletter" in result.stderr
    assert (pub / "notes" / "keep.txt").read_text() == "mine"
    result = run("export", SPRING, "--to", "eml", "--force", "--out", ".", cwd=pub)
    assert result.exit_code == 2 and (pub / "newsletter.toml").is_file()
    result = run("build", "--out", "issues", cwd=pub)
    assert result.exit_code == 2 and "not written by newsletter" in result.stderr
    assert (pub / "issues" / SPRING / "01-lead.md").is_file(), "the stories are still there"


def test_one_kind_of_output_never_replaces_another(pub, run):
    assert run("archive", "--drafts", "--out", "dist/site", cwd=pub).exit_code == 0  # --drafts: despite its errors
    result = run("build", "--out", "dist/site", cwd=pub)
    assert result.exit_code == 2, "dist/site/<slug> holds the archive's page for the issue"
    assert (pub / "dist" / "site" / SPRING / "index.html").is_file()
    result = run("export", SPRING, "--to", "eml", "--force", "--out", f"dist/{SPRING}", cwd=pub)
    assert result.exit_code == 2 and "holds build output" in result.stderr
    assert (pub / "dist" / SPRING / "email.html").is_file()


def test_a_rebuild_keeps_the_exports(pub, run):
    assert run("export", SPRING, "--to", "eml", "--force", cwd=pub).exit_code == 0
    assert run("build", cwd=pub).exit_code == 0
    assert (pub / "dist" / SPRING / "export" / "eml" / f"{SPRING}.eml").is_file()


def test_pasted_marker_characters_are_plain_text(pub, run):
    edit(pub, STORY, "---\ntitle: T\n---\nA \ue000bogus\ue001 and \ue000email\ue001 pasted.\n")
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    html = (pub / "dist" / SPRING / "email.html").read_text()
    assert "A bogus and email pasted." in html and "reader@example.com pasted" not in html


def test_front_matter_link_must_be_a_web_address(pub, run):
    edit(pub, STORY, '---\ntitle: T\nlink: "javascript:alert(document.cookie)"\n---\nText.\n')
    fails(run, pub, f"{STORY}:3: `link: javascript:alert(document.cookie)` must be a full web address")


def test_config_values_in_html_are_escaped(pub, run):
    config = pub / "newsletter.toml"
    config.write_text(config.read_text().replace('postal_address = "1 Test Street, Testville"',
                                                 'postal_address = "Bell & Sons <Unit 4>, Testville"'))
    assert run("build", cwd=pub).exit_code == 0
    html = (pub / "dist" / SPRING / "email.html").read_text()
    assert "Bell &amp; Sons &lt;Unit 4&gt;, Testville" in html


def test_bad_addresses_in_the_config(pub, run):
    config = pub / "newsletter.toml"
    config.write_text(config.read_text().replace('from_email = "editor@fixture.example.org"',
                                                 'from_email = "a@b@c"').replace(
        'subscribe_url = "https://fixture.example.org/subscribe"', 'subscribe_url = "fixture.example.org"'))
    err = fails(run, pub, "newsletter.toml:4: `subscribe_url` must be a web address starting with https://")
    assert "newsletter.toml:7: `from_email` must be one email address" in err


def test_subject_on_one_line(pub, run):
    toml = Path("issues") / SPRING / "issue.toml"
    edit(pub, toml, 'subject = "two\\nlines"\n')
    fails(run, pub, f"{toml}:1: `subject` must be one line of text")


def test_story_links_out_of_the_folder_and_repeated_stories(pub, run, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret\n\nSECRET=hunter2\n")
    (pub / "issues" / SPRING / "05-link.txt").symlink_to(secret)
    err = fails(run, pub, "05-link.txt: this story is a link to a file outside the issue folder")
    assert "hunter2" not in err
    (pub / "issues" / SPRING / "05-link.txt").unlink()
    toml = Path("issues") / SPRING / "issue.toml"
    edit(pub, toml, 'subject = "S"\nstories = ["01-lead.md", "01-lead.md"]\n')
    fails(run, pub, f"{toml}:2: `stories` names '01-lead.md' twice")


def test_upper_case_suffix_and_invisible_title(pub, run):
    edit(pub, Path("issues") / SPRING / "04-shout.MD", "---\ntitle: \u200b\n---\nText.\n")
    fails(run, pub, f"issues/{SPRING}/04-shout.MD:1: the story has no title")


def test_local_image_in_raw_html_is_reported(pub, run):
    edit(pub, STORY, '---\ntitle: T\n---\nText.\n\n<p><img src="images/tree.png" alt="x"></p>\n')
    fails(run, pub, f"{STORY}:6: <img src='images/tree.png'> in raw HTML is not processed")
