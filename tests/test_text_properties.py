"""Properties of the plain-text renderer over generated Markdown stories (hypothesis)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.config import load_settings
from newsletter.content import load_issue
from newsletter.mergetags import OPEN
from newsletter.render.text import render_text
from newsletter.render.text_wrap import display_width, first_strong

WORDS = [
    "harbour", "wall", "ferry", "bolt", "Tuesday", "café", "naïve", "1,204", "48", "11:42", "£2.1",
    "“quoted”", "don’t", "東京", "歩道橋", "防波堤の修理", "שלום", "נמל", "مرحبا", "한국어", "🎉",
    "e\u0301clair", "supercalifragilisticexpialidocious-and-then-some-more-letters-on-top",
    "x" * 90,
]  # fmt: skip
URLS = [f"https://example.org/p{i}/" for i in range(5)]
TAG = re.compile(r"<[a-zA-Z/!][^>]*>|&[a-zA-Z][a-zA-Z0-9]*;|&#x?[0-9a-fA-F]+;")
PREFIX = re.compile(r"^\s*(?:>\s?)*\s*(?:-|\d+\.|\[\d+\])?\s*")


@dataclass
class Story:
    """A generated story: its Markdown, its words in order, and the URLs it links."""

    markdown: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    urls: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)  # every link's URL, once per link


@st.composite
def inline(draw: st.DrawFn, story: Story) -> str:
    """Draw one inline element and record its words and URL."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
    kind = draw(st.sampled_from(["text", "text", "em", "strong", "link", "code", "html", "autolink"]))
    story.words += words
    text = " ".join(words)
    if kind == "em":
        return f"*{text}*"
    if kind == "strong":
        return f"**{text}**"
    if kind == "link":
        url = draw(st.sampled_from(URLS))
        story.urls.add(url)
        story.links.append(url)
        return f"[{text}]({url})"
    if kind == "code":
        return " ".join(f"`{w}`" for w in words)
    if kind == "html":
        return f"<b>{text}</b> <span>&amp;</span>"
    if kind == "autolink":
        url = f"https://example.net/bare{len(story.urls)}-{len(story.words)}/"
        story.urls.add(url)
        story.links.append(url)
        return f"{text} <{url}>"
    return text


@st.composite
def stories(draw: st.DrawFn) -> Story:
    """Draw a story of paragraphs, headings, lists and quotes."""
    story = Story()
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["para", "para", "heading", "bullets", "ordered", "quote", "hard"]))
        if kind in {"bullets", "ordered"}:
            items = []
            for number in range(1, draw(st.integers(1, 4)) + 1):
                marker = f"{number}." if kind == "ordered" else "-"
                items.append(f"{marker} {' '.join(draw(inline(story)) for _ in range(draw(st.integers(1, 3))))}")
            story.markdown.append("\n".join(items))
            continue
        parts = " ".join(draw(inline(story)) for _ in range(draw(st.integers(1, 5))))
        if kind == "heading":
            story.markdown.append(f"## {parts}")
        elif kind == "quote":
            story.markdown.append(f"> {parts}")
        elif kind == "hard":
            story.markdown.append(f"{parts}\\\n{' '.join(draw(inline(story)) for _ in range(2))}")
        else:
            story.markdown.append(parts)
    return story


def render(story: Story, width: int, link: str, inline_links: bool = False) -> str:
    """Write the story into a one-issue publication, load it and render its text."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "newsletter.toml").write_text(f'[publication]\nname = "P"\n\n[text]\nwidth = {width}\n'
                                            + ('links = "inline"\n' if inline_links else ""))
        issue = root / "issues" / "one"
        issue.mkdir(parents=True)
        (issue / "issue.toml").write_text('subject = "S"\n')
        front = f"---\ntitle: T\nlink: {link}\n---\n" if link else "---\ntitle: T\n---\n"
        (issue / "01-story.md").write_text(front + "\n\n".join(story.markdown) + "\n", encoding="utf-8")
        return render_text(load_issue(load_settings(root), issue))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story=stories(), width=st.integers(20, 78), link=st.sampled_from(["", URLS[0], "https://example.org/more/"]),
       inline_links=st.booleans())
def test_generated_stories(story: Story, width: int, link: str, inline_links: bool) -> None:
    """Lines fit, no markup survives, every URL appears once (inline: once per link), words keep their order."""
    text = render(story, width, link, inline_links)
    body = text.split("\n\n" + "-" * width + "\n\n")[1]
    for line in body.split("\n"):
        if display_width(line) > width and first_strong(line) != "rtl":  # right-to-left paragraphs stay whole
            rest = re.sub(r" \[\d+\]", "", PREFIX.sub("", line, count=1))
            assert len(rest.split()) == 1, f"{line!r} is wider than {width} columns"
    assert not TAG.search(body), TAG.search(body)
    assert OPEN not in body
    for url in story.urls | ({link} if link else set()):
        expected = max(story.links.count(url), 1) if inline_links else 1
        assert body.count(url) == expected, (url, body)
    flat = "".join(re.sub(r"\s+", "", PREFIX.sub("", line, count=1)) for line in body.split("\n"))
    position = 0
    for word in story.words:
        found = flat.find(word.replace(" ", ""), position)
        assert found >= 0, (word, flat[position:])
        position = found + len(word)
