"""`newsletter build` through the CLI on real fixture publications: good builds and every bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

SPRING = "2024-05-01-spring"


def built(pub: Path, slug: str = SPRING) -> Path:
    """Return the build folder of an issue."""
    return pub / "dist" / slug


def test_good_build_writes_every_output(publication, run):
    pub = publication()
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    out = built(pub)
    assert sorted(p.name for p in out.iterdir()) == [
        ".newsletter-build.json", ".newsletter-output", "email.html", "email.mjml", "email.txt", "images",
        "manifest.json"]
    assert (out / ".newsletter-output").read_text() == "build\n", "the marker that lets a rebuild replace it"
    assert re.search(rf"built dist/{SPRING}/email.html\s+\d+\.\d KB, 3 stories", result.stdout)
    html = (out / "email.html").read_text()
    for title in ("Blossom arrives late", "Market stalls return", "Rain Expected"):
        assert title in html
        assert title in (out / "email.txt").read_text()
    assert 'href="https://fixture.example.org/subscribe"' in html
    assert 'href="https://fixture.example.org/unsubscribe"' in html
    assert "Three stories about the season" in html.split("<body", 1)[1][:2000], "preheader is the first body text"
    assert '<html lang="en-GB"' in html
    assert "1 Test Street, Testville" in html
    assert "Good morning, reader." in html, "merge tag fallback rendered as a preview value"
    assert not re.search(r"<mj-", html)
    assert "\ue000" not in html and "\ue000" not in (out / "email.txt").read_text()


def test_theme_css_is_inlined_and_mjml_head_styles_survive(publication, run):
    pub = publication()
    assert run("build", cwd=pub).exit_code == 0
    html = (built(pub) / "email.html").read_text()
    assert re.search(r'<a href="https://fixture.example.org/stalls">', html), "body links: no inline style"
    assert re.search(r'class="nl-name" style=[^>]*font-size:30px', html)
    head = html.split("</head>", 1)[0]
    assert ".nl-text a { color: #0b57d0; text-decoration: underline; }" in head, "links styled from <head>"
    assert "letter-spacing: -0.5px" not in head, "the inlined theme CSS is not repeated in <head>"
    assert "@media only screen and (min-width:480px)" in head, "MJML's responsive media query"
    assert "#outlook a" in head, "MJML's client hacks"
    assert "prefers-color-scheme: dark" in head
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "data-premailer" not in html


def test_images_are_copied_with_hashed_names_and_sizes(publication, run):
    pub = publication()
    assert run("build", cwd=pub).exit_code == 0
    out = built(pub)
    names = [p.name for p in (out / "images").iterdir()]
    assert len(names) == 1 and re.fullmatch(r"[0-9a-f]{12}-tree\.png", names[0])
    html = (out / "email.html").read_text()
    for img in re.findall(r"<img [^>]*>", html):
        assert 'alt="' in img and 'width="' in img and 'height="' in img, img
    assert f'src="images/{names[0]}"' in html


def test_manifest_describes_the_build(publication, run):
    pub = publication()
    assert run("build", cwd=pub).exit_code == 0
    out = built(pub)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["slug"] == SPRING and manifest["subject"] == "Spring, mostly"
    assert manifest["date"] == "2024-05-01" and manifest["number"] == 7
    assert [s["file"] for s in manifest["stories"]] == ["01-lead.md", "02-markets.md", "03-brief.txt"]
    assert [s["kind"] for s in manifest["stories"]] == ["lead", "story", "story"]
    assert all(s["html_bytes"] > 500 for s in manifest["stories"])
    assert manifest["html_bytes"] == len((out / "email.html").read_bytes())
    assert manifest["text_bytes"] == len((out / "email.txt").read_bytes())
    assert {"unsubscribe_url", "web_url", "first_name"} <= set(manifest["merge_tags"])


def test_raw_html_is_sanitised(publication, run):
    pub = publication()
    assert run("build", cwd=pub).exit_code == 0
    body = (built(pub) / "email.html").read_text().split("<body", 1)[1]
    assert "<script" not in body and "alert(" not in body
    assert "<iframe" not in body and "onclick" not in body and "javascript:" not in body
    assert "Raw HTML is <em>sanitised</em>" in body


def test_txt_story_joins_lines_and_keeps_order(publication, run):
    pub = publication()
    assert run("build", cwd=pub).exit_code == 0
    html = (built(pub) / "email.html").read_text()
    assert "Bring an umbrella on Thursday. The forecast says so." in html
    assert html.index("Blossom arrives late") < html.index("Market stalls return") < html.index("Rain Expected")


def test_stories_list_sets_the_order(publication, run):
    pub = publication()
    toml = pub / "issues" / SPRING / "issue.toml"
    toml.write_text(toml.read_text() + 'stories = ["03-brief.txt", "01-lead.md"]\n')
    result = run("build", cwd=pub)
    assert result.exit_code == 0
    html = (built(pub) / "email.html").read_text()
    assert html.index("Rain Expected") < html.index("Blossom arrives late")
    assert "Market stalls return" not in html
    assert "02-markets.md is not listed in `stories`" in result.stderr


def test_seed_story_loads_exactly_as_written(publication, run, shared_dir):
    pub = publication()
    seed = shared_dir / "seed" / "crocus-city-hall.txt"
    folder = pub / "issues" / "2024-03-23-crocus"
    folder.mkdir()
    (folder / "issue.toml").write_text('subject = "Crocus"\ndate = 2024-03-23\n')
    shutil.copyfile(seed, folder / "01-crocus-city-hall.txt")
    result = run("build", "2024-03-23-crocus", cwd=pub)
    assert result.exit_code == 0, result.output
    html = (built(pub, "2024-03-23-crocus") / "email.html").read_text()
    lines = [line.strip() for line in seed.read_text(encoding="utf-8").split("\n") if line.strip()]
    assert lines[0] in html, "the headline"
    assert "a “barbaric terrorist act”" in html
    assert "‘They tried to hide" in html
    import html as html_lib

    text = html_lib.unescape(html)
    for paragraph in lines[1:]:
        assert paragraph.replace("\u00a0", "\u00a0") in text, paragraph


def test_build_all_builds_every_issue_with_progress(publication, run):
    pub = publication()
    for n in range(3):
        shutil.copytree(pub / "issues" / SPRING, pub / "issues" / f"2024-06-0{n + 1}-copy")
    result = run("build", "--all", cwd=pub)
    assert result.exit_code == 0, result.output
    assert len(list((pub / "dist").iterdir())) == 4
    assert "building" in result.stderr


def test_out_option(publication, run, tmp_path):
    pub = publication()
    result = run("build", "--out", tmp_path / "site", cwd=pub)
    assert result.exit_code == 0
    assert (tmp_path / "site" / SPRING / "email.html").is_file()


def test_publication_templates_override_the_theme_file_by_file(publication, run):
    pub = publication()
    (pub / "templates").mkdir()
    (pub / "templates" / "masthead.mjml").write_text(
        '<mj-section><mj-column><mj-text><p class="nl-name">Our own masthead for {{ publication.name }}</p>'
        "</mj-text></mj-column></mj-section>\n"
    )
    assert run("build", cwd=pub).exit_code == 0
    html = (built(pub) / "email.html").read_text()
    assert "Our own masthead for Fixture Weekly" in html
    assert "Blossom arrives late" in html, "the other theme files still come from the default theme"


def test_logo_is_shown_when_configured(publication, run):
    pub = publication()
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + '\n[theme]\nlogo = "https://fixture.example.org/logo.png"\n')
    assert run("build", cwd=pub).exit_code == 0
    html = (built(pub) / "email.html").read_text()
    assert re.search(r'<img [^>]*src="https://fixture.example.org/logo.png" alt="Fixture Weekly"', html)


def test_init_then_build_works(run, tmp_path):
    result = run("init", "my-letter", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    result = run("build", "--all", cwd=tmp_path / "my-letter")
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "my-letter" / "dist").glob("*/email.html"))) == 1


def test_init_refuses_a_folder_with_files(run, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = run("init", "taken", cwd=tmp_path)
    assert result.exit_code == 2
    assert "already exists and is not empty" in result.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


def test_new_starts_an_issue_that_builds(publication, run):
    pub = publication()
    result = run("new", "2024-06-01-summer", cwd=pub)
    assert result.exit_code == 0, result.output
    toml = (pub / "issues" / "2024-06-01-summer" / "issue.toml").read_text()
    assert "number = 8" in toml
    assert run("build", "2024-06-01-summer", cwd=pub).exit_code == 0
    again = run("new", "2024-06-01-summer", cwd=pub)
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_newest_issue_is_the_default(publication, run):
    pub = publication()
    assert run("new", "2030-01-01-later", cwd=pub).exit_code == 0
    assert run("new", "2000-01-01-earlier", cwd=pub).exit_code == 0
    result = run("build", cwd=pub)
    assert "newest issue:" in result.stderr
    assert (pub / "dist").is_dir() and [p.name for p in (pub / "dist").iterdir()] == ["2030-01-01-later"]


def test_root_option_and_walking_up(publication, run):
    pub = publication()
    assert run("--root", pub, "build").exit_code == 0
    result = run("build", SPRING, cwd=pub / "issues" / SPRING)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["email.html", "email.txt", "email.mjml", "manifest.json"])
def test_sample_publication_builds(run, name, tmp_path):
    root = Path(__file__).resolve().parent.parent
    result = run("--root", root, "build", "--all", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    for slug in ("2026-11-14-the-bridge", "2026-11-28-night-ferry"):
        assert (tmp_path / "out" / slug / name).stat().st_size > 500


def test_command_line_build_inlines_in_a_worker_with_the_same_result(publication, run, tmp_path):
    import os
    import subprocess
    import sys

    pub = publication()
    assert run("build", "--out", tmp_path / "in-process", cwd=pub).exit_code == 0
    env = {**os.environ, "NEWSLETTER_INLINE_WORKER": "1"}  # the worker is off unless asked for
    result = subprocess.run([sys.executable, "-m", "newsletter", "build", "--out", str(tmp_path / "worker")],
                            cwd=pub, env=env, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    for name in ("email.html", "email.txt", "email.mjml"):
        worker, in_process = (tmp_path / kind / SPRING / name for kind in ("worker", "in-process"))
        assert worker.read_text() == in_process.read_text(), name


def in_a_fresh_process(code: str) -> str:
    """Run Python code in a new process, as the command line runs (the inlining worker allowed); return stdout."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NEWSLETTER_INLINE_WORKER": "1"}  # the worker is off unless asked for
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_command_line_starts_the_inlining_worker():
    out = in_a_fresh_process(
        "from newsletter.render import inline\n"
        "with inline.background_inliner() as worker:\n"
        "    assert worker._process is not None and worker._process.is_alive()\n"
        "    finish = worker('<html><body><p class=\"x\">hi</p></body></html>', '.x { color: red }')\n"
        "    print(finish())\n")
    assert 'style="color:red"' in out


def test_a_worker_answer_nobody_collected_is_never_given_to_the_next_request():
    out = in_a_fresh_process(
        "from newsletter.render import inline\n"
        "with inline.background_inliner() as worker:\n"
        "    worker('<html><body><p class=\"x\">first</p></body></html>', '.x { color: red }')\n"
        "    finish = worker('<html><body><p class=\"x\">second</p></body></html>', '.x { color: blue }')\n"
        "    print(finish())\n")
    assert 'style="color:blue">second' in out and "first" not in out
