"""premailer inlines the theme's own CSS; MJML's head styles stay as they are."""

from __future__ import annotations

import functools
import re
from typing import Any

from newsletter.errors import RenderError

_STYLE_OPEN = re.compile(r"<style(?![^>]*data-premailer)")


@functools.cache
def _premailer_class() -> Any:
    """Import premailer once, lazily: its import costs a few hundred milliseconds."""
    import logging

    import cssutils
    from premailer import Premailer

    cssutils.log.setLevel(logging.CRITICAL)
    return Premailer


def inline_css(html: str, css: str) -> str:
    """Inline `css` into html's elements, leaving every <style> block of the document untouched."""
    marked = _STYLE_OPEN.sub('<style data-premailer="ignore"', html)
    premailer = _premailer_class()(
        marked,
        css_text=css,
        keep_style_tags=True,
        remove_classes=False,
        strip_important=False,
        disable_validation=True,
        disable_link_rewrites=True,
        allow_network=False,
        cache_css_parsing=True,
        cssutils_logging_level="CRITICAL",
        disable_basic_attributes=["width", "height"],
    )
    try:
        out = premailer.transform(pretty_print=False)
    except Exception as exc:  # premailer and cssutils raise many kinds
        raise RenderError(f"CSS inlining failed: {exc}") from None
    out = out.replace(' data-premailer="ignore"', "")
    return _restore_doctype(out)


def _restore_doctype(html: str) -> str:
    """Keep MJML's short HTML5 doctype."""
    if html.lstrip().lower().startswith("<!doctype"):
        return re.sub(r"^\s*<!DOCTYPE[^>]*>", "<!doctype html>", html, count=1, flags=re.IGNORECASE)
    return "<!doctype html>" + html
