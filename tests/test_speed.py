"""Speed work changes no output: email.html and email.txt of every fixture issue match reviewed goldens.

The builds run as a user runs them (a fresh `python -m newsletter` process, the inlining worker allowed), so
every start-up and shutdown shortcut of the command line is on the path these goldens check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, PROJECT

# Each fixture publication with its issues (check-seed's only issue has no stories: it cannot build;
# check-digests' three issues differ only in their numbers, so one of them stands for all; one archive issue).
PUBLICATIONS = {
    "archive": ["2024-02-09-ferry"],
    "basic": ["2024-05-01-spring"],
    "check-clean": ["2024-06-01-summer"],
    "check-digests": ["2024-04-01-digest-1"],
    "engines": ["2024-07-06-tides"],
    "languages": ["2026-03-07-hafen", "2026-03-14-port", "2026-03-21-minato", "2026-03-28-almina",
                  "2026-04-04-harbour"],
    "text-constructs": ["2024-02-01-constructs"],
    "text-issues": ["2024-03-23-harbour", "2024-04-06-letters"],
    "theme": ["2024-09-07-harbour"],
    "sample": ["2026-11-14-the-bridge", "2026-11-28-night-ferry"],
}


def build_in_a_process(root: Path, slugs: list[str], out: Path) -> subprocess.CompletedProcess[str]:
    """Build issues of a publication with the command line in a new process, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_INLINE_WORKER"}
    env["PYTHONPATH"] = str(PROJECT)
    return subprocess.run([sys.executable, "-m", "newsletter", "--root", str(root), "build", *slugs,
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("name", sorted(PUBLICATIONS))
def test_build_output_is_byte_identical_to_the_goldens(name: str, tmp_path: Path, golden) -> None:
    root = PROJECT if name == "sample" else FIXTURES / name
    for run in ("cold", "warm"):  # empty caches (this test's own HOME), then the caches the first run left
        result = build_in_a_process(root, PUBLICATIONS[name], tmp_path / run)
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("built ") == len(PUBLICATIONS[name]), "every line of stdout reached the pipe"
        for slug in PUBLICATIONS[name]:
            for file in ("email.html", "email.txt"):
                data = (tmp_path / run / slug / file).read_bytes()
                golden(f"emails/{name}/{slug}/{file}", data.decode("utf-8"))
    assert list(Path.home().glob(".cache/newsletter/shared/premailer/*.json")), "the CSS parse cache was written"
    assert list(Path.home().glob(".cache/newsletter/shared/compiled/*.bin")), "the compile cache was written"


def test_the_english_constants_are_what_babel_gives() -> None:
    from newsletter.checks import language

    assert language._number_symbols("en") == language._cldr_number_symbols("en")
    assert language._date_words("en") == language._cldr_date_words("en")
    assert language._date_words("de") == language._cldr_date_words("de") > language._ENGLISH_DATES


def _python_document(text: str) -> tuple[object, object]:
    """Return (node, data) as PyYAML's Python safe loader reads text."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def test_front_matter_reads_the_same_with_libyaml() -> None:
    import yaml

    from newsletter import limits

    assert yaml.__with_libyaml__, "PyYAML without libyaml: the fast path is not tested"
    assert "CParser" in [c.__name__ for c in limits._yaml_loader(fast=True).__mro__]
    stories = [*FIXTURES.glob("*/issues/*/*.md"), *PROJECT.glob("issues/*/*.md")]
    fronts = [p.read_text(encoding="utf-8").split("---\n")[1] for p in stories
              if p.read_text(encoding="utf-8").startswith("---\n")]
    assert len(fronts) > 20
    for front in fronts:
        node, data = limits.yaml_document(front)
        python_node, python_data = _python_document(front)
        assert data == python_data
        assert [(k.value, k.start_mark.line) for k, _ in node.value] == [
            (k.value, k.start_mark.line) for k, _ in python_node.value]


MALFORMED = ["title: [\n", "title: a\n  b: c\n", "a: 1\na: {\n", "- x\ny: z\n", "t: 'open\n", "x: *nothing\n",
             "a: !!python/object:os.system x\n", "a:\tb\n\tc: d\n", "%YAML 9.1\n--- x\n--- y\n"]


@pytest.mark.parametrize("front", MALFORMED)
def test_front_matter_errors_keep_the_python_loaders_words_and_lines(front: str) -> None:
    import yaml

    from newsletter import limits

    with pytest.raises(yaml.YAMLError) as python:
        _python_document(front)
    with pytest.raises(yaml.YAMLError) as ours:
        limits.yaml_document(front)
    assert str(ours.value) == str(python.value)


def test_the_narrow_characters_are_one_column_each_in_wcwidth() -> None:
    import random

    import wcwidth

    from newsletter.render import text_wrap

    narrow = [chr(c) for c in range(0x20, 0x3000) if text_wrap._NARROW.fullmatch(chr(c))]
    assert len(narrow) > 700 and "’" in narrow and "—" in narrow and "é" in narrow
    assert all(wcwidth.width(c) == 1 for c in narrow)
    assert not text_wrap._NARROW.fullmatch("e\u0301") and not text_wrap._NARROW.fullmatch("a\u200bb")
    rng = random.Random(17)
    for _ in range(2000):
        text = "".join(rng.choice(narrow) for _ in range(rng.randrange(1, 12)))
        assert text_wrap.display_width(text) == wcwidth.width(text.replace(text_wrap.GLUE, " ")) == len(text)


@pytest.mark.parametrize("content", ["{not json", "[]", '{"version": 2, "libraries": "x"}', "\x00" * 64, "MALFORMED"])
def test_a_broken_css_parse_cache_changes_nothing(content: str, tmp_path: Path, golden) -> None:
    first = build_in_a_process(FIXTURES / "basic", [], tmp_path / "first")
    assert first.returncode == 0, first.stderr
    (cached,) = Path.home().glob(".cache/newsletter/shared/premailer/parsed.json")
    if content == "MALFORMED":  # the right libraries, every entry of the wrong shape
        data = json.loads(cached.read_text(encoding="utf-8"))
        data["rules"] = {key: [[[[1, "x"], 2, None]], []] for key in data["rules"]}
        data["pairs"] = {key: [["color"]] if n % 2 else {"a": 1} for n, key in enumerate(data["pairs"])}
        assert data["float"], "the fixture's images have style attributes"
        data["float"] = dict.fromkeys(data["float"], 5)
        content = json.dumps(data)
    cached.write_text(content, encoding="utf-8")
    again = build_in_a_process(FIXTURES / "basic", [], tmp_path / "again")
    assert again.returncode == 0, again.stderr
    for file in ("email.html", "email.txt"):
        golden(f"emails/basic/2024-05-01-spring/{file}", (tmp_path / "again" / "2024-05-01-spring" / file).read_text())
    from newsletter.render import css_cache

    assert json.loads(cached.read_text(encoding="utf-8"))["version"] == css_cache.VERSION, "written again"


def test_with_warm_caches_a_build_never_imports_cssutils(tmp_path: Path) -> None:
    code = ("import atexit, sys\n"
            "def report():\n"
            "    module = sys.modules.get('cssutils')\n"
            "    print('cssutils', 'loaded' if module is not None and '__file__' in vars(module) else 'not loaded')\n"
            "atexit.register(report)\n"
            "sys.argv = ['newsletter', 'build', '--force', '--out', sys.argv[1]]\n"
            "from newsletter.__main__ import main\n"
            "main()\n")
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "NEWSLETTER_INLINE_WORKER": "0"}
    runs = [subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], cwd=FIXTURES / "basic", env=env,
                           capture_output=True, text=True, timeout=120, check=False) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    assert "cssutils loaded" in runs[0].stdout, "empty caches: cssutils parses the CSS"
    assert "cssutils not loaded" in runs[1].stdout, "every parse came from the cache"


@pytest.mark.parametrize("text", ["Plain words, and “quotes” — dashes.", "", "港の朝 is busy", "ひらがな と カタカナ",
                                  "𠀀𠀁 wide", "\u303f just below kana", "Ünïcödé café naïve"])
def test_word_counts_skip_the_kana_pattern_only_where_it_cannot_match(text: str) -> None:
    import re

    from newsletter.checks.context import count_words
    from newsletter.model import unspaced

    pattern = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
    wide = len(pattern.findall(text))
    spaced = sum(1 for word in pattern.sub(" ", text).split() if any(c.isalnum() for c in word))
    assert count_words(text)[0] == spaced + wide
    assert pattern.pattern == unspaced().pattern
