"""Build a weekly link digest (25 sections, 260 links, UTM on) and print email.html's size and what it is made of.

Modelled on public Markdown link digests: sections ("News", "Releases", …, "Jobs") of bulleted links, each
a title link, its source and a one-line blurb. Their items are terse: in the real issue the size floors come
from, 263 links made 35.6 KB of story HTML (135 bytes a link); these make about 140. Run: python -m benchmarks.digest
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.common import CONFIG, median_seconds, run

SECTIONS = ("News", "Releases", "Articles", "Tutorials", "Talks", "Podcasts", "Tools", "Libraries", "Security",
            "Performance", "Web", "Data", "Testing", "Databases", "Operations", "Cloud", "Mobile", "Design",
            "Accessibility", "Community", "Books", "Events", "Meetups", "Jobs", "Quick links")
SOURCES = (("blog.example.com", "Ex Blog"), ("eng.example.org", "Ex Eng"), ("news.example.net", "Ex News"),
           ("dev.example.io", "dev.io"), ("example.co.uk", "Ex UK"), ("example.dev", "example.dev"))
WORDS = ("faster", "builds", "without", "the", "cache", "a", "practical", "guide", "to", "streaming", "parsers",
         "what", "we", "learned", "moving", "queues", "release", "notes", "for", "version", "two", "small",
         "tools", "that", "save", "hours", "every", "week", "benchmarks", "and", "their", "pitfalls")
BLURBS = ("The new API, with numbers.", "Why they dropped the old format.", "Keep big test suites quick.",
          "A year of it in production.", "Streaming, two flags gone, a leak fixed.", "Slides and a transcript.")
LINKS = 260
FLOOR_KB = 85


def make_digest(root: Path, links: int = LINKS, utm: bool = True) -> Path:
    """Write a publication with one digest issue of len(SECTIONS) sections and `links` links; return its root."""
    root.mkdir(parents=True, exist_ok=True)
    tracking = '\n[links]\nutm_source = "bench-weekly"\nutm_medium = "email"\n' if utm else ""
    (root / "newsletter.toml").write_text(CONFIG + tracking)
    folder = root / "issues" / "2024-03-02-weekly-112"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "issue.toml").write_text(
        'subject = "Bench Weekly 112: faster builds, streaming parsers"\n'
        'preheader = "260 links this week, from release notes to the jobs board."\n'
        'date = 2024-03-02\nnumber = 112\n'
        'intro = "Hello! A long one this week: the best of what we read, sorted by topic."\n'
    )
    n = 0
    for s, section in enumerate(SECTIONS):
        count = links // len(SECTIONS) + (1 if s < links % len(SECTIONS) else 0)
        items = []
        for _ in range(count):
            host, source = SOURCES[n % len(SOURCES)]
            words = [WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(3 + n % 4)]
            title = " ".join(words).capitalize()
            slug = "-".join(words[:3])
            items.append(f"- [{title}](https://{host}/{slug}-{n}) · {source}\n  {BLURBS[n % len(BLURBS)]}")
            n += 1
        (folder / f"{s + 1:02d}-{section.lower().replace(' ', '-')}.md").write_text(
            f"---\ntitle: {section}\nkind: digest\n---\n" + "\n".join(items) + "\n"
        )
    return root


def main() -> None:
    """Build the digest with and without UTM parameters; print sizes, the breakdown and the build time."""
    from newsletter.build import build_issue
    from newsletter.checks.deliverability import size_breakdown
    from newsletter.config import load_settings
    from newsletter.content import list_issues

    newsletter = shutil.which("newsletter") or sys.exit("install the package first: pip install -e .")
    work = Path(tempfile.mkdtemp(prefix="nl-digest-"))
    try:
        sizes = {}
        for utm in (True, False):
            root = make_digest(work / f"utm-{utm}", utm=utm)
            run(newsletter, "build", cwd=root)
            settings = load_settings(root)
            folder = list_issues(settings)[0]
            sizes[utm] = len((root / "dist" / folder.name / "email.html").read_bytes())
            if utm:
                rendered = build_issue(settings, folder)
                seconds = median_seconds(lambda: run(newsletter, "build", cwd=root), repeat=5)  # noqa: B023
                parts = size_breakdown(rendered)
        stories = len(SECTIONS)
        print(f"digest: {stories} sections, {LINKS} links                 size")
        print(f"  email.html, UTM on                      {sizes[True] / 1024:8.1f} KB  (floor: <= {FLOOR_KB} KB)")
        print(f"  email.html, UTM off                     {sizes[False] / 1024:8.1f} KB")
        print(f"  ratio UTM on / off                      {sizes[True] / sizes[False]:8.2f}")
        print(f"  stories' own HTML                       {parts.stories / 1024:8.1f} KB")
        print(f"  links' tracking (UTM)                   {parts.tracking / 1024:8.1f} KB  "
              f"({parts.tracked} links, {parts.tracking / max(parts.tracked, 1):.0f} bytes each)")
        print(f"  layout (head styles, masthead, footer)  {parts.layout / 1024:8.1f} KB")
        print(f"  newsletter build (whole process)        {seconds * 1000:8.1f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
