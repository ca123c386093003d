"""Story HTML -> the theme's markup: tables that scroll on phones with scoped headers, images with captions.

It runs on HTML the sanitiser wrote (nh3 quotes every attribute and escapes `<` in text), so tags can be found
with patterns.
"""

from __future__ import annotations

import re

_TABLE_OPEN = re.compile(r"<table\b")
_TABLE_CLOSE = re.compile(r"</table>")
_ROW = re.compile(r"<tr\b.*?</tr>", re.DOTALL)
_TH = re.compile(r"<th\b(?![^>]*\bscope=)")
_FIGURE = re.compile(r"<p>\s*(<img\b[^>]*\btitle=\"([^\"]*)\"[^>]*>)\s*</p>")
_TITLE = re.compile(r"\s+title=\"[^\"]*\"")
_SIZED_IMG = re.compile(r"<img\b(?=[^>]*\bwidth=\"(\d+)\")(?![^>]*\bstyle=)")


def email_markup(html: str) -> str:
    """Return story HTML with wide-table wrappers, <th scope>, captions under titled images, fluid images."""
    if "<img" in html:
        html = _SIZED_IMG.sub(lambda m: f'<img style="{fluid_image(int(m.group(1)))}"', html)
    if "<table" in html:
        html = _TABLE_CLOSE.sub("</table></div>", _TABLE_OPEN.sub('<div class="nl-table"><table', html))
        html = _ROW.sub(_scope_row, html)
    if "title=" in html:
        html = _FIGURE.sub(_figure, html)
    return html


def _scope_row(match: re.Match[str]) -> str:
    """Give a row's header cells a scope: `col` in a row of headers only, `row` beside data cells."""
    row = match.group(0)
    scope = "row" if "<td" in row else "col"
    return _TH.sub(f'<th scope="{scope}"', row)


def _figure(match: re.Match[str]) -> str:
    """Turn a paragraph holding only a titled image into a figure with the title as its caption."""
    image, caption = match.group(1), match.group(2)
    if not caption.strip():
        return match.group(0)
    return (f'<figure class="nl-figure">{_TITLE.sub("", image, count=1)}<figcaption class="nl-caption">{caption}'
            "</figcaption></figure>")


def fluid_image(width: int) -> str:
    """Return the style that shows an image at most `width` px wide and never wider than its column.

    The percentage is what keeps a phone layout narrow when the image is blocked or has not loaded: a broken
    image with only `width="552"` would hold its table cell, and the whole email, 552 px wide. Outlook
    sizes images by the width attribute instead.
    """
    return f"width:100%;max-width:{width}px"
