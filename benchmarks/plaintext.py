"""Our plain text beside html2text and inscriptis run on our own email.html, plus the render time.

Run: python -m benchmarks.plaintext [--table-only] [ISSUE_FOLDER ...]
Counts per converter: link URLs of email.html found in the text, how many of them are attached to words
that say what they are (`text [1]` + `[1] URL`, `text (URL)`, `[text](URL)`, `Label: URL`), and extra
repeats; lines wider than [text] width (and how many of them could have been broken to fit); stray
layout characters (lines with table pipes, runs of blank lines, leftover HTML or Markdown markup).
Target: ours wins on all three; rendering the text of a 10-story issue takes <= 10 ms in process.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import PROJECT, make_publication, median_seconds

HREF = re.compile(r'href="((?:https?|mailto):[^"]+)"')
MARKUP = re.compile(r"<[a-zA-Z/!][^>]*>|&[a-zA-Z][a-zA-Z0-9]*;|&#x?[0-9a-fA-F]+;|\*\*|__|\]\(|!\[|\\[\[\]*_#-]|^#+ ",
                    re.MULTILINE)
SAMPLE_ISSUES = ("2026-11-14-the-bridge", "2026-11-28-night-ferry")


def converters(width: int) -> dict[str, Callable[[str], str]]:
    """Return the HTML-to-text converters we compare against, at their settings closest to ours."""
    import html2text
    from inscriptis import get_text
    from inscriptis.model.config import ParserConfig

    def with_html2text(html: str) -> str:
        converter = html2text.HTML2Text()
        converter.body_width = width
        return converter.handle(html)

    def with_html2text_references(html: str) -> str:
        converter = html2text.HTML2Text()
        converter.body_width = width
        converter.inline_links = False  # `[text][1]` with `[1]: URL` after the paragraph, the closest to ours
        converter.links_each_paragraph = True
        return converter.handle(html)

    def with_inscriptis(html: str) -> str:
        return get_text(html, ParserConfig(display_links=True))

    return {"html2text": with_html2text, "html2text (references)": with_html2text_references,
            "inscriptis": with_inscriptis, "inscriptis (defaults)": get_text}


def counts(text: str, urls: set[str], width: int) -> tuple[str, str, int, str]:
    """Return (URLs kept and repeated, lines over width, stray layout characters, breakdown) for one text."""
    from newsletter.render.text_wrap import display_width

    shown = [url.replace("&amp;", "&").removeprefix("mailto:") for url in urls]
    found = {url: [m.start() for m in re.finditer(re.escape(url) + r"(?![\w/#?=&%~+-])", text)] for url in shown}
    kept = sum(1 for url in shown if found[url])
    attached = sum(1 for url in shown if any(_attached(text, at) for at in found[url]))
    repeats = sum(max(len(found[url]) - 1, 0) for url in shown)
    lines = text.split("\n")
    wide = [line.rstrip() for line in lines if display_width(line.rstrip()) > width]
    # avoidable: the line could have been broken to fit, i.e. none of its words is wider than a line by itself
    avoidable = sum(1 for line in wide if max(map(display_width, line.split())) <= width)
    over = f"{len(wide)} ({avoidable} avoidable)"
    pipes = sum(1 for line in lines if "|" in line)
    blank_runs = len(re.findall(r"\n[ \t]*\n(?:[ \t]*\n)+", text))
    markup = len(MARKUP.findall(text))
    stray = pipes + blank_runs + markup
    detail = f"{pipes} pipes, {blank_runs} blank runs, {markup} markup"
    return f"{kept}/{len(urls)}, {attached} attached ({repeats} repeated)", over, stray, detail


def _attached(text: str, at: int) -> bool:
    """Return True when the URL at offset `at` is tied to words: after `](`, `(`, `Label: ` or a used `[n]`."""
    before = text[:at]
    line = before[before.rfind("\n") + 1:]
    if re.search(r"(?:\]\(|\w[^\n(]*\(|\w[^\n:]*:\s*)$", before[-300:]):  # [t](URL), text (URL), Label: URL
        return bool(line.strip()) or bool(re.search(r"\w[^\n]*:\s*$", before[-300:]))
    marker = re.fullmatch(r"\s*(\[[^\]]+\]):?\s*", line)  # `[1] URL` or `[1]: URL`
    return bool(marker) and text.count(marker.group(1)) > 1


def compare(folder: Path, show: bool) -> list[str]:
    """Build one issue and return table rows comparing our text with the converters'."""
    from newsletter import mergetags
    from newsletter.build import build_issue, preview_filler
    from newsletter.config import find_root, load_settings

    settings = load_settings(find_root(folder))
    rendered = build_issue(settings, folder)
    fill = preview_filler(rendered)
    html = mergetags.fill(rendered.html, fill)
    width = settings.text.width
    urls = set(HREF.findall(html))
    texts = {"newsletter": mergetags.fill(rendered.text, fill)}
    texts |= {name: convert(html) for name, convert in converters(width).items()}
    rows = []
    for name, text in texts.items():
        if show:
            print(f"\n===== {name} ({folder.name}) =====\n{text}")
        kept, over, stray, detail = counts(text, urls, width)
        rows.append(f"| {folder.name} | {name} | {kept} | {over} | {stray} ({detail}) |")
    return rows


def render_time() -> tuple[float, float, float]:
    """Return the median ms of render_text, html2text and inscriptis for a generated 10-story issue."""
    from newsletter import mergetags
    from newsletter.build import build_issue, preview_filler
    from newsletter.config import load_settings
    from newsletter.content import load_issue
    from newsletter.render.text import render_text

    with tempfile.TemporaryDirectory() as tmp:
        root = make_publication(Path(tmp) / "pub", stories=10)
        settings = load_settings(root)
        folder = next((root / "issues").iterdir())
        issue = load_issue(settings, folder)
        rendered = build_issue(settings, folder)
        html = mergetags.fill(rendered.html, preview_filler(rendered))
        ours = median_seconds(lambda: render_text(issue), 200) * 1000
        others = converters(settings.text.width)
        theirs = [median_seconds(lambda c=others[name]: c(html), 20) * 1000 for name in ("html2text", "inscriptis")]
    return ours, theirs[0], theirs[1]


def main() -> None:
    """Print the texts (unless --table-only), the comparison table and the timings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, help="issue folders (default: the repository's samples)")
    parser.add_argument("--table-only", action="store_true", help="print only the table and the timings")
    args = parser.parse_args()
    folders = args.folders or [PROJECT / "issues" / slug for slug in SAMPLE_ISSUES]
    rows = ["| issue | converter | link URLs kept, attached to their words | lines over width | "
            "stray layout characters |",
            "|---|---|---|---|---|"]
    for folder in folders:
        rows += compare(folder.resolve(), not args.table_only)
    print("\n" + "\n".join(rows))
    ours, h2t, ins = render_time()
    print(f"\ntext of a 10-story issue, median: newsletter render_text {ours:.2f} ms; "
          f"html2text {h2t:.2f} ms and inscriptis {ins:.2f} ms on its email.html")
    if ours > 10:
        print("render_text is over its 10 ms budget", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
