"""Issue folder -> Issue: issue.toml, front matter, Markdown and .txt stories, all problems at once."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from newsletter import limits, markdown
from newsletter.config import Settings
from newsletter.errors import Collector, ContentError, NewsletterError, UsageError
from newsletter.files import did_you_mean, key_line, parse_toml, read_text, special_kind, string_line, table_line
from newsletter.i18n import apply_language, setting_problem
from newsletter.imagerefs import IMAGE_TYPES, resolve_images
from newsletter.links import add_utm, tag_links, utm_defaults
from newsletter.logos import resolve_logo
from newsletter.mergetags import mark_written
from newsletter.model import KINDS, STATUSES, Image, Issue, Story
from newsletter.strays import name_stray

ISSUE_FILE = "issue.toml"
ISSUE_KEYS = {"subject": str, "preheader": str, "date": dt.date, "number": int, "intro": str, "stories": list,
              "status": str, "language": str, "dir": str}
STORY_KEYS = {"title", "byline", "image", "image_alt", "image_caption", "image_credit", "link", "kind", "lang", "dir"}
STORY_SUFFIXES = {".md", ".txt"}
_CHECK_COMMENT = re.compile(r"\s*<!--\s*check:.*-->\s*")  # a .txt line only `newsletter check` reads


def list_issues(settings: Settings) -> list[Path]:
    """Return the publication's issue folders, oldest first by date then name."""
    folder = settings.issues_dir
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if (p / ISSUE_FILE).is_file() and not p.name.startswith((".", "_"))]
    return sorted(found, key=lambda p: (_peek_date(p), p.name))


def _peek_date(folder: Path) -> dt.date:
    """Return an issue's date for ordering, or a minimal date when it has none or is broken."""
    value = peek(folder, "date")
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else dt.date.min


def peek(folder: Path, key: str) -> Any:
    """Return one value of an issue's issue.toml without loading the issue, or None."""
    try:
        return parse_toml(read_text(folder / ISSUE_FILE), folder / ISSUE_FILE).get(key)
    except NewsletterError:
        return None


def resolve_issue(settings: Settings, name: str, cwd: Path | None = None) -> Path:
    """Turn an ISSUE argument (a folder path or a slug under issues/) into its folder."""
    candidates = [(cwd or Path.cwd()) / name, settings.issues_dir / name]
    for folder in candidates:
        if (folder / ISSUE_FILE).is_file():
            return folder.resolve()
    slugs = [p.name for p in list_issues(settings)]
    import difflib  # here: only a name that is not found needs it

    hint = difflib.get_close_matches(name, slugs, n=1)
    message = f"no issue named {name!r}"
    message += f"; did you mean {hint[0]!r}?" if hint else f"; known issues: {', '.join(slugs) or 'none yet'}"
    raise UsageError(message + " (an issue is a folder with an issue.toml)", settings.issues_dir)


def load_issue(settings: Settings, folder: Path) -> Issue:
    """Load an issue folder into an Issue, raising once with every problem found."""
    found = Collector()
    meta_path = folder / ISSUE_FILE
    meta: dict[str, Any] = {}
    meta_text = ""
    try:
        if not meta_path.resolve().is_relative_to(folder.resolve()):
            raise ContentError("issue.toml is a link to a file outside the issue folder; copy it in instead",
                               meta_path)
        meta_text = read_text(meta_path)
        meta = parse_toml(meta_text, meta_path)
    except NewsletterError as exc:
        found.absorb(exc)
    issue = Issue(settings=settings, path=folder.resolve(), subject="")
    if meta_text and not found.errors:
        apply_meta(issue, meta, meta_text, meta_path, found)
    issue.logo, issue.logo_dark = (resolve_logo(settings, key, found) for key in ("logo", "logo_dark"))
    order = meta.get("stories")
    utm = utm_defaults(settings.links, issue.slug, issue.number, issue.date)
    for path in story_files(folder, order, found, (meta_path, key_line(meta_text, "", "stories"))):
        try:
            issue.stories.append(load_story(path, issue.path, settings, found, utm))
        except NewsletterError as exc:
            found.absorb(exc)
    if not issue.stories and not found.errors:
        found.error("the issue has no stories: add a .md or .txt file to the folder", folder)
    issue.warnings = [*settings.warnings, *found.warnings]
    found.raise_if_errors()
    return issue


def apply_meta(issue: Issue, meta: dict[str, Any], text: str, path: Path, found: Collector) -> None:
    """Validate issue.toml values and copy them onto the issue."""
    for key, value in meta.items():
        line = key_line(text, "", key)
        if key not in ISSUE_KEYS:
            line = line or table_line(text, key)
            found.warn(f"unknown key `{key}`{did_you_mean(key, ISSUE_KEYS)}", path, line)
        elif not isinstance(value, ISSUE_KEYS[key]) or isinstance(value, bool) or (
            key == "date" and isinstance(value, dt.datetime)
        ):
            kind = {str: "a quoted string", int: "a whole number", dt.date: "a date like 2024-03-23",
                    list: "a list of file names"}[ISSUE_KEYS[key]]
            found.error(f"`{key}` must be {kind}", path, line)
    subject = meta.get("subject")
    if subject is None:
        typo = next((key for key in meta if key not in ISSUE_KEYS and did_you_mean(key, ["subject"])), None)
        found.error('missing `subject = "…"`: every issue needs a subject line'
                    + (f" (is `{typo}` meant to be `subject`?)" if typo else ""), path,
                    key_line(text, "", typo) if typo else None)
    elif isinstance(subject, str) and not subject.strip():
        found.error("`subject` is empty: write the subject line readers see in their inbox", path,
                    key_line(text, "", "subject"))
    for key in ("subject", "preheader"):
        if isinstance(meta.get(key), str) and any(not c.isprintable() for c in meta[key].strip()):
            found.error(f"`{key}` must be one line of text, without line breaks or control characters", path,
                        key_line(text, "", key))
    # The other values are set even when the subject is wrong, for `check`, which goes on after errors.
    # Merge tags in the subject and preheader are marked as in the body: each output fills or translates them.
    issue.subject = mark_written(subject.strip()) if isinstance(subject, str) else ""
    issue.preheader = mark_written(meta["preheader"].strip()) if isinstance(meta.get("preheader"), str) else ""
    issue.date = meta["date"] if isinstance(meta.get("date"), dt.date) else None
    issue.number = meta["number"] if isinstance(meta.get("number"), int) else None
    status = meta.get("status", "ready")
    if isinstance(status, str) and status.strip() in STATUSES:
        issue.status = status.strip()
    elif isinstance(status, str):
        found.error(f"`status = {status!r}` is not a status; use one of {', '.join(map(repr, STATUSES))} "
                    "(draft: being written; ready: may be exported and archived; sent: went out)", path,
                    key_line(text, "", "status"))
    apply_language(issue, meta, text, path, found)
    intro = meta.get("intro")
    if isinstance(intro, str) and intro.strip():
        intro = limits.readable(intro, path, string_line(text, "intro"), found)
        issue.intro_source = intro
        try:
            issue.intro_tokens = markdown.parse_written(intro, path, string_line(text, "intro"), "`intro`")
        except ContentError as exc:
            found.absorb(exc)
            return
        tag_links(issue.intro_tokens, utm_defaults(issue.settings.links, issue.slug, issue.number, issue.date))
        issue.intro_html = markdown.render(issue.intro_tokens)


def story_files(folder: Path, order: object = None, found: Collector | None = None,
                where: tuple[Path | None, int | None] = (None, None)) -> list[Path]:
    """Return an issue's story files in order: `order` (the `stories` list) or file-name order.

    A story is a `.md` or `.txt` file (any case) not starting with `_` or `.`, inside the folder (a symlink
    pointing out of it is refused). With a collector, names in `order` that are not stories or repeat are
    errors and stories left out are warnings, reported at `where` (issue.toml and the line of `stories`).
    """
    folder = folder.resolve()
    present: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in STORY_SUFFIXES or path.name.startswith(("_", ".")) or not path.is_file():
            if found is not None and (kind := special_kind(path)):
                found.warn(f"this is {kind}, not a regular file, so it is not read as a story", path)
            elif found is not None:
                name_stray(path, found, IMAGE_TYPES)
            continue
        if not path.resolve().is_relative_to(folder):
            if found is not None:
                found.error("this story is a link to a file outside the issue folder; copy the file into the "
                            "folder instead", path)
            continue
        present.append(path)
    if not isinstance(order, list):
        return present
    chosen: list[Path] = []
    for name in order:
        candidate = folder / str(name)
        if isinstance(name, str) and candidate in present and candidate not in chosen:
            chosen.append(candidate)
        elif found is not None:
            found.error(f"`stories` names {name!r} twice" if candidate in chosen
                        else f"`stories` names {name!r}, which is not a story file in this folder", *where)
    if found is not None:
        for left in sorted(set(present) - set(chosen)):
            found.warn(f"{left.name} is not listed in `stories` and is left out of the issue", *where)
    return chosen if found is not None else (chosen or present)


def load_story(path: Path, issue_dir: Path, settings: Settings, found: Collector,
               utm: dict[str, str] | None = None) -> Story:
    """Load one .md or .txt story, recording problems on the collector; `utm`: the issue's UTM defaults."""
    text = limits.readable(read_text(path), path, 1, found)
    if not text.strip():
        raise ContentError("the story is empty: write a headline and some text, or delete the file", path, 1)
    story = _load_txt(path, text) if path.suffix.lower() == ".txt" else _load_md(path, text, found)
    if not _visible(story.title):
        found.error("the story has no title: add `title:` to the front matter or start with a `# Heading` "
                    "line", path, 1)
    resolve_images(story, issue_dir, settings, found)
    if not story.source.strip() and story.image is None:
        found.error("the story has a title but no text: write the story or delete the file", path, 1)
    if utm is None:
        number, date = peek(issue_dir, "number"), peek(issue_dir, "date")
        utm = utm_defaults(settings.links, issue_dir.name, number if isinstance(number, int) else None,
                           date if isinstance(date, dt.date) else None)
    tag_links(story.tokens, utm)
    story.link = add_utm(story.link, utm)
    story.html = markdown.render(story.tokens)
    return story


def _load_txt(path: Path, text: str) -> Story:
    """Read a .txt story: first non-empty line is the headline, blank lines separate paragraphs."""
    lines = ["" if _CHECK_COMMENT.fullmatch(line) else line for line in text.split("\n")]
    first = next(i for i, line in enumerate(lines) if line.strip())
    paragraphs: list[tuple[str, int]] = []
    block: list[str] = []
    start = 0
    for number, line in enumerate([*lines[first + 1:], ""], start=first + 1):
        if line.strip():
            if not block:
                start = number
            block.append(line.strip())
        elif block:
            paragraphs.append((mark_written(" ".join(block)), start))
            block = []
    story = Story(path=path, title=lines[first].strip(), body_line=1)
    story.source = "\n\n".join(p for p, _ in paragraphs)
    story.tokens = markdown.paragraph_tokens(paragraphs)
    return story


def _load_md(path: Path, text: str, found: Collector) -> Story:
    """Read a Markdown story with optional YAML front matter."""
    front, body, body_line = _split_front_matter(path, text)
    values = _front_matter(path, front, found) if front is not None else {}
    body_lines = body.split("\n")
    title = values.get("title", "")
    if not title:
        for i, line in enumerate(body_lines):
            if not line.strip():
                continue
            if line.startswith("# "):
                title = line[2:].strip().strip("#").strip()
                body_lines = [*body_lines[:i], "", *body_lines[i + 1:]]
            break
    source = "\n".join(body_lines)
    kind = values.get("kind", "story")
    story = Story(path=path, title=title, kind=kind, byline=values.get("byline", ""),
                  link=values.get("link", ""), source=source, body_line=body_line, lang=values.get("lang", ""),
                  dir=values.get("dir", ""))
    story.tokens = markdown.parse_written(source, path, body_line, "the story")
    if values.get("image"):
        story.image = Image(src=values["image"], alt=values.get("image_alt", ""), line=values.get("_image_line"),
                            caption=values.get("image_caption", ""), credit=values.get("image_credit", ""))
    elif values.get("image_caption") or values.get("image_credit"):
        found.warn("`image_caption`/`image_credit` need an `image:` to go under; add one or move the caption into "
                   'the Markdown image\'s title, ![alt](images/x.jpg "Caption")', path, 2)
    return story


def _split_front_matter(path: Path, text: str) -> tuple[str | None, str, int]:
    """Split `---` front matter from the body; return (front or None, body, body's first line)."""
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() in {"---", "..."}:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    raise ContentError("front matter opened with `---` on line 1 is never closed: add a `---` line after it",
                       path, 1)


def _front_matter(path: Path, front: str, found: Collector) -> dict[str, Any]:
    """Parse and validate YAML front matter; lines are counted from the file's top."""
    try:
        node, data = limits.yaml_document(front)
    except limits.TooDeep as exc:
        raise ContentError(f"invalid YAML front matter: {exc}", path, (exc.line or 0) + 2) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None
        raise ContentError(f"invalid YAML front matter: {exc.problem or exc}", path, line) from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a number too long to convert, say
        raise ContentError(f"invalid YAML front matter: {exc}", path, 2) from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise ContentError("front matter must be `key: value` lines (a mapping), such as `title: …`", path, 2)
    lines = {k.value: k.start_mark.line + 2 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        line = lines.get(str(key))
        if key not in STORY_KEYS:
            found.warn(f"unknown front-matter key `{key}`{did_you_mean(str(key), STORY_KEYS)}", path, line)
            continue
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            found.error(f"`{key}` must be a single value, not a list or mapping", path, line)
            continue
        text = str(value).strip()
        if key == "kind" and text not in KINDS:
            found.error(f"`kind: {text}` is not a story kind; use one of {', '.join(KINDS)}", path, line)
            continue
        if problem := setting_problem(key, text):
            found.error(f"`{key}: {text}` {problem}", path, line)
            continue
        if key == "link" and not _web_link(text):
            found.error(f"`link: {text}` must be a full web address starting with https:// (the story's page)",
                        path, line)
            continue
        values[key] = text
    values["_image_line"] = lines.get("image")
    return values


def _visible(text: str) -> bool:
    """Return True when text has a character a reader can see (not only spaces or zero-width marks)."""
    return any(not c.isspace() and unicodedata.category(c) != "Cf" for c in text)


def _web_link(url: str) -> bool:
    """Return True for an absolute http(s) or mailto address that can stand in an href."""
    parts = urlsplit(url)
    if any(c.isspace() or c in "\"<>" for c in url):
        return False
    return (parts.scheme in {"http", "https"} and bool(parts.netloc)) or (parts.scheme == "mailto" and "@" in url)
