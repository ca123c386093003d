"""Hypothesis over the loaders: whatever a file holds, loading ends in an Issue or in errors with a path.

Front matter, issue.toml, newsletter.toml and story bodies are drawn from the characters their syntax uses
(brackets, quotes, colons, dashes, Markdown and HTML punctuation), control characters, merge tags and
non-ASCII text. The only acceptable outcomes are success and NewsletterError, whose problems all name a file.
About 30 s in all.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.build import render_issue
from newsletter.config import load_settings
from newsletter.content import load_issue
from newsletter.errors import NewsletterError
from tests.conftest import FIXTURES

A = "2024-05-01-spring"
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

_PIECES = st.sampled_from([
    "\n", " ", "  ", "\t", ":", "-", "- ", "[", "]", "{", "}", "'", '"', '"""', "#", "=", ",", ".", "*", "_", "`",
    "```", "~", ">", "<", "/", "!", "|", "&", "%", "\\", "1", "2024-05-01", "true", "title", "image", "link",
    "subject", "stories", "publication", "name", "[publication]", "[[x]]", "<div>", "</div>", "<b>", "<a href=",
    "<img src=", "<!--", "-->", "{{ first_name }}", '{{ first_name | default: "x" }}', "{{ nope }}",
    "javascript:", "https://example.org/", "images/tree.png", "](", "![", "\x00", "\x0b", "\x1b", "\ufffe",
    "\ue000", "\u202e", "é", "日本", "🙂", "0" * 40, "[" * 40, "- " * 40, "*" * 60,
    "9" * 5000, "[" * 1100, "{a = " * 1100, "<div>" * 120, "> " * 200, "*" * 3000,  # past the limits
])
TEXT = st.lists(_PIECES | st.text(max_size=8), max_size=60).map("".join)


@contextmanager
def _publication() -> Iterator[Path]:
    """Yield a fresh copy of the basic fixture (hypothesis runs many examples in one test)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        shutil.copytree(FIXTURES / "basic", folder / "pub")
        yield folder / "pub"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _load(root: Path, render: bool = False) -> None:
    """Load (and maybe render) the issue; only NewsletterError may escape, and its problems name a file."""
    try:
        issue = load_issue(load_settings(root), root / "issues" / A)
        if render:
            render_issue(issue)
    except NewsletterError as exc:
        assert exc.problems and all(p.path is not None for p in exc.problems), exc.problems


# file -> how the drawn text is placed in it
FILES = {
    f"issues/{A}/04-x.md": "---\n{}\n---\nBody text.\n",  # front matter
    f"issues/{A}/issue.toml": 'subject = "S"\n{}\n',
    "newsletter.toml": '[publication]\nname = "N"\n{}\n',
}


@pytest.mark.parametrize("name", FILES)
@FUZZ
@given(text=TEXT)
def test_loader(name: str, text: str) -> None:
    """Any front matter, issue.toml or newsletter.toml gives an issue or a located error."""
    with _publication() as root:
        (root / name).write_text(FILES[name].format(text), encoding="utf-8")
        _load(root)


@settings(FUZZ, max_examples=150)
@given(TEXT)
def test_story_body(body: str) -> None:
    """Any story body gives an email (rendered through MJML and CSS inlining) or a located error."""
    with _publication() as root:
        (root / "issues" / A / "04-x.md").write_text(f"# Fuzz\n\n{body}\n", encoding="utf-8")
        _load(root, render=True)
