"""`init` and `new`: starting content that builds as it is."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from pathlib import Path

from newsletter.config import CONFIG_NAME, Settings
from newsletter.errors import UsageError
from newsletter.writer import write_tree

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
SLUG_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?=-|$)")  # 2024-03-23-crocus: dated 23 March 2024

# What `init` writes into newsletter.toml for the editor to replace: example.org never delivers mail, so
# checks.placeholders reports each one left in place as an error, for every issue.
EXAMPLE_SITE = "https://example.org"
EXAMPLE_SENDER = "editor@example.org"
POSTAL_PLACEHOLDER = "Replace with your postal address, City, Country"
INIT_PREHEADER = "What this newsletter is, and how its stories are made."
# What `new` writes for the editor to replace (checks.placeholders reports every one left in an issue).
NEW_ISSUE = {"subject": "Write the subject line here",
             "preheader": "One sentence that shows beside the subject in the inbox.",
             "intro": "A line or two from the editor."}
NEW_STORY = {"title": "The headline of the lead story", "byline": "By …", "body": "Write the lead story here."}

CONFIG = '''# The publication: {name}. Every key is documented in the README.
# Replace the example.org addresses and the postal address with your own: `newsletter check` reports
# them as errors, and export refuses to send them, until you do.
[publication]
name = {name_toml}
url = "{site}"                 # where the web archive lives
subscribe_url = "{site}/subscribe"
unsubscribe_url = "{site}/unsubscribe"
from_name = {name_toml}
from_email = "{sender}"
postal_address = {postal_toml}
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
status = "draft"    # draft, ready or sent; export refuses drafts: `newsletter status {slug} ready` when it may go out
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
    """Create a publication folder with newsletter.toml and a first issue (a draft); return the files made."""
    folder = folder.resolve()
    if folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder} already exists and is not empty; choose a new folder name", folder)
    today = today or dt.date.today()
    name = "".join(c for c in folder.name if c.isprintable()).replace("-", " ").replace("_", " ").title()
    name = name.strip() or "My Newsletter"
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "letter"
    issue_slug = f"{today.isoformat()}-first-issue"
    files = {
        CONFIG_NAME: CONFIG.format(name=name, name_toml=_toml(name), site=f"{EXAMPLE_SITE}/{slug}",
                                   sender=EXAMPLE_SENDER, postal_toml=_toml(POSTAL_PLACEHOLDER)),
        ".gitignore": "# build output and caches: made again by `newsletter build`\ndist/\n.newsletter-cache/\n",
        f"issues/{issue_slug}/issue.toml": ISSUE.format(
            subject=_toml(f"{name}: the first issue"), preheader=_toml(INIT_PREHEADER),
            date=today.isoformat(), number=1, intro="Hello, and thank you for reading.", slug=issue_slug),
        f"issues/{issue_slug}/01-welcome.md": LEAD.format(slug=issue_slug),
        f"issues/{issue_slug}/02-how-it-works.txt": SECOND,
        f"issues/{issue_slug}/03-one-more-thing.md": BRIEF,
    }
    write_tree(folder, {k: v.encode("utf-8") for k, v in files.items()}, kind=None, replace=False,
               folders=(f"issues/{issue_slug}/images",))
    return [folder / k for k in files]


def new_issue(settings: Settings, slug: str, today: dt.date | None = None) -> list[Path]:
    """Start issues/SLUG as a draft with issue.toml and a first story; return the files made.

    A slug starting with a date (2024-03-23-crocus) dates the issue; otherwise it is dated today. Its number
    is the highest number in the publication plus one.
    """
    if not SLUG.match(slug):
        raise UsageError(f"{slug!r} is not a usable issue name: use lower-case letters, digits and dashes, "
                         "such as 2024-03-23-crocus", settings.issues_dir)
    folder = settings.issues_dir / slug
    if folder.exists():
        raise UsageError(f"issue {slug!r} already exists", folder)
    date = slug_date(slug, settings.issues_dir) or today or dt.date.today()
    from newsletter.content import list_issues, peek

    numbers = [n for n in (peek(p, "number") for p in list_issues(settings))
               if isinstance(n, int) and not isinstance(n, bool)]
    files = {
        "issue.toml": ISSUE.format(subject=_toml(NEW_ISSUE["subject"]), preheader=_toml(NEW_ISSUE["preheader"]),
                                   date=date.isoformat(), number=max(numbers, default=0) + 1,
                                   intro=NEW_ISSUE["intro"], slug=slug),
        "01-lead.md": f"---\ntitle: {NEW_STORY['title']}\nbyline: {NEW_STORY['byline']}\nkind: lead\n---\n"
                      f"{NEW_STORY['body']}\n",
    }
    write_tree(folder, {k: v.encode("utf-8") for k, v in files.items()}, kind=None, replace=False,
               folders=("images",))
    return [folder / k for k in files]


def slug_date(slug: str, where: Path | None = None) -> dt.date | None:
    """Return the date a slug starts with (2024-03-23-crocus), None without one; a bad date is a usage error."""
    match = SLUG_DATE.match(slug)
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    written = f"{year:04d}-{month:02d}-{day:02d}"
    if match.group(0) != written:
        raise UsageError(f"{slug!r} starts with a date written {match.group(0)}; write it as YYYY-MM-DD: "
                         f"{written}{slug[match.end():]}", where)
    try:
        return dt.date(year, month, day)
    except ValueError:
        if not 1 <= month <= 12:
            reason = f"there is no month {month}"
        else:
            days = calendar.monthrange(year, month)[1]
            reason = f"{calendar.month_name[month]} {year} has {days} days"
        raise UsageError(f"{slug!r} starts with {written}, which is not a real date ({reason}); fix the date "
                         "or leave it out to date the issue today", where) from None


def placeholder_texts() -> dict[str, str]:
    """Return each text `init` and `new` write for the editor to replace, with the command that writes it.

    `{slug}` in a text stands for any issue's slug.
    """
    out = dict.fromkeys([*NEW_ISSUE.values(), NEW_STORY["title"], NEW_STORY["body"]], "new")
    out[INIT_PREHEADER] = "init"
    for template in (LEAD, SECOND, BRIEF):
        body = template.split("\n---\n", 1)[1] if template.startswith("---") else template.split("\n\n", 1)[1]
        out |= {paragraph.strip(): "init" for paragraph in body.split("\n\n") if paragraph.strip()}
    return out
