"""`build` and `check` skip the issues whose inputs did not change, and build many issues in worker processes."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from newsletter import inputs

SPRING = "2024-05-01-spring"
SLUGS = [SPRING, "2024-05-08-second", "2024-05-15-third", "2024-05-22-fourth", "2024-05-29-fifth"]


@pytest.fixture
def pub(publication) -> Path:
    """Return a copy of the basic publication with five issues (enough for worker processes)."""
    root = publication()
    for slug in SLUGS[1:]:
        shutil.copytree(root / "issues" / SPRING, root / "issues" / slug)
    return root


def outputs(root: Path, out: str = "dist") -> dict[str, bytes]:
    """Return every file the builds wrote, by path (their records of the inputs left out)."""
    return {str(p.relative_to(root / out)): p.read_bytes() for p in sorted((root / out).rglob("*"))
            if p.is_file() and p.name != ".newsletter-build.json"}


def mtimes(root: Path) -> dict[str, int]:
    """Return the modification time of each issue's email.html."""
    return {slug: (root / "dist" / slug / "email.html").stat().st_mtime_ns for slug in SLUGS}


def test_an_unchanged_issue_is_not_built_again_and_says_what_it_said(pub, run):
    first = run("build", SPRING, cwd=pub)
    assert first.exit_code == 0 and first.stdout.startswith(f"built dist/{SPRING}/email.html")
    before = outputs(pub)
    when = (pub / "dist" / SPRING / "email.html").stat().st_mtime_ns
    again = run("build", SPRING, cwd=pub)
    assert again.exit_code == 0
    assert again.stdout == (f"up to date dist/{SPRING}/email.html  17.6 KB, 3 stories, ready (its files did not "
                            "change since it was built; --force builds it again)\n")
    assert again.stderr == first.stderr, "the same warnings and check summary, from the record"
    assert "check: 1 error, 1 warning" in again.stderr
    assert outputs(pub) == before and (pub / "dist" / SPRING / "email.html").stat().st_mtime_ns == when
    forced = run("build", SPRING, "--force", cwd=pub)
    assert forced.stdout.startswith("built ") and (pub / "dist" / SPRING / "email.html").stat().st_mtime_ns > when
    assert outputs(pub) == before


@pytest.mark.parametrize("change", ["story", "image", "issue.toml", "newsletter.toml", "template", "assets", "logo",
                                    "tool", "output deleted", "state broken"])
def test_what_an_issue_depends_on_rebuilds_it(pub, run, monkeypatch, change):
    assert run("build", "--all", cwd=pub).exit_code == 0
    before = mtimes(pub)
    story = pub / "issues" / SLUGS[2] / "01-lead.md"
    only_one = change in {"story", "image", "issue.toml", "output deleted", "state broken"}
    if change == "story":
        story.write_text(story.read_text() + "\nOne more line.\n")
    elif change == "image":
        image = next((pub / "issues" / SLUGS[2] / "images").iterdir())
        image.write_bytes(image.read_bytes() + b"\0")
    elif change == "issue.toml":
        toml = pub / "issues" / SLUGS[2] / "issue.toml"
        toml.write_text(toml.read_text().replace("subject = \"", "subject = \"New: "))
    elif change == "newsletter.toml":
        (pub / "newsletter.toml").write_text((pub / "newsletter.toml").read_text() + "\n# a comment\n")
    elif change == "template":
        (pub / "templates").mkdir()
        (pub / "templates" / "inline.css").write_text(
            (Path(__file__).parent.parent / "templates" / "inline.css").read_text() + "\np { color: #111111; }\n")
    elif change == "assets":
        (pub / "assets").mkdir()
        (pub / "assets" / "note.txt").write_text("shared")
    elif change == "logo":
        shutil.copy(next((pub / "issues" / SPRING / "images").iterdir()), pub / "logo.png")
        config = pub / "newsletter.toml"
        assert run("build", "--all", cwd=pub).exit_code == 0  # the config changed: everything is built once
        config.write_text(config.read_text().replace("[theme]", "[theme]\nlogo = \"logo.png\"")
                          if "[theme]" in config.read_text() else config.read_text() + '\n[theme]\nlogo = "logo.png"\n')
        assert run("build", "--all", cwd=pub).exit_code == 0
        before = mtimes(pub)
        (pub / "logo.png").write_bytes((pub / "logo.png").read_bytes() + b"\0")
    elif change == "tool":
        monkeypatch.setattr(inputs, "tool_hash", lambda: "another version")
    elif change == "output deleted":
        (pub / "dist" / SLUGS[2] / "email.txt").unlink()
    else:
        (pub / "dist" / SLUGS[2] / ".newsletter-build.json").write_text("{not json")
    result = run("build", "--all", cwd=pub)
    assert result.exit_code == 0, result.output
    after = mtimes(pub)
    changed = [slug for slug in SLUGS if after[slug] != before[slug]]
    assert changed == ([SLUGS[2]] if only_one else SLUGS), result.stdout
    if only_one:
        assert f"built dist/{SLUGS[2]}/email.html" in result.stdout
        assert "4 of 5 issue(s) up to date" not in result.stdout, "four are listed one by one"
        assert result.stdout.count("up to date dist/") == 4


def test_touching_a_file_without_changing_it_rebuilds_nothing(pub, run):
    assert run("build", "--all", cwd=pub).exit_code == 0
    before = mtimes(pub)
    story = pub / "issues" / SPRING / "01-lead.md"
    story.write_text(story.read_text())  # a new modification time, the same content
    assert run("build", "--all", cwd=pub).exit_code == 0
    assert mtimes(pub) == before


def test_unchanged_folders_are_not_read_again(pub, monkeypatch):
    from newsletter.config import load_settings
    from newsletter.incremental import plan_builds

    settings = load_settings(pub)
    folders = sorted((pub / "issues").iterdir())
    long_ago = 1_000_000_000
    for path in (pub / "issues").rglob("*"):
        os.utime(path, (long_ago, long_ago))
    plan = plan_builds(settings, folders, pub / "dist")
    for job in plan.todo:  # what a build records
        (pub / "dist" / job.folder.name).mkdir(parents=True)
        for name in ("email.html", "email.txt", "email.mjml", "manifest.json"):
            (pub / "dist" / job.folder.name / name).write_text("x")
        state = {"version": 1, "inputs": job.inputs, "source": job.source, "lines": [], "stories": ""}
        (pub / "dist" / job.folder.name / ".newsletter-build.json").write_text(json.dumps(state))
    read: list[Path] = []
    real = inputs.folder_hash
    monkeypatch.setattr(inputs, "folder_hash", lambda folder: read.append(folder) or real(folder))
    again = plan_builds(settings, folders, pub / "dist")
    assert len(again.fresh) == 5 and not set(read) & set(folders), "only the stats of the issue folders were read"
    story = folders[1] / "01-lead.md"
    story.write_text(story.read_text() + "x")
    third = plan_builds(settings, folders, pub / "dist")
    assert [job.folder for job in third.todo] == [folders[1]] and set(read) & set(folders) == {folders[1]}


def test_many_issues_build_in_worker_processes_as_they_do_one_by_one(pub, run):
    parallel = run("build", "--all", "--out", "parallel", cwd=pub)
    serial = run("build", "--all", "--out", "serial", "--jobs", "1", cwd=pub)
    assert parallel.exit_code == serial.exit_code == 0
    assert parallel.stdout.replace("parallel/", "") == serial.stdout.replace("serial/", "")
    assert parallel.stderr == serial.stderr
    ours = outputs(pub, "parallel")
    assert ours == outputs(pub, "serial")
    assert len([k for k in ours if k.endswith("email.html")]) == 5


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_write_failure_is_that_issues_failure_and_the_others_are_built(pub, run, monkeypatch, jobs):
    real = tempfile.mkdtemp
    broken = f".{SLUGS[1]}."

    def mkdtemp(*args: object, **kwargs: object) -> str:
        if str(kwargs.get("prefix", "")).startswith(broken):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(str(kwargs.get("dir"))) / "x"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    result = run("build", "--all", "--jobs", jobs, cwd=pub)
    assert result.exit_code == 1
    assert "dist: cannot write 2024-05-08-second into this folder: no space left on device; the disk is full" \
           in result.stderr
    assert "1 of 5 issue(s) failed" in result.stderr and "Traceback" not in result.output
    assert sorted(p.name for p in (pub / "dist").iterdir() if not p.name.startswith(".")) == sorted(
        set(SLUGS) - {SLUGS[1]})
    monkeypatch.setattr(tempfile, "mkdtemp", real)
    again = run("build", "--all", cwd=pub)
    assert again.exit_code == 0 and again.stdout.startswith(f"built dist/{SLUGS[1]}/email.html"), \
        "a failed issue is tried again; the others are up to date"


def test_an_issue_that_fails_is_tried_again_every_time(pub, run):
    story = pub / "issues" / SLUGS[3] / "01-lead.md"
    story.write_text("---\ntitle: [\n---\nx\n")
    for _ in range(2):
        result = run("build", "--all", cwd=pub)
        assert result.exit_code == 1
        assert f"issues/{SLUGS[3]}/01-lead.md:2: invalid YAML front matter" in result.stderr


def test_someone_elses_folder_stops_the_build_before_any_issue(pub, run):
    (pub / "dist" / SLUGS[4]).mkdir(parents=True)
    (pub / "dist" / SLUGS[4] / "mine.txt").write_text("keep")
    result = run("build", "--all", cwd=pub)
    assert result.exit_code == 2 and "is not empty and was not written by newsletter" in result.stderr
    assert sorted(p.name for p in (pub / "dist").iterdir()) == [SLUGS[4]], "nothing was built"


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """Record the issues the check rules really run on (in this process: run with --jobs 1)."""
    import newsletter.checks

    seen: list[str] = []
    real = newsletter.checks.run_checks
    monkeypatch.setattr(newsletter.checks, "run_checks", lambda settings, folder, **kw: seen.append(folder.name)
                        or real(settings, folder, **kw))
    return seen


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_an_unchanged_issue_is_not_checked_again_and_reports_the_same(pub, run, checked, fmt):
    meta = pub / "issues" / SLUGS[2] / "issue.toml"
    meta.write_text('status = "draft"\n' + meta.read_text())  # a kept report must say draft too
    first = run("check", "--all", "--jobs", "1", "--format", fmt, cwd=pub)
    assert checked == SLUGS and first.exit_code == 1, "the basic fixture has a javascript: link, an error"
    again = run("check", "--all", "--jobs", "1", "--format", fmt, cwd=pub)
    assert (again.exit_code, again.stdout, again.stderr) == (first.exit_code, first.stdout, first.stderr)
    assert checked == SLUGS, "nothing checked again"
    story = pub / "issues" / SLUGS[3] / "02-markets.md"
    story.write_text(story.read_text() + "\nTODO: a last line.\n")
    third = run("check", "--all", "--jobs", "1", "--format", fmt, cwd=pub)
    assert checked == [*SLUGS, SLUGS[3]] and "TODO" in third.stdout and third.stdout != first.stdout
    forced = run("check", "--all", "--jobs", "1", "--force", "--format", fmt, cwd=pub)
    assert checked == [*SLUGS, SLUGS[3], *SLUGS] and forced.stdout == third.stdout


def test_a_broken_check_cache_entry_is_checked_again(pub, run, checked):
    from newsletter import cache

    first = run("check", "--all", "--jobs", "1", "--format", "json", cwd=pub)
    entries = sorted(cache.folder(pub, "check").iterdir())
    assert len(entries) == 5
    damaged = ["{not json", "[]", json.dumps({"version": 1, "inputs": "x"})]
    data = json.loads(entries[3].read_text())
    data["report"]["findings"][0][3] = "line one"
    damaged.append(json.dumps(data))
    for entry, content in zip(entries, damaged, strict=False):
        entry.write_text(content)
    again = run("check", "--all", "--jobs", "1", "--format", "json", cwd=pub)
    assert again.stdout == first.stdout and len(checked) == 5 + 4


def test_fix_then_check_checks_the_fixed_files(pub, run, checked):
    assert run("check", "--all", "--jobs", "1", cwd=pub).exit_code == 1
    story = pub / "issues" / SLUGS[1] / "02-markets.md"
    story.write_text(story.read_text() + "\nThe the end.\n")
    result = run("check", "--all", "--jobs", "1", "--fix", cwd=pub)
    assert "fixed: " in result.stdout and checked[5:] == [SLUGS[1]]
    assert "The end." in story.read_text() and "the word is typed twice" not in result.stdout


def test_links_are_never_taken_from_the_cache(pub, monkeypatch):
    import newsletter.checks
    from newsletter.config import load_settings
    from newsletter.incremental import check_many

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(newsletter.checks, "run_all", lambda settings, folders, **kw: calls.append(kw) or [])
    check_many(load_settings(pub), [], links=True, link_timeout=3.0)
    assert calls == [{"links": True, "link_timeout": 3.0, "jobs": None}]


def test_check_all_in_worker_processes_reports_what_one_by_one_does(pub, run):
    parallel = run("check", "--all", "--format", "json", "--force", cwd=pub)
    serial = run("check", "--all", "--format", "json", "--force", "--jobs", "1", cwd=pub)
    assert parallel.stdout == serial.stdout and json.loads(parallel.stdout)["counts"]["error"] == 5


def test_every_folder_of_the_publication_the_code_reads_is_hashed():
    """A new input beside issues/ (as locale/ was) must be added to inputs.ROOT_FOLDERS, or builds go stale."""
    import re

    package = Path(inputs.__file__).parent
    named = set()
    for path in package.rglob("*.py"):
        named |= set(re.findall(r"""root\s*/\s*["']([\w.-]+)["']""", path.read_text(encoding="utf-8")))
    not_inputs = {"issues", "dist", ".failed"}  # the issues are hashed one by one; dist/ and .failed/ are output
    assert named - not_inputs <= set(inputs.ROOT_FOLDERS), named
    assert {"templates", "assets", "locale"} <= named
