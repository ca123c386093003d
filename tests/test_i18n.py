"""Localised newsletters: theme strings from the catalogs, dates by locale, right to left, per-issue and per-story
language, [strings] and a publication's own catalog, and the catalogs themselves (complete, shipped)."""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter import i18n
from tests import test_install
from tests.check_helpers import CLEAN, apply, check_json, findings
from tests.conftest import FIXTURES, PROJECT

installed = test_install.installed  # the wheel, built and installed into a folder once for this module

LANGUAGES = "languages"
ISSUES = {"de": "2026-03-07-hafen", "fr": "2026-03-14-port", "ja": "2026-03-21-minato", "ar": "2026-03-28-almina"}
DATES = {"de": "7. März 2026", "fr": "14 mars 2026", "ja": "2026年3月21日", "ar": "28 مارس 2026"}
ENGLISH_ISSUE = "2026-04-04-harbour"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Build the languages fixture (an issue per language, issue.toml `language`) with the CLI; return dist/."""
    from click.testing import CliRunner

    from newsletter.cli import cli

    root = shutil.copytree(FIXTURES / LANGUAGES, tmp_path_factory.mktemp("i18n") / "pub")
    result = CliRunner().invoke(cli, ["--root", str(root), "build", "--all", "--out", str(root / "dist")])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output, result.output
    return root / "dist"


def visible(html: str) -> str:
    """Return what a reader sees or hears of an email: its text, and alt/aria-label/title attributes."""
    body = html.split("<body", 1)[1]
    body = re.sub(r"<!--.*?-->|<style.*?</style>", " ", body, flags=re.DOTALL)
    heard = " ".join(re.findall(r'(?:alt|aria-label|title)="([^"]*)"', body))
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", body) + " " + heard)


def english_patterns(language: str = "") -> list[re.Pattern[str]]:
    """Return the English catalog's strings as patterns (placeholders match anything); all-placeholder ones and
    those the language writes the same ("Feed" in German) skipped."""
    same = i18n.translator(_settings(), language).messages.gettext if language else None
    patterns = []
    for key, forms in i18n.english().items():
        for form in forms:
            if not re.sub(r"%\(\w+\)s|[\s\W]", "", form) or (same and len(forms) == 1 and same(key) == key):
                continue  # "%(label)s: %(value)s" is punctuation only
            parts = re.split(r"%\(\w+\)s", form)
            patterns.append(re.compile(r"(?<!\w)" + r".+?".join(map(re.escape, parts)) + r"(?!\w)"))
    return patterns


@pytest.mark.parametrize("language", sorted(ISSUES))
def test_no_english_theme_word_is_left_and_the_date_is_localised(built, language):
    folder = built / ISSUES[language]
    html = (folder / "email.html").read_text()
    text = (folder / "email.txt").read_text()
    for shown, where in ((visible(html), "email.html"), (text, "email.txt")):
        left = [p.pattern for p in english_patterns(language) if p.search(shown)]
        assert not left, f"{language} {where} still says {left}"
        assert DATES[language] in shown, (language, where)
    translated = i18n.translator(_settings(), language)
    for message in ("View in browser", "Unsubscribe", "Email preferences", "Read more"):
        assert translated.gettext(message) in visible(html) and translated.gettext(message) in text, message
    assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}"' in html
    title = {"de": "Die Hafenmauer", "fr": "Le mur du port", "ja": "防波堤に灯り", "ar": "سور الميناء"}[language]
    long_form = re.search(r'<a class="nl-more-link"[^>]*>(.*?)</a>', html).group(0)
    assert title in long_form, "screen readers hear which story Read more leads to"
    assert ("aria-label" in long_form) == (language == "ja"), "hidden text where the long form starts alike"
    slanted = "font-style:italic" in html.split("</head>", 1)[1]
    assert slanted == (language in {"de", "fr"}), "pull quotes in italics only where the script has italics"


def _settings():
    """Return the languages fixture's settings."""
    from newsletter.config import load_settings

    return load_settings(FIXTURES / LANGUAGES)


def basic_in(publication, language: str) -> Path:
    """Return a copy of the basic fixture publication with [publication] language set."""
    pub = publication("basic")
    config = pub / "newsletter.toml"
    config.write_text(re.sub(r'language = "[^"]*"', f'language = "{language}"', config.read_text()))
    return pub


def test_arabic_runs_right_to_left_in_html_and_text(built):
    html = (built / ISSUES["ar"] / "email.html").read_text()
    assert '<html lang="ar" dir="rtl"' in html
    assert re.search(r'<div [^>]*lang="ar" dir="rtl"', html), "the body's wrapper keeps dir where <html> is dropped"
    text_divs = re.findall(r'<td align="(\w+)" class="nl-text[^>]*>\s*<div style="[^"]*text-align:(\w+)', html)
    assert text_divs and {align for pair in text_divs for align in pair} == {"right"}, text_divs
    assert "direction:rtl" in html
    assert re.search(r'<blockquote[^>]*style="[^"]*padding:0 16px 0 0[^"]*border-right:3px solid', html)
    assert re.search(r'<ul[^>]*style="[^"]*padding:0 24px 0 0', html)
    assert "letter-spacing" not in html.split("</head>", 1)[1], "no letter-spacing breaks Arabic's joined letters"
    assert "</span> ←</a>" in html and "→" not in html.split("A note for visitors")[0], "arrows point left"
    text = (built / ISSUES["ar"] / "email.txt").read_text()
    paragraph = next(line for line in text.splitlines() if line.startswith("عاد أربعون"))
    assert paragraph.endswith("اقتلعتها."), "a right-to-left paragraph stays on one line for the client to flow"
    assert "\u200fLED هي التقنية" in text, "an Arabic paragraph that starts with Latin letters is marked RTL"
    assert "The harbour office is open from nine to five on weekdays, and the ferry\ntimetable" in text, \
        "the English story of the Arabic issue wraps as before"


def test_a_story_in_another_language_is_marked_and_mirrored(built, publication, run):
    html = (built / ENGLISH_ISSUE / "email.html").read_text()
    assert '<html lang="en" dir="ltr"' in html
    greek = re.search(r'<div lang="el">(.*?)</div>\s*</td>', html, flags=re.DOTALL)
    assert greek and "Γράμμα από τον Πειραιά" in greek.group(1)
    assert 'lang="en"' in greek.group(1), "its Read more is in the issue's language"
    arabic = re.search(r'<div lang="ar" dir="rtl" class="nl-flip" style="text-align:right"[^>]*>(.*?)</div>\s*</td>',
                       html, flags=re.DOTALL)
    assert arabic, "a right-to-left story in a left-to-right issue runs the other way"
    assert re.search(r'<blockquote[^>]*padding:0 16px 0 0[^"]*border-left:0[^"]*border-right:3px solid',
                     arabic.group(1))
    assert re.search(r'<ul[^>]*padding:0 24px 0 0', arabic.group(1))
    text = (built / ENGLISH_ISSUE / "email.txt").read_text()
    assert "في الإسكندرية، أُضيئت مصابيح الكورنيش كلها في ليلة واحدة، وخرج الناس إلى البحر ليروها.\n" in text
    pub = shutil.copytree(FIXTURES / LANGUAGES, Path.cwd() / "pub")
    result = run("check", ENGLISH_ISSUE, cwd=pub)
    assert "lang" not in result.output and "unknown" not in result.output, result.output


def test_story_lang_reaches_the_language_aware_checks(publication, run):
    """check's rules read the story's `lang`: the quotes a German story is told to use are German ones."""
    story = "---\ntitle: Zitat\nlang: {lang}\n---\nSie sagte „ja“ und „nein“.\n\nEr sagte \"vielleicht\".\n"
    pub = apply(publication(CLEAN), {"ISSUE/04-case.md": story.format(lang="de")})
    document, _ = check_json(run, pub)
    found = [f for f in findings(document) if f["rule"] == "editorial/mixed-quotes"]
    assert len(found) == 1 and "„…“" in found[0]["fix"], found
    apply(pub, {"ISSUE/04-case.md": story.format(lang="en")})
    document, _ = check_json(run, pub)
    found = [f for f in findings(document) if f["rule"] == "editorial/mixed-quotes"]
    assert len(found) == 1 and "“…”" in found[0]["fix"], found


def test_bad_language_settings_are_errors_at_their_lines(publication, run):
    pub = publication("basic")
    story = next((pub / "issues").glob("*/01-lead.md"))
    story.write_text(story.read_text().replace("---\n", "---\nlang: not a tag\ndir: sideways\n", 1))
    meta = story.with_name("issue.toml")
    meta.write_text(meta.read_text() + 'language = "??"\n')
    config = pub / "newsletter.toml"
    config.write_text(config.read_text().replace("[publication]", '[publication]\ndate_format = "HH:mm"\ndir = "up"'))
    result = run("build", "--all", cwd=pub)
    assert result.exit_code != 0
    assert "newsletter.toml:2: `date_format` 'HH:mm' is not a date pattern (it asks for a time" in result.output
    assert "newsletter.toml:3: `dir` must be one of 'ltr', 'rtl'" in result.output
    config.write_text(config.read_text().replace('date_format = "HH:mm"\ndir = "up"\n', ""))
    result = run("build", "--all", cwd=pub)
    assert "01-lead.md:2: `lang: not a tag` is not a language tag" in result.output
    assert "01-lead.md:3: `dir: sideways` must be \"ltr\" or \"rtl\"" in result.output
    assert re.search(r"issue.toml:\d+: `language` is not a language tag", result.output), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("language", "date_format", "shown"), [
    ("de", "", "23. März 2024"), ("fr", "", "23 mars 2024"), ("es", "", "23 de marzo de 2024"),
    ("ja", "", "2024年3月23日"), ("en", "", "23 March 2024"), ("en-US", "", "March 23, 2024"),
    ("de", "full", "Samstag, 23. März 2024"), ("fr", "d MMM y", "23 mars 2024"), ("ko", "short", "24. 3. 23."),
])
def test_dates_follow_the_language_and_date_format(publication, run, language, date_format, shown):
    pub = publication("basic")
    config = pub / "newsletter.toml"
    config.write_text(re.sub(r'language = "[^"]*"', f'language = "{language}"', config.read_text())
                      .replace("[publication]", f'[publication]\ndate_format = "{date_format}"'))
    meta = next((pub / "issues").glob("*/issue.toml"))
    meta.write_text(re.sub(r"date = .*", "date = 2024-03-23", meta.read_text()))
    result = run("build", "--all", cwd=pub)
    assert result.exit_code == 0, result.output
    out = next((pub / "dist").glob("*/email.txt")).parent
    assert shown in (out / "email.txt").read_text() and shown in (out / "email.html").read_text()


def test_strings_override_the_catalog_and_unknown_keys_are_warned(publication, run):
    pub = publication("basic")
    config = pub / "newsletter.toml"
    config.write_text(re.sub(r'language = "[^"]*"', 'language = "de"', config.read_text()) + """
[strings]
"Read more" = "Ganze Geschichte"
"Rad more" = "typo"

[strings.de]
"Subscribe to %(name)s" = "Jetzt %(name)s lesen"

[strings.fr]
"Unsubscribe" = "Ne plus recevoir"
""")
    result = run("build", "--all", cwd=pub)
    assert result.exit_code == 0, result.output
    line = config.read_text().splitlines().index('"Rad more" = "typo"') + 1
    assert (f"newsletter.toml:{line}: warning: unknown string 'Rad more' in [strings] (keys are the theme's English "
            "strings, listed in the README's Languages section); did you mean `Read more`?") in result.output
    out = next((pub / "dist").glob("*/email.txt")).parent
    text, html = (out / "email.txt").read_text(), (out / "email.html").read_text()
    assert "Ganze Geschichte" in html and "Ganze Geschichte" in text
    assert ">Weiterlesen" not in html, "the override replaces the shipped translation"
    assert 'aria-label="Weiterlesen: „Blossom arrives late“"' in html, "the long form is a string of its own"
    assert "Abmelden" in text and "Ne plus recevoir" not in text, "[strings.fr] applies to French issues only"


def test_strings_with_bad_placeholders_are_errors(publication, run):
    pub = publication("basic")
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + '\n[strings]\n"Subscribe to %(name)s" = "Join %(title)s for 100% more"\n')
    result = run("build", "--all", cwd=pub)
    assert result.exit_code != 0
    line = len(config.read_text().splitlines())
    assert f"newsletter.toml:{line}: 'Subscribe to %(name)s' in [strings] has a lone % sign" in result.output
    config.write_text(config.read_text().replace("100% more", "more"))
    result = run("build", "--all", cwd=pub)
    assert "uses %(title)s, which this string does not have (it has: %(name)s)" in result.output


GREEK_PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "View in browser"
msgstr "Προβολή στο πρόγραμμα περιήγησης"

msgid "Read more"
msgstr "Διαβάστε περισσότερα"

msgid "Unsubscribe"
msgstr "Απεγγραφή"

msgid "Subscribe to %(name)s"
msgstr "Εγγραφή στο %(name)s"

msgid "A string we never had"
msgstr "Κάτι"
'''


def test_a_publication_brings_its_own_catalog(publication, run):
    pub = basic_in(publication, "el")
    result = run("build", "--all", cwd=pub)
    assert result.exit_code == 0, result.output
    assert "warning: no catalog for language 'el': the theme's words stay English; add locale/el.po" in result.output
    (pub / "locale").mkdir()
    (pub / "locale" / "el.po").write_text(GREEK_PO, encoding="utf-8")
    result = run("build", "--all", cwd=pub)
    assert result.exit_code == 0, result.output
    assert "no catalog" not in result.output
    assert "locale/el.po:17: warning: 'A string we never had' is not one of the theme's strings" in result.output
    out = next((pub / "dist").glob("*/email.txt")).parent
    html = (out / "email.html").read_text()
    assert "Προβολή στο πρόγραμμα περιήγησης" in html and "Απεγγραφή" in (out / "email.txt").read_text()
    assert '<html lang="el" dir="ltr"' in html
    assert "Email preferences" in html, "strings its catalog lacks stay English"
    (pub / "locale" / "el.po").write_text(GREEK_PO.replace("Εγγραφή στο %(name)s", "Εγγραφή %(who)s"))
    result = run("build", "--all", cwd=pub)
    assert result.exit_code != 0
    assert "locale/el.po:14: the translation of 'Subscribe to %(name)s' uses %(who)s" in result.output
    (pub / "locale" / "el.po").write_text('msgid "x"\nmsgstr "y"\nmsgid\n')
    result = run("build", "--all", cwd=pub)
    assert "locale/el.po:3: not a valid .po catalog" in result.output and "Traceback" not in result.output


def test_a_catalog_link_out_of_the_publication_is_refused(publication, run, tmp_path):
    pub = basic_in(publication, "el")
    outside = tmp_path / "elsewhere.po"
    outside.write_text(GREEK_PO, encoding="utf-8")
    (pub / "locale").mkdir()
    (pub / "locale" / "el.po").symlink_to(outside)
    result = run("build", "--all", cwd=pub)
    assert result.exit_code != 0
    assert "el.po: this catalog is a link to a file outside the publication" in result.output


def test_publication_language_and_dir_settings(publication, run):
    pub = basic_in(publication, "he")
    result = run("build", "--all", cwd=pub)
    assert result.exit_code == 0, result.output
    html = next((pub / "dist").glob("*/email.html")).read_text()
    assert '<html lang="he" dir="rtl"' in html and "צפייה בדפדפן" in html
    meta = next((pub / "issues").glob("*/issue.toml"))
    meta.write_text(meta.read_text() + 'language = "en-GB"\n')
    result = run("build", "--all", cwd=pub)
    html = next((pub / "dist").glob("*/email.html")).read_text()
    assert '<html lang="en-GB" dir="ltr"' in html and "View in browser" in html, "an issue's language wins"
    meta.write_text(meta.read_text() + 'dir = "rtl"\n')
    result = run("build", "--all", cwd=pub)
    assert '<html lang="en-GB" dir="rtl"' in next((pub / "dist").glob("*/email.html")).read_text()


@pytest.mark.parametrize(("language", "babel"), [("en", False), ("en-GB", False), ("de", True)])
def test_rendering_english_imports_no_babel(publication, language, babel):
    """Rendering an English issue reads no catalog and imports no Babel (import and locale data: ~30 ms)."""
    pub = basic_in(publication, language)
    code = ("import sys; from pathlib import Path; from newsletter.build import build_issue; "
            "from newsletter.config import load_settings; from newsletter.content import list_issues; "
            f"s = load_settings(Path({str(pub)!r})); r = build_issue(s, list_issues(s)[0]); "
            "print(r.text.splitlines()[1], any(m.startswith('babel') for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(PROJECT), "HOME": str(pub), "NEWSLETTER_INLINE_WORKER": "0"})
    expected = "Ausgabe 7 · 1. Mai 2024 True" if babel else "Issue 7 · 1 May 2024 False"
    assert done.stdout.strip() == expected, done.stdout + done.stderr


def test_every_template_string_is_in_every_shipped_catalog():
    """scripts/i18n check: every catalog has every string, translated, same placeholders, .mo compiled from it."""
    done = subprocess.run([sys.executable, str(PROJECT / "scripts" / "i18n"), "check"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(i18n.shipped())} catalogs" in done.stdout and "complete" in done.stdout
    assert set(i18n.shipped()) >= {"en", "de", "fr", "es", "it", "pt", "nl", "sv", "pl", "ru", "uk", "tr", "ar", "he",
                                   "ja", "zh", "ko"}


def test_the_catalog_check_fails_on_a_new_template_string(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT / "templates", project / "templates")
    shutil.copytree(PROJECT / "newsletter", project / "newsletter", ignore=shutil.ignore_patterns("__pycache__"))
    footer = project / "templates" / "footer.mjml"
    footer.write_text(footer.read_text() + '{{ _("Printed on recycled electrons") }}\n')
    done = subprocess.run([sys.executable, str(PROJECT / "scripts" / "i18n"), "check", "--project", str(project)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "de/LC_MESSAGES/newsletter.po: missing 'Printed on recycled electrons'" in done.stdout
    po = project / "newsletter" / "locale" / "fr" / "LC_MESSAGES" / "newsletter.po"
    po.write_text(po.read_text().replace('msgstr "Se désabonner"', 'msgstr "Se désabonner %(name)s"'))
    done = subprocess.run([sys.executable, str(PROJECT / "scripts" / "i18n"), "check", "--project", str(project)],
                          capture_output=True, text=True, check=False)
    assert "'Unsubscribe': placeholders ['name'] differ from the English []" in done.stdout
    assert "fr/LC_MESSAGES/newsletter.mo: out of date with its .po" in done.stdout


def test_the_wheel_ships_the_compiled_catalogs(installed, tmp_path):
    """A German publication built from the installed wheel gets German theme strings."""
    import os

    site = installed
    assert (site / "newsletter" / "locale" / "de" / "LC_MESSAGES" / "newsletter.mo").is_file()
    assert len(list(site.glob("newsletter/locale/*/LC_MESSAGES/newsletter.mo"))) == len(i18n.shipped())
    pub = shutil.copytree(FIXTURES / "basic", tmp_path / "pub")
    config = pub / "newsletter.toml"
    config.write_text(re.sub(r'language = "[^"]*"', 'language = "de"', config.read_text()))
    env = {**os.environ, "PYTHONPATH": str(site)}
    build = subprocess.run([sys.executable, "-m", "newsletter", "build", "--all"], cwd=pub, env=env,
                           capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr
    assert "Im Browser ansehen" in next((pub / "dist").glob("*/email.html")).read_text()



@pytest.fixture(scope="module")
def site(built) -> Path:
    """Publish the languages fixture's web archive (its issue pages, front page and Atom feed)."""
    from click.testing import CliRunner

    from newsletter.cli import cli

    root = built.parent
    result = CliRunner().invoke(cli, ["--root", str(root), "archive", "--out", str(root / "site")])
    assert result.exit_code == 0, result.output
    return root / "site"


@pytest.mark.parametrize("language", sorted(ISSUES))
def test_archive_page_and_feed_entry_speak_the_issues_language(site, language):
    import feedparser

    page = (site / ISSUES[language] / "index.html").read_text()
    assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}"' in page
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if e.link.rstrip("/").endswith(ISSUES[language]))
    content = entry.content[0].value
    assert f'lang="{language}"' in content and f'dir="{"rtl" if language == "ar" else "ltr"}"' in content
    for shown, where in ((visible(page), "archive page"), (visible("<body>" + content), "feed entry")):
        left = [p.pattern for p in english_patterns(language) if p.search(shown)]
        assert not left, f"{language} {where} still says {left}"
    words = i18n.translator(_settings(), language)
    assert words.gettext("All issues of %(name)s", name="Harbour Notes") in visible(page)
    assert words.gettext("Read more") in visible("<body>" + content)
    assert DATES[language] in visible(page)


def test_the_front_page_marks_issues_in_other_languages_and_counts_in_its_own(site, run):
    front = (site / "index.html").read_text()
    assert '<html lang="en" dir="ltr"' in front and "5 issues" in visible(front)
    assert re.search(r'<h3 lang="ar" dir="rtl"><a [^>]*>مصابيح الميناء', front)
    root = shutil.copytree(FIXTURES / LANGUAGES, Path.cwd() / "pub-de")
    config = root / "newsletter.toml"
    config.write_text(config.read_text().replace('language = "en"', 'language = "de"'))
    result = run("archive", "--out", str(root / "site-de"), cwd=root)
    assert result.exit_code == 0, result.output
    front = (root / "site-de" / "index.html").read_text()
    assert '<html lang="de" dir="ltr"' in front
    left = [p.pattern for p in english_patterns("de") if p.search(visible(front))]
    assert not left, left
    assert "5 Ausgaben" in visible(front) and "Neueste Ausgabe" in visible(front) and "4. April 2026" in front


@pytest.mark.parametrize(("language", "counts"), [
    ("en", {1: "1 issue", 2: "2 issues", 1204: "1,204 issues"}),
    ("de", {1: "1 Ausgabe", 1204: "1.204 Ausgaben"}),
    ("ru", {1: "1 выпуск", 3: "3 выпуска", 5: "5 выпусков", 21: "21 выпуск", 112: "112 выпусков"}),
    ("pl", {1: "1 wydanie", 22: "22 wydania", 25: "25 wydań"}),
    ("ar", {0: "لا أعداد", 1: "عدد واحد", 2: "عددان", 7: "7 أعداد", 11: "11 عددًا", 100: "100 عدد"}),
    ("ja", {1: "全1号", 12: "全12号"}),
])
def test_counts_take_the_languages_plural_forms(language, counts):
    words = i18n.translator(_settings(), language)
    for n, shown in counts.items():
        assert words.ngettext("%(num)s issue", "%(num)s issues", n) == shown
