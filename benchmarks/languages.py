"""What a language costs a build: one 10-story issue rendered in English and in other languages, side by side.

Run: python -m benchmarks.languages [--repeat N]
Prints, per language: the in-process render time (warm: catalogs and Babel's locale data loaded; languages
interleaved round by round, the median of the rounds) with its ratio to English, the bytes of email.html and
email.txt, and what a fresh process pays the first time it needs the language (reading its catalog, importing
Babel and loading the locale's CLDR data for the date).
Target: a warm localised render within 5% of English; the one-time cost of a language under 60 ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import PROJECT, make_publication, median_seconds

LANGUAGES = ("en", "de", "fr", "ja", "ar", "he", "zh", "ru")
FIRST_USE = """
import datetime, time
from pathlib import Path
from newsletter.config import load_settings
from newsletter.i18n import translator
settings = load_settings(Path({root!r}))
start = time.perf_counter()
t = translator(settings, {language!r})
t.gettext("Read more"), t.date(datetime.date(2024, 3, 23))
print(time.perf_counter() - start)
"""


def first_use(root: Path, language: str) -> float:
    """Return the seconds a fresh process spends loading a language for its first render."""
    code = FIRST_USE.format(root=str(root), language=language)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(PROJECT)})
    return float(done.stdout.strip())


def main() -> None:
    """Render the bench issue in each language and print the table."""
    from newsletter.build import build_issue
    from newsletter.config import load_settings
    from newsletter.content import list_issues
    from newsletter.render.inline import inline_now

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = make_publication(Path(work) / "bench", stories=10)
        settings = load_settings(root)
        folder = list_issues(settings)[0]
        meta = folder / "issue.toml"
        folders = {}
        for language in LANGUAGES:  # one copy of the issue per language, rendered in interleaved rounds
            folders[language] = folder.with_name(f"{folder.name}-{language}")
            shutil.copytree(folder, folders[language])
            (folders[language] / "issue.toml").write_text(meta.read_text() + f'language = "{language}"\n')
            build_issue(settings, folders[language], inline_now)  # warm: templates, catalogs, locale data
        times: dict[str, list[float]] = {language: [] for language in LANGUAGES}
        for _ in range(args.repeat):
            for language in LANGUAGES:
                times[language].append(median_seconds(lambda f=folders[language]: build_issue(settings, f, inline_now),
                                                      1))
        rows = []
        for language in LANGUAGES:
            rendered = build_issue(settings, folders[language], inline_now)
            rows.append((language, statistics.median(times[language]), len(rendered.html.encode()),
                         len(rendered.text.encode()), first_use(root, language)))
        english = rows[0][1]
        print(f"{'language':<9}{'render ms':>10}{'vs en':>8}{'html B':>9}{'text B':>9}{'first use ms':>14}")
        for language, seconds, html, text, first in rows:
            print(f"{language:<9}{seconds * 1000:>10.1f}{seconds / english:>8.2f}{html:>9}{text:>9}"
                  f"{first * 1000:>14.1f}")


if __name__ == "__main__":
    main()
