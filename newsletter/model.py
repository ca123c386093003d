"""Issue, Story and Rendered: the data that flows between the stages. No I/O here."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.errors import Problem
from newsletter.i18n import direction, normalise, plain_date

if TYPE_CHECKING:
    from markdown_it.token import Token

    from newsletter.config import Settings

KINDS = ("lead", "story", "brief", "quote", "sponsor", "digest")
STATUSES = ("draft", "ready", "sent")  # issue.toml `status`; an issue without it is ready


def long_date(value: dt.date) -> str:
    """Format a date as '23 March 2024', as plain `en` shows it (other languages: i18n.Translator.date)."""
    return plain_date(value)


# Han ideographs and kana: scripts written without spaces between words, from this character on.
UNSPACED_FROM = "\u3040"


@functools.cache
def unspaced() -> re.Pattern[str]:
    """Return the pattern of kana and ideographs: characters that are words of their own for counting."""
    # Compiled on first need: its ranges take 2 ms to compile, and most publications never meet one.
    return re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


@dataclass(frozen=True)
class Image:
    """An image a story uses: a local file inside the issue or a remote URL."""

    src: str
    alt: str
    path: Path | None = None
    line: int | None = None
    width: int | None = None
    height: int | None = None
    caption: str = ""  # shown under the image: front matter `image_caption` or a Markdown image's title
    credit: str = ""  # front matter `image_credit`, after the caption

    @property
    def is_local(self) -> bool:
        """Return True for a file inside the issue folder."""
        return self.path is not None


@dataclass
class Story:
    """One story file, parsed: front matter, Markdown tokens and sanitised HTML."""

    path: Path
    title: str
    kind: str = "story"
    byline: str = ""
    link: str = ""
    image: Image | None = None
    tokens: list[Token] = field(default_factory=list)
    html: str = ""
    source: str = ""
    body_line: int = 1
    images: list[Image] = field(default_factory=list)
    lang: str = ""  # front matter `lang`: the story's language when it is not the issue's
    dir: str = ""  # front matter `dir`: "ltr" or "rtl" when the language alone does not say

    @property
    def file(self) -> str:
        """Return the story's file name."""
        return self.path.name

    @property
    def words(self) -> int:
        """Return the body's length in words; three characters of a script without spaces (Chinese, Japanese)
        take a word's width, and count as one."""
        if max(self.source, default="") < UNSPACED_FROM:  # no kana or ideograph: no need for the pattern
            return len(self.source.split())
        wide = len(unspaced().findall(self.source))
        return len(unspaced().sub(" ", self.source).split()) + round(wide / 3)


@dataclass
class Issue:
    """One issue folder: its settings, metadata and stories in order."""

    settings: Settings
    path: Path
    subject: str
    preheader: str = ""
    date: dt.date | None = None
    number: int | None = None
    status: str = "ready"
    intro_tokens: list[Token] = field(default_factory=list)
    intro_html: str = ""
    intro_source: str = ""
    stories: list[Story] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    logo: Image | None = None  # [theme] logo, processed when local
    logo_dark: Image | None = None  # [theme] logo_dark, shown instead in dark mode
    language: str = ""  # issue.toml `language`, when it overrides the publication's
    direction: str = ""  # issue.toml `dir`

    @property
    def lang(self) -> str:
        """Return the issue's language tag: issue.toml's, else the publication's, else en."""
        return normalise(self.language or self.settings.publication.language or "en")

    @property
    def dir(self) -> str:
        """Return the issue's text direction: issue.toml's `dir`, else its language's (or [publication] dir)."""
        if self.direction:
            return self.direction
        if self.language or not self.settings.publication.dir:
            return direction(self.lang)
        return self.settings.publication.dir

    def story_lang(self, story: Story) -> str:
        """Return the language a story is written in: its own `lang`, else the issue's."""
        return normalise(story.lang) if story.lang else self.lang

    def story_dir(self, story: Story) -> str:
        """Return a story's text direction: its `dir`, else its `lang`'s, else the issue's."""
        return story.dir or (direction(story.lang) if story.lang else self.dir)

    @property
    def slug(self) -> str:
        """Return the issue's folder name."""
        return self.path.name

    @property
    def web_url(self) -> str:
        """Return the issue's page in the web archive."""
        return self.settings.web_url(self.slug)

    @property
    def images(self) -> list[Image]:
        """Return every image the email uses: the stories' in order, then the logos."""
        logos = [logo for logo in (self.logo, self.logo_dark) if logo is not None]
        return [image for story in self.stories for image in story.images] + logos


@dataclass
class Rendered:
    """What build_issue() produces: the email in every form, ready to write or export."""

    issue: Issue
    mjml: str
    html: str
    text: str
    images: dict[str, Path]
    story_bytes: dict[str, int]
    merge_tags: list[str]
    warnings: list[Problem] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """Return the issue's slug."""
        return self.issue.slug
