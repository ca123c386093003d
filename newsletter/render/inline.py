"""premailer inlines the theme's own CSS; MJML's head styles stay as they are."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from newsletter.errors import RenderError

if TYPE_CHECKING:
    from newsletter.render.css_cache import ParseCache

_STYLE_OPEN = re.compile(r"<style(?![^>]*data-premailer)")


def _premailer_class() -> Any:
    """Return premailer's Premailer class, reading parsed CSS from the cache of earlier runs."""
    return _premailer()[0]


@functools.cache
def _premailer() -> tuple[Any, ParseCache]:
    """Import premailer once, lazily: its import costs a few hundred milliseconds.

    cssutils, which premailer parses CSS with, is imported only when a parse is not in the cache of earlier
    runs (its import alone costs about 40 ms): it is deferred like requests, and set to log nothing when
    it loads.
    """
    from newsletter.render.css_cache import install, libraries_tag

    libraries = libraries_tag()  # before the deferral: it finds the files without importing cssutils
    _defer_import("requests")  # premailer needs them only for external stylesheets, which we never load
    _defer_import("urllib.request")
    _defer_import("cssutils", loaded=_quiet)
    # premailer's shared cache holds 128 entries by default; one email's inline styles evict the parsed
    # theme CSS from it, so every build parsed the CSS again. Its documented setting makes it larger.
    os.environ.setdefault("PREMAILER_CACHE_MAXSIZE", "4096")
    import premailer.premailer
    from premailer import Premailer

    from newsletter.render.selectors import skipping_absent_classes

    premailer.premailer._create_cssselector = skipping_absent_classes(premailer.premailer._create_cssselector)
    return install(Premailer, libraries)


def _quiet(cssutils: Any) -> None:
    """Make cssutils log nothing (it reports every property it does not know)."""
    import logging

    cssutils.log.setLevel(logging.CRITICAL)


def _defer_import(name: str, loaded: Callable[[Any], None] | None = None) -> None:
    """Stand in for module `name` until one of its attributes is used, then import the real one.

    premailer imports requests at the top but needs it only for external stylesheets, which we never
    load; requests costs about 50 ms to import, and cssutils' urllib.request (for fetching too) 10 ms more.
    importlib's LazyLoader does not help here: on 3.11 the import statement itself touches the module and
    triggers the load. `loaded` is called with the real module once it is imported.
    """
    import importlib
    import sys
    import types

    if name in sys.modules:
        return
    stand_in = types.ModuleType(name)
    parent, _, child = name.rpartition(".")

    def load(attribute: str) -> Any:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
            module = importlib.import_module(name)
            if loaded is not None:
                loaded(module)
        return getattr(importlib.import_module(name), attribute)

    stand_in.__getattr__ = load  # type: ignore[method-assign]
    sys.modules[name] = stand_in
    if parent:  # `import urllib.request` then reads the attribute of urllib, which the import sets on loading
        setattr(importlib.import_module(parent), child, stand_in)


def inline_css(html: str, css: str) -> str:
    """Inline `css` into html's elements, leaving every <style> block of the document untouched."""
    marked = _STYLE_OPEN.sub('<style data-premailer="ignore"', html)
    premailer = _premailer_class()(
        marked,
        css_text=css,
        keep_style_tags=False,  # the theme CSS is inlined; MJML's blocks are skipped (ignore), not copied
        remove_classes=False,
        strip_important=False,
        disable_validation=True,
        disable_link_rewrites=True,
        allow_network=False,
        cache_css_parsing=True,  # cssutils logs nothing (_quiet): passing its level here would import it
        disable_basic_attributes=["width", "height"],
    )
    try:
        out = premailer.transform(pretty_print=False)
    except Exception as exc:  # premailer and cssutils raise many kinds
        raise RenderError(f"CSS inlining failed: {exc}") from None
    _premailer()[1].save()
    out = out.replace(' data-premailer="ignore"', "")
    return _restore_doctype(out)


def _restore_doctype(html: str) -> str:
    """Keep MJML's short HTML5 doctype."""
    if html.lstrip().lower().startswith("<!doctype"):
        return re.sub(r"^\s*<!DOCTYPE[^>]*>", "<!doctype html>", html, count=1, flags=re.IGNORECASE)
    return "<!doctype html>" + html


Inline = Callable[[str, str], Callable[[], str]]
"""Start inlining css into html; the returned function gives the result."""

# Elements of the default theme, so that warming up fills premailer's caches with what builds will meet.
_WARM_HTML = (
    '<html><head></head><body><div class="nl-masthead"><p class="nl-name">x</p><p class="nl-issue">x</p></div>'
    '<div class="nl-text nl-story nl-lead"><img class="nl-img" src="x"><h2 class="nl-title nl-title-lead">'
    '<a class="nl-title-link" href="#">x</a></h2><p class="nl-byline">x</p><p>x <a href="#">y</a> <strong>z'
    '</strong> <em>e</em> <code>c</code></p><ul><li>x</li></ul><ol><li>x</li></ol><blockquote><p>x</p>'
    '</blockquote><table><tr><th>x</th></tr><tr><td>y</td></tr></table><h3>x</h3><hr>'
    '<p class="nl-more"><a class="nl-more-link" href="#">x<span class="nl-hidden">x</span></a></p></div>'
    '<div class="nl-text nl-footer"><hr class="nl-rule"><p class="nl-footer-p">x <a class="nl-footer-link" '
    'href="#">y</a></p></div></body></html>'
)


def inline_now(html: str, css: str) -> Callable[[], str]:
    """Inline in this process, right away."""
    result = inline_css(html, css)
    return lambda: result


def _warm_up(css: str) -> None:
    """Import premailer and pay cssutils' first-call costs on a small document."""
    inline_css(_WARM_HTML, css)


class BackgroundInliner:
    """Inline CSS in a forked worker that loads premailer while the main process renders.

    A worker forked at the start of `newsletter build` imports premailer and makes its first call on the
    second core while this process goes on. Requests go over a pipe, written at once (an executor's feeder
    thread would wait for the busy main thread). Since the CSS parse cache spares premailer's import of
    cssutils and its first-call parsing, the worker no longer pays on the 2-core machine the benchmarks ran
    on (in process 240 ms, with the worker 249 ms, an idle second core; 300 and 322 ms with an empty cache),
    so it runs only with NEWSLETTER_INLINE_WORKER=1. Forking is only safe while this process has one
    thread, so otherwise (under a server) it inlines in process. Use as a context manager.
    """

    def __init__(self) -> None:
        import threading

        self._conn: Any = None
        self._process: Any = None
        self._sent = 0  # requests are numbered so an answer nobody collected is never taken for another's
        wanted = os.environ.get("NEWSLETTER_INLINE_WORKER") == "1"
        if wanted and threading.active_count() == 1 and (os.cpu_count() or 1) > 1 and hasattr(os, "fork"):
            import multiprocessing  # only here: importing it costs a build that inlines in process

            context = multiprocessing.get_context("fork")
            self._conn, child = context.Pipe()
            self._process = context.Process(target=_serve, args=(child, self._conn), daemon=True)
            self._process.start()
            child.close()

    def prepare(self, css: str | None) -> None:
        """Warm the worker up with the theme's own CSS, as soon as it is known."""
        if self._conn is not None and css:
            try:
                self._conn.send((0, _WARM_HTML, css))
            except OSError:  # the worker is gone: inline in process from now on
                self._conn = None

    def __call__(self, html: str, css: str) -> Callable[[], str]:
        """Start inlining css into html, in the worker when there is one."""
        if self._conn is None:
            return inline_now(html, css)
        self._sent += 1
        try:
            self._conn.send((self._sent, html, css))
        except OSError:  # the worker is gone: inline in process from now on
            self._conn = None
            return inline_now(html, css)
        return functools.partial(self._receive, self._sent)

    def _receive(self, number: int) -> str:
        """Wait for the worker's answer to request `number` (skipping older ones); re-raise what it raised."""
        while True:
            try:
                answered, ok, value = self._conn.recv()
            except EOFError:
                raise RenderError("the CSS inlining worker stopped unexpectedly; run again") from None
            if answered == number:
                break
        if not ok:
            raise value
        return value

    def __enter__(self) -> BackgroundInliner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()


_started: list[BackgroundInliner] = []


def start_background_inliner() -> None:
    """Start the worker now, at the very start of the process, for background_inliner() to hand out."""
    _started.append(BackgroundInliner())


def background_inliner() -> BackgroundInliner:
    """Return the worker started at process start, or start one now."""
    return _started.pop() if _started else BackgroundInliner()


def _serve(conn: Any, parent_end: Any) -> None:
    """Worker loop: import premailer, then answer (number, html, css) requests until the pipe closes.

    Request 0 only warms premailer's caches up and gets no answer.
    """
    parent_end.close()  # the forked copy of the main process's end would keep the pipe open forever
    _premailer_class()
    while True:
        try:
            number, html, css = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (number, True, inline_css(html, css))
        except RenderError as exc:
            answer = (number, False, exc)
        if number:
            conn.send(answer)
