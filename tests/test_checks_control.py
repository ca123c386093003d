"""The editor's controls over `check`: [check] levels, ignore comments, --fix, listings, intro positions, languages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newsletter.checks import run_all
from newsletter.checks.compat import DEFAULT_CLIENTS, Feature, css_uses, features, latest
from newsletter.config import load_settings
from tests.check_helpers import CLEAN, ISSUE, apply, check_json, findings, places

SEED_STORY = "01-crocus-city-hall.txt"


def with_check_table(lines: str):
    """Return an edit that adds a [check] table to newsletter.toml."""
    return lambda text: f"{text}\n[check]\n{lines}\n"


def rules_at(document: dict, name: str) -> list[tuple[str, str, int | None, int | None]]:
    """Return (rule, level, line, column) of the findings in one file."""
    return [(f["rule"], f["level"], f["line"], f["column"]) for f in findings(document)
            if f["path"] and Path(f["path"]).name == name]


def test_check_table_sets_levels_per_rule_and_family(publication, run) -> None:
    """`off` drops a rule, a level replaces the rule's own, `family/*` covers a family."""
    story = "# Case\n\nThe [old site](http://check.example.org/old), [click here](https://check.example.org/r).\n"
    pub = apply(publication(CLEAN), {"ISSUE/04-case.md": story})
    document, _ = check_json(run, pub, "--strict")
    assert {(r, lvl) for r, lvl, *_ in rules_at(document, "04-case.md")} == {
        ("links/insecure", "warning"), ("links/vague-text", "warning")}
    apply(pub, {"newsletter.toml": with_check_table('"links/insecure" = "info"\n"links/vague-text" = "off"')})
    document, code = check_json(run, pub, "--strict")
    assert [(r, lvl) for r, lvl, *_ in rules_at(document, "04-case.md")] == [("links/insecure", "info")]
    assert code == 0  # a note never fails, even with --strict
    apply(pub, {"newsletter.toml": lambda t: t.replace('"links/insecure" = "info"', '"links/*" = "error"')})
    document, code = check_json(run, pub)
    assert [(r, lvl) for r, lvl, *_ in rules_at(document, "04-case.md")] == [("links/insecure", "error")]
    assert code == 1


def test_check_table_refuses_a_bad_level_with_its_line(publication, run) -> None:
    """A level that is not error, warning, info or off is a config error at its line."""
    pub = apply(publication(CLEAN), {"newsletter.toml": with_check_table('"links/insecure" = "loud"')})
    result = run("check", cwd=pub)
    assert result.exit_code == 1
    assert "newsletter.toml:18: `links/insecure` must be one of 'error', 'warning', 'info', 'off'" in result.stderr


def test_unknown_rule_in_check_table_says_did_you_mean(publication, run) -> None:
    """A misspelt rule id in [check] is a warning that names the closest rule."""
    pub = apply(publication(CLEAN), {"newsletter.toml": with_check_table('"editorial/double-spaces" = "off"')})
    document, _ = check_json(run, pub)
    found = [f for f in findings(document) if f["rule"] == "check/unknown-rule"]
    assert [(f["path"], f["line"]) for f in found] == [("newsletter.toml", 18)]
    assert "did you mean `editorial/double-space`?" in found[0]["message"]


def test_ignore_comments_in_markdown_and_txt(publication, run) -> None:
    """A trailing comment silences its line, a comment alone the next line; .txt drops the comment line."""
    pub = apply(publication(CLEAN), {
        "ISSUE/04-case.md": "# Case\n\n<!-- check: ignore links/insecure -->\n[A](http://check.example.org/a).\n\n"
                            "[B](http://check.example.org/b). <!-- check: ignore links/insecure -->\n\n"
                            "[C](http://check.example.org/c).\n\n```\n<!-- check: ignore links/insecure -->\n```\n"
                            "[D](http://check.example.org/d).\n",
        "ISSUE/05-case.txt": "Case\n\n<!-- check: ignore editorial/repeated-word -->\nWe went to the the harbour.\n\n"
                             "And the the pier.\n",
    })
    document, _ = check_json(run, pub)
    assert places(document, "links/insecure") == [("04-case.md", 8), ("04-case.md", 13)]
    assert places(document, "editorial/repeated-word") == [("05-case.txt", 6)]
    assert run("build", cwd=pub).exit_code == 0
    built = pub / "dist" / "2024-06-01-summer"
    for name in ("email.html", "email.txt"):  # only the one inside code, which is text, reaches readers
        shown = (built / name).read_text(encoding="utf-8")
        assert shown.count("check: ignore") == 1 and "ignore editorial" not in shown


def seed_copy(publication, shared_dir: Path) -> Path:
    """Return the check-seed publication with the seed story."""
    pub = publication("check-seed")
    shutil.copyfile(shared_dir / "seed" / "crocus-city-hall.txt", pub / "issues/2024-03-23-crocus" / SEED_STORY)
    return pub


def test_fix_on_the_seed_is_idempotent(publication, run, shared_dir: Path) -> None:
    """--fix mends the seed's double space and trailing blank, prints both, and changes nothing the second time."""
    pub = seed_copy(publication, shared_dir)
    story = pub / "issues/2024-03-23-crocus" / SEED_STORY
    before = story.read_bytes()
    result = run("check", "--fix", cwd=pub)
    assert f"fixed: issues/2024-03-23-crocus/{SEED_STORY}:9: removed trailing whitespace" in result.stdout
    assert f"fixed: issues/2024-03-23-crocus/{SEED_STORY}:27: replaced 2 blanks in a row" in result.stdout
    after = story.read_bytes()
    assert after.replace(b" helping", b"\xc2\xa0 helping").replace(b"fire.\n", b"fire.\xc2\xa0\n") == before
    assert "editorial/double-space" not in result.stdout.split("fixed:")[-1]
    mtime = story.stat().st_mtime_ns
    again = run("check", "--fix", cwd=pub)
    assert "fixed:" not in again.stdout
    assert story.read_bytes() == after and story.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in story.parent.iterdir() if p.name.startswith(".")) == []  # no temporary left


def test_fix_leaves_clean_files_byte_identical(publication, run) -> None:
    """On the clean fixture --fix writes nothing: every file keeps its bytes and its time."""
    pub = publication(CLEAN)
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (pub / ISSUE).iterdir() if p.is_file()}
    result = run("check", "--fix", "--format", "json", cwd=pub)
    json.loads(result.stdout)  # still one JSON document: changes go to stderr
    assert "fixed:" not in result.stderr
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == files


def test_fix_never_touches_code_front_matter_or_links(publication, run) -> None:
    """Quotes and spaces in code, front matter, link targets, titles and merge tags stay as written."""
    story = ('---\ntitle: The "harbour"  story\n---\nShe said "yes" to the the plan.  Twice. \n\n'
             '`x = "a  b"` and [the site](https://check.example.org/a "A  title") for {{ first_name | default: '
             '"there" }}.\n\n```\ncode  "stays"   \n```\n\nA hard break  \nnext line.\n')
    pub = apply(publication(CLEAN), {"ISSUE/04-case.md": story})
    run("check", "--fix", cwd=pub)
    fixed = (pub / ISSUE / "04-case.md").read_text(encoding="utf-8")
    assert fixed == ('---\ntitle: The "harbour"  story\n---\nShe said “yes” to the plan. Twice.\n\n'
                     '`x = "a  b"` and [the site](https://check.example.org/a "A  title") for {{ first_name | '
                     'default: "there" }}.\n\n```\ncode  "stays"   \n```\n\nA hard break  \nnext line.\n')


@pytest.mark.parametrize(("language", "expected"), [
    ("de", "Sie sagte „ja“ und ‚nein‘, es ist Peters Plan."),
    ("fr", "Elle a dit «\u202foui\u202f» et l’a répété."),
    ("ja", "彼は「はい」と言った。"),
])
def test_fix_uses_the_language_quotes(language: str, expected: str, publication, run) -> None:
    """Straight quotes become the publication language's marks."""
    text = {"de": "Sie sagte \"ja\" und 'nein', es ist Peters Plan.", "fr": "Elle a dit \"oui\" et l'a répété.",
            "ja": "彼は\"はい\"と言った。"}[language]
    pub = apply(publication(CLEAN), {"newsletter.toml": lambda t: t.replace('language = "en"',
                                                                            f'language = "{language}"'),
                                     "ISSUE/04-case.txt": f"Titel\n\n{text}\n"})
    run("check", "--fix", cwd=pub)
    assert (pub / ISSUE / "04-case.txt").read_text(encoding="utf-8") == f"Titel\n\n{expected}\n"


def test_fix_follows_the_issue_and_the_story_language(publication, run) -> None:
    """An issue's `language` and a story's `lang` choose the quotes, not only the publication's language."""
    pub = apply(publication(CLEAN), {
        "ISSUE/issue.toml": lambda t: 'language = "de"\n' + t,
        "ISSUE/04-case.md": '---\ntitle: Auf Deutsch\n---\nSie sagte "ja" zum Plan.\n',
        "ISSUE/05-case.md": '---\ntitle: En français\nlang: fr\n---\nElle a dit "oui" au plan.\n',
    })
    run("check", "--fix", cwd=pub)
    assert "Sie sagte „ja“ zum Plan." in (pub / ISSUE / "04-case.md").read_text(encoding="utf-8")
    assert "Elle a dit «\u202foui\u202f» au plan." in (pub / ISSUE / "05-case.md").read_text(encoding="utf-8")


def test_listing_repeated_under_another_heading_is_a_note(publication, run) -> None:
    """An event listed under two headings is a note; the same item twice in one list stays an error."""
    event = "- Sat 14 June: harbour clean-up with the rowing club, meet at the slipway at 10am"
    story = f"# Events\n\n## Virtual\n\n{event}\n\n## North\n\n{event}\n- Another item in the same list here\n"
    pub = apply(publication(CLEAN), {"ISSUE/04-case.md": story})
    document, code = check_json(run, pub)
    found = [(f["level"], f["line"]) for f in findings(document) if f["rule"] == "editorial/repeated-paragraph"]
    assert found == [("info", 9)]
    assert code == 0
    apply(pub, {"ISSUE/04-case.md": f"# Events\n\n{event}\n{event}\n"})
    document, code = check_json(run, pub)
    found = [(f["level"], f["line"]) for f in findings(document) if f["rule"] == "editorial/repeated-paragraph"]
    assert found == [("error", 4)]
    assert code == 1


def test_intro_findings_have_their_line_and_column(publication, run) -> None:
    """Findings in a multi-line intro point at the issue.toml line and column where the slip is."""
    intro = 'intro = """\nWelcome back.\n\nThis week we walked to the the harbour, see [it](http://check.example.org/x).\n"""'
    pub = apply(publication(CLEAN), {"ISSUE/issue.toml": lambda t: "\n".join(
        intro if line.startswith("intro =") else line for line in t.split("\n"))})
    lines = (pub / ISSUE / "issue.toml").read_text(encoding="utf-8").split("\n")
    row = next(i for i, line in enumerate(lines, start=1) if "the the" in line)
    document, _ = check_json(run, pub)
    found = {f["rule"]: (f["line"], f["column"]) for f in findings(document) if f["path"].endswith("issue.toml")}
    text = lines[row - 1]
    assert found["editorial/repeated-word"] == (row, text.index("the harbour") + 1)
    assert found["links/insecure"] == (row, text.index("http://") + 1)


def test_localised_figures(publication, run) -> None:
    """German 1.204 is one thousand two hundred and four; French 1 204 too; a real mismatch is still caught."""
    de = "Titel\n\nDas Konzert besuchten 1.204 Menschen am Hafen.\n\nDas Konzert am Hafen besuchten 1204 Menschen.\n"
    pub = apply(publication(CLEAN), {"newsletter.toml": lambda t: t.replace('language = "en"', 'language = "de"'),
                                     "ISSUE/04-case.txt": de})
    document, _ = check_json(run, pub)
    assert places(document, "editorial/conflicting-figures") == []
    apply(pub, {"ISSUE/04-case.txt": de.replace("1204", "1.205")})
    document, _ = check_json(run, pub)
    assert places(document, "editorial/conflicting-figures") == [("04-case.txt", 5)]
    fr = ("Titre\n\nLe concert a réuni 1\u202f204 spectateurs au port.\n\n"
          "Au port, le concert a réuni 1 204 spectateurs.\n")
    apply(pub, {"newsletter.toml": lambda t: t.replace('language = "de"', 'language = "fr"'), "ISSUE/04-case.txt": fr})
    document, _ = check_json(run, pub)
    assert places(document, "editorial/conflicting-figures") == []


def test_languages_without_spaces(publication, run) -> None:
    """Japanese counts characters for reading time, and a doubled particle is a repeated word."""
    text = "港の話\n\n" + "今日は港に新しい船が着いた。" * 100 + "\n\n私たちは船をを見に行った。\n"
    pub = apply(publication(CLEAN), {"newsletter.toml": lambda t: t.replace('language = "en"', 'language = "ja"'),
                                     "ISSUE/04-case.txt": text})
    document, _ = check_json(run, pub)
    assert places(document, "editorial/repeated-word") == [("04-case.txt", 5)]
    story = next(s for s in document["issues"][0]["stories"] if s["file"] == "04-case.txt")
    assert story["words"] >= 1300  # one per character, not 2 "words" split at spaces
    assert story["reading_minutes"] == 3  # about 1,300 characters at 500 a minute


def test_mixed_quotes_know_the_language_marks(publication, run) -> None:
    """German „…“ count as typographic: mixing them with straight quotes is reported, using them alone is not."""
    pub = apply(publication(CLEAN), {"newsletter.toml": lambda t: t.replace('language = "en"', 'language = "de"'),
                                     "ISSUE/04-case.txt": "Titel\n\nSie sagte „ja“ und „nein“.\n"})
    document, _ = check_json(run, pub)
    assert places(document, "editorial/mixed-quotes") == []
    apply(pub, {"ISSUE/04-case.txt": "Titel\n\nSie sagte „ja“ und „nein“.\n\nEr sagte \"vielleicht\".\n"})
    document, _ = check_json(run, pub)
    found = [f for f in findings(document) if f["rule"] == "editorial/mixed-quotes"]
    assert [(f["line"], f["column"]) for f in found] == [(5, 10)]
    assert "„…“" in found[0]["fix"]


def test_compat_names_the_clients_and_the_default_theme_is_quiet(publication, run) -> None:
    """Outlook's lack of display:flex is reported with client names; the default theme reports nothing."""
    pub = publication(CLEAN)
    document, _ = check_json(run, pub)
    assert [f for f in findings(document) if f["rule"].startswith("compat/")] == []
    apply(pub, {"ISSUE/04-case.md": '# Grid\n\n<div style="display:flex; border-radius:8px">\n<p>A</p>\n</div>\n',
                "newsletter.toml": with_check_table('compat_clients = ["outlook-windows", "gmail", "apple-mail"]')})
    document, _ = check_json(run, pub)
    found = [(f["level"], f["line"], f["column"], f["message"]) for f in findings(document)
             if f["rule"] == "compat/css"]
    assert [f[:3] for f in found] == [("warning", 3, 13), ("info", 3, 27)]
    assert "`display: flex` on <div> is not supported by Outlook (Windows, classic) (caniemail" in found[0][3]
    assert "Gmail" not in found[0][3] and "Apple" not in found[0][3]


def test_compat_default_theme_breaks_no_layout_for_any_client() -> None:
    """Even with every known client, the default theme's CSS uses nothing whose absence breaks layout."""
    from newsletter.checks.compat import CLIENTS, LAYOUT
    from newsletter.render.templates import default_theme_dir

    data = features()
    for path in [*default_theme_dir().glob("*.css"), *default_theme_dir().glob("*.mjml")]:
        for _, slug, what in css_uses(path.read_text(encoding="utf-8")):
            assert not (slug in LAYOUT and data[slug].lacking(list(CLIENTS))), (path.name, what)
    assert set(DEFAULT_CLIENTS) <= set(CLIENTS)


def test_compat_reads_the_latest_tests_cut_from_the_shipped_caniemail_data() -> None:
    """caniemail-latest.json is exactly what latest_tests() makes of caniemail.json (scripts/refresh-caniemail)."""
    import json

    from newsletter.checks.compat import DATA, LATEST, latest_tests

    cut = json.loads(LATEST.read_text(encoding="utf-8"))
    assert cut == latest_tests(json.loads(DATA.read_text(encoding="utf-8")))
    assert len(cut["data"]) > 250 and features()["css-display-flex"].lacking(["outlook-windows", "gmail"]) == [
        "Outlook (Windows, classic)"]


def test_compat_lookup_is_exact_and_takes_the_latest_test() -> None:
    """line-height is not height; '2025-07' is newer than '9' or '2019'; a client without data is not a crash."""
    assert [slug for _, slug, _ in css_uses("p { line-height: 1.5; }")] == ["css-line-height"]
    assert [slug for _, slug, _ in css_uses("@media (prefers-color-scheme: dark) { p { display: flex } }"
                                            "a:hover { display: grid }")] == []
    assert latest({"2019-02": "y", "2025-07": "n", "2020-11": "y"}) == ("2025-07", "n")
    assert latest({"2007": "n", "2019": "y"}) == ("2019", "y")
    assert latest({"2019-10": "n", "16.47": "y", "16.80": "a"}) == ("16.80", "a")  # tested by version: data order
    assert latest({}) is None
    feature = Feature("x", "x", {"outlook": {"windows": {"2016": "y", "2019": "n"}}, "gmail": {}})
    assert feature.lacking(["outlook-windows", "gmail", "thunderbird"]) == ["Outlook (Windows, classic)"]


def test_check_all_in_workers_matches_one_by_one(publication) -> None:
    """Checking issues in worker processes gives the same reports as checking them one after the other."""
    pub = publication(CLEAN)
    source = pub / ISSUE
    for n in range(5):
        target = pub / "issues" / f"2024-06-{10 + n}-copy"
        shutil.copytree(source, target)
        (target / "02-lido.txt").write_text(f"Lido {n}\n\nThe the pool opens {n}.\n", encoding="utf-8")
    settings = load_settings(pub)
    folders = sorted(p for p in (pub / "issues").iterdir() if p.is_dir())
    parallel, serial = run_all(settings, folders, jobs=2), run_all(settings, folders, jobs=1)
    assert [(r.slug, r.findings, r.stories) for r in parallel] == [(r.slug, r.findings, r.stories) for r in serial]
    assert sum(len(r.findings) for r in parallel) == 5
