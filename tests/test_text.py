"""The plain-text edition: golden files per construct and per issue, options, the seed story, the CLI."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.render.text_wrap import display_width, wrap

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONSTRUCTS = [
    "01-headings", "02-emphasis", "03-lists", "04-nested-lists", "05-blockquote", "06-code", "07-table",
    "08-table-wide", "09-images", "10-rules-breaks", "11-entities-html", "12-links", "13-typography",
    "14-scripts",
]  # fmt: skip
SLUG = "2024-02-01-constructs"


def build_text(root: Path, slug: str) -> str:
    """Build every issue of a publication through the CLI and return one issue's email.txt."""
    result = CliRunner().invoke(cli, ["--root", str(root), "build", "--all"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return (root / "dist" / slug / "email.txt").read_text(encoding="utf-8")


def sections(text: str, width: int = 72) -> list[str]:
    """Split an email.txt at the rules between stories: masthead, stories..., footer."""
    return text.split(f"\n\n{'-' * width}\n\n")


def with_options(tmp_path: Path, name: str, options: str) -> Path:
    """Copy a fixture publication and append a [text] table to its newsletter.toml."""
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    config = root / "newsletter.toml"
    text = re.sub(r"\[text\][^\[]*", "", config.read_text(encoding="utf-8"))
    config.write_text(f"{text}\n[text]\n{options}\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def constructs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Build the constructs fixture once and return its sections."""
    root = tmp_path_factory.mktemp("text") / "text-constructs"
    shutil.copytree(FIXTURES / "text-constructs", root)
    return sections(build_text(root, SLUG))


@pytest.mark.parametrize("index", range(len(CONSTRUCTS)), ids=CONSTRUCTS)
def test_construct_golden(constructs: list[str], golden, index: int) -> None:
    """Each Markdown construct renders as reviewed in tests/golden/text/constructs/."""
    assert len(constructs) == len(CONSTRUCTS) + 2
    golden(f"text/constructs/{CONSTRUCTS[index]}.txt", constructs[index + 1] + "\n")


def test_masthead_intro_and_footer_golden(constructs: list[str], golden) -> None:
    """Masthead, intro with its reference list, and the footer with the filled merge tags."""
    golden("text/constructs/masthead.txt", constructs[0] + "\n")
    golden("text/constructs/footer.txt", constructs[-1])


@pytest.mark.parametrize("slug", ["2024-03-23-harbour", "2024-04-06-letters"])
def test_whole_issue_golden(tmp_path: Path, golden, slug: str) -> None:
    """Two whole issues, as `newsletter build` writes email.txt."""
    root = tmp_path / "pub"
    shutil.copytree(FIXTURES / "text-issues", root)
    golden(f"text/issues/{slug}.txt", build_text(root, slug))


@pytest.mark.parametrize(
    ("options", "stories", "name"),
    [
        ('emphasis = "markers"', ["02-emphasis", "06-code", "11-entities-html"], "markers"),
        ('links = "inline"', ["12-links", "07-table"], "inline-links"),
        ("ascii = true", ["13-typography", "14-scripts"], "ascii"),
        ("width = 40", ["03-lists", "05-blockquote", "07-table", "14-scripts"], "width-40"),
    ],
)
def test_option_golden(tmp_path: Path, golden, options: str, stories: list[str], name: str) -> None:
    """The [text] options change only what they name."""
    root = with_options(tmp_path, "text-constructs", options)
    width = int(options.split("=")[1]) if options.startswith("width") else 72
    parts = sections(build_text(root, SLUG), width)
    for story in stories:
        golden(f"text/options/{name}/{story}.txt", parts[CONSTRUCTS.index(story) + 1] + "\n")


def test_lines_fit_the_width(constructs: list[str]) -> None:
    """Outside code blocks, no line is wider than 72 columns unless it is one unbreakable token."""
    for part in constructs:
        for line in part.split("\n"):
            if display_width(line) > 72 and not line.startswith("    "):
                assert len(line.split()) == 1, line


def test_ascii_leaves_no_typographic_punctuation(tmp_path: Path) -> None:
    """With ascii = true the typography story is pure ASCII and letters of other scripts survive."""
    root = with_options(tmp_path, "text-constructs", "ascii = true")
    parts = sections(build_text(root, SLUG))
    typography = parts[CONSTRUCTS.index("13-typography") + 1]
    assert typography.replace("é", "").isascii(), typography
    assert '"Curly double quotes," \'single quotes\', an en dash in 2023-2024' in typography
    assert "שלום" in parts[CONSTRUCTS.index("14-scripts") + 1]


def test_seed_story_round_trips(tmp_path: Path, shared_dir: Path) -> None:
    """Every paragraph of the seed story appears once per occurrence, quotes intact."""
    seed = (shared_dir / "seed" / "crocus-city-hall.txt").read_text(encoding="utf-8")
    root = tmp_path / "pub"
    shutil.copytree(FIXTURES / "text-issues", root)
    issue = root / "issues" / "2024-03-23-harbour"
    for story in issue.glob("0*"):
        story.unlink()
    (issue / "01-crocus-city-hall.txt").write_text(seed, encoding="utf-8")
    text = build_text(root, issue.name)
    story = sections(text)[1]
    paragraphs = [" ".join(p.split()) for p in seed.strip().split("\n\n")]
    rendered = [" ".join(p.split()) for p in story.split("\n\n")]
    headline, body = paragraphs[0], paragraphs[1:]
    assert " ".join(rendered[0].split()[:-1]) == headline  # the title, then its `====` underline
    for paragraph in body:
        assert rendered.count(paragraph) == body.count(paragraph), paragraph
    for mark in "“”‘’":
        assert story.count(mark) == seed.count(mark), mark
    assert all(display_width(line) <= 72 for line in text.split("\n"))


def test_text_is_not_scraped_from_html(tmp_path: Path) -> None:
    """A table renders as aligned columns without pipes; the HTML's layout tables leave no trace."""
    root = tmp_path / "pub"
    shutil.copytree(FIXTURES / "text-issues", root)
    text = build_text(root, "2024-03-23-harbour")
    assert "|" not in text
    assert "\n\n\n" not in text
    assert not re.search(r"<[a-zA-Z/][^>]*>|&[a-zA-Z]+;|&#\d+;", text)
    assert "Monday to Friday  06:40  22:10" in text


def test_story_link_appears_once(tmp_path: Path) -> None:
    """A story's canonical link is its one "Read more" line, even when the body links it too."""
    root = tmp_path / "pub"
    shutil.copytree(FIXTURES / "text-constructs", root)
    text = build_text(root, SLUG)
    assert text.count("https://constructs.example.org/links-story") == 1
    assert "Read more [6]" in text


@pytest.mark.parametrize("options", ["", 'links = "inline"'])
def test_story_link_printed_in_the_body_is_not_repeated(tmp_path: Path, options: str) -> None:
    """When the body already prints the story's URL (bare, or inline links), there is no "Read more" line."""
    root = with_options(tmp_path, "text-constructs", options)
    story = root / "issues" / SLUG / "12-links.md"
    story.write_text("---\ntitle: Links\nlink: https://constructs.example.org/links-story\n---\n"
                     "The whole story: <https://constructs.example.org/links-story>.\n", encoding="utf-8")
    part = sections(build_text(root, SLUG))[CONSTRUCTS.index("12-links") + 1]
    assert part.count("https://constructs.example.org/links-story") == 1, part
    assert "Read more" not in part


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("one two three four", 9, ["one two", "three", "four"]),
        ("a https://example.org/a/very/long/path/that/never/breaks b", 10,
         ["a", "https://example.org/a/very/long/path/that/never/breaks", "b"]),
        ("東京都の天気", 6, ["東京都", "の天気"]),
        ("「東京」。です", 4, ["「東", "京」。", "です"]),
        ("e\u0301e\u0301 caf\u00e9 x", 7, ["e\u0301e\u0301 caf\u00e9", "x"]),
        ("line one\nline two", 72, ["line one", "line two"]),
        ("10\u00a0km away", 5, ["10\u00a0km", "away"]),
    ],
)
def test_wrap(text: str, width: int, expected: list[str]) -> None:
    """Wrapping counts display columns, breaks CJK between characters, and keeps NBSP joins."""
    assert wrap(text, width) == expected


def test_merge_tag_with_spaces_is_never_split() -> None:
    """A merge-tag marker whose fallback holds spaces stays whole across a wrap."""
    from newsletter.mergetags import mark

    tag = mark("first_name", "dear reader")
    lines = wrap(f"Hello {tag}, and welcome to this week's letter.", 16)
    assert sum(line.count(tag) for line in lines) == 1
