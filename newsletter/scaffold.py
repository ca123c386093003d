"""`init` and `new`: starting content that builds as it is."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from newsletter.config import CONFIG_NAME, Settings
from newsletter.errors import UsageError
from newsletter.writer import write_tree

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

CONFIG = '''# The publication: {name}. Every key is documented in the README.
[publication]
name = {name_toml}
url = "https://example.org/{slug}"                 # where the web archive lives
subscribe_url = "https://example.org/{slug}/subscribe"
unsubscribe_url = "https://example.org/{slug}/unsubscribe"
from_name = {name_toml}
from_email = "editor@example.org"
postal_address = "Replace with your postal address, City, Country"
language = "en"

[theme]
accent_color = "#b3261e"

[text]
width = 72
'''

ISSUE = '''subject = {subject}
preheader = {preheader}
date = {date}
number = {number}
intro = """
{intro}
"""
'''

LEAD = '''---
title: Welcome to the first issue
byline: By the editor
kind: lead
link: https://example.org/welcome
---
Every story is a file in this folder. This one is Markdown with a little
*front matter* on top; the next one is plain text.

Edit the files, run `newsletter build`, and open `dist/{slug}/email.html`.
'''

SECOND = '''How the folder becomes an email

Stories are built in file-name order, so the 01-, 02- prefixes set the order.

A .txt story like this one needs no markup: its first line is the headline and blank lines separate the paragraphs.
'''

BRIEF = '''---
title: One more thing
kind: brief
---
Briefs are short items set compactly. Try `kind: quote` or `kind: sponsor` too.
'''


def _toml(text: str) -> str:
    """Return text as a TOML basic string (JSON's string syntax is valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def init_publication(folder: Path, today: dt.date | None = None) -> list[Path]:
    """Create a publication folder with newsletter.toml and a first issue; return the files made."""
    folder = folder.resolve()
    if folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder} already exists and is not empty; choose a new folder name", folder)
    today = today or dt.date.today()
    name = "".join(c for c in folder.name if c.isprintable()).replace("-", " ").replace("_", " ").title()
    name = name.strip() or "My Newsletter"
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "letter"
    issue_slug = f"{today.isoformat()}-first-issue"
    files = {
        CONFIG_NAME: CONFIG.format(name=name, name_toml=_toml(name), slug=slug),
        ".gitignore": "# build output and caches: made again by `newsletter build`\ndist/\n.newsletter-cache/\n",
        f"issues/{issue_slug}/issue.toml": ISSUE.format(
            subject=_toml(f"{name}: the first issue"),
            preheader=_toml("What this newsletter is, and how its stories are made."),
            date=today.isoformat(), number=1, intro="Hello, and thank you for reading."),
        f"issues/{issue_slug}/01-welcome.md": LEAD.format(slug=issue_slug),
        f"issues/{issue_slug}/02-how-it-works.txt": SECOND,
        f"issues/{issue_slug}/03-one-more-thing.md": BRIEF,
    }
    write_tree(folder, {k: v.encode("utf-8") for k, v in files.items()}, kind=None, replace=False,
               folders=(f"issues/{issue_slug}/images",))
    return [folder / k for k in files]


def new_issue(settings: Settings, slug: str, today: dt.date | None = None) -> list[Path]:
    """Start issues/SLUG with issue.toml and a first story; return the files made."""
    if not SLUG.match(slug):
        raise UsageError(f"{slug!r} is not a usable issue name: use lower-case letters, digits and dashes, "
                         "such as 2024-03-23-crocus", settings.issues_dir)
    folder = settings.issues_dir / slug
    if folder.exists():
        raise UsageError(f"issue {slug!r} already exists", folder)
    today = today or dt.date.today()
    from newsletter.content import list_issues, peek

    numbers = [n for n in (peek(p, "number") for p in list_issues(settings)) if isinstance(n, int)]
    files = {
        "issue.toml": ISSUE.format(subject=_toml("Write the subject line here"),
                                   preheader=_toml("One sentence that shows beside the subject in the inbox."),
                                   date=today.isoformat(), number=max(numbers, default=0) + 1,
                                   intro="A line or two from the editor."),
        "01-lead.md": "---\ntitle: The headline of the lead story\nbyline: By …\nkind: lead\n---\n"
                      "Write the lead story here.\n",
    }
    write_tree(folder, {k: v.encode("utf-8") for k, v in files.items()}, kind=None, replace=False,
               folders=("images",))
    return [folder / k for k in files]
