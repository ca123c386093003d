"""Jinja2 over the theme: a publication's templates/ override the default theme file by file."""

from __future__ import annotations

import functools
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from newsletter import cache, i18n, limits, mergetags
from newsletter.errors import NewsletterError, TemplateError
from newsletter.files import read_text
from newsletter.model import Issue
from newsletter.render.markup import email_markup
from newsletter.writer import write_cache_file

if TYPE_CHECKING:
    from newsletter.config import Settings

MAIN_TEMPLATE = "email.mjml"
INLINE_CSS = "inline.css"
MAX_BYTECODE_BYTES = 16 << 20  # a compiled template; the largest of the default theme is about 30 KB
# Zero-width joiners and non-breaking spaces after the preheader fill the inbox preview, so the body's
# first words ("View in browser", the masthead) do not show after it.
PREHEADER_SPACER = Markup("&zwnj;&nbsp;" * 60)


def default_theme_dir() -> Path:
    """Return the default theme: packaged in the wheel, or templates/ beside the package in a checkout."""
    packaged = Path(__file__).resolve().parent.parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates"


def theme_dirs(root: Path) -> tuple[Path, ...]:
    """Return the template search path: the publication's own templates/, then the default theme."""
    own = root / "templates"
    return (own, default_theme_dir()) if own.is_dir() else (default_theme_dir(),)


class _BytecodeCache(jinja2.BytecodeCache):
    """Keep compiled templates between runs (Jinja checks each against its source), written by the writer."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Load a compiled template if one is cached (and only this user could have written it)."""
        data = cache.read_private(self.folder / f"{bucket.key}.cache", MAX_BYTECODE_BYTES)
        if data is not None:
            bucket.load_bytecode(io.BytesIO(data))

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Cache a compiled template."""
        out = io.BytesIO()
        bucket.write_bytecode(out)
        write_cache_file(self.folder / f"{bucket.key}.cache", out.getvalue())


def _bytecode_folder(dirs: tuple[Path, ...]) -> Path:
    """Return where compiled templates are kept: in the user's cache folder, per publication with its own templates.

    Never inside the publication: a compiled template is code (marshal), which a committed file must not
    be able to supply.
    """
    if dirs[0] != default_theme_dir():
        return cache.folder(dirs[0].parent, "jinja")
    return cache.folder(None, "jinja")


class _Loader(jinja2.FileSystemLoader):
    """Load templates that are regular files inside their folder (no link out of it), at most 1 MiB each."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        """Return a template's source, file name and up-to-date check."""
        pieces = jinja2.loaders.split_template_path(template)
        for folder in self.searchpath:
            path = Path(folder, *pieces)
            if not path.is_file():
                continue
            if not path.resolve().is_relative_to(Path(folder).resolve()):
                raise TemplateError(f"template {template!r} is a link to a file outside {folder}; copy the file in "
                                    "instead", path)
            try:
                source = read_text(path, limits.MAX_TEXT_BYTES)
            except NewsletterError as exc:
                raise TemplateError(exc.message, path) from None
            mtime = path.stat().st_mtime
            return source, str(path), lambda path=path, mtime=mtime: _unchanged(path, mtime)
        raise jinja2.TemplateNotFound(template)


def _unchanged(path: Path, mtime: float) -> bool:
    """Return True while a template file keeps its modification time."""
    try:
        return path.stat().st_mtime == mtime
    except OSError:
        return False


@functools.cache
def environment(dirs: tuple[Path, ...]) -> jinja2.Environment:
    """Return the shared Environment for a template search path (parsed templates are cached in it).

    Compiled templates are also kept on disk between runs, which saves a cold build most of its template
    compile time; Jinja checks each against its source. Templates run in Jinja's sandbox: a publication's
    own templates/ can use the values they are given but not reach Python (`''.__class__.__mro__`...).
    """
    env = SandboxedEnvironment(  # a publication's templates are its files: they may not reach Python internals
        bytecode_cache=_BytecodeCache(_bytecode_folder(dirs)),
        loader=_Loader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("mjml", "html"), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.globals["tag"] = lambda name, fallback="": Markup(mergetags.mark(name, fallback))
    install_i18n(env)
    return env


def install_i18n(env: jinja2.Environment) -> None:
    """Give a Jinja environment `_()`/`ngettext()` reading the render's `i18n` translator, and the `longdate` and
    `number` filters in its language. Translations are text: escaped where the template autoescapes."""

    def translator(context: jinja2.runtime.Context) -> i18n.Translator:
        return context.get("i18n", i18n.ENGLISH)

    def shown(context: jinja2.runtime.Context, value: str) -> str:
        return escape(value) if context.eval_ctx.autoescape else value

    @jinja2.pass_context
    def translate(context: jinja2.runtime.Context, message: str) -> str:
        return shown(context, translator(context).messages.gettext(message))

    @jinja2.pass_context
    def translate_plural(context: jinja2.runtime.Context, singular: str, plural: str, n: int) -> str:
        return shown(context, translator(context).messages.ngettext(singular, plural, n))

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(translate, translate_plural, newstyle=True)  # type: ignore[attr-defined]
    env.filters["longdate"] = jinja2.pass_context(lambda context, value: translator(context).date(value))
    env.filters["number"] = jinja2.pass_context(lambda context, value: translator(context).number(value))


def context(issue: Issue, logo_src: str = "") -> dict[str, Any]:
    """Return the values the templates see."""
    settings = issue.settings
    stories = [
        {
            "title": s.title,
            "kind": s.kind,
            "byline": s.byline,
            "link": s.link,
            "image": s.image if s.image and s.image.width else _remote(s.image),
            "body": Markup(email_markup(s.html)),
            "file": s.file,
            # Set only where the story differs from the issue: its section is marked (and mirrored) then.
            "lang": issue.story_lang(s) if issue.story_lang(s) != issue.lang else "",
            "dir": issue.story_dir(s) if issue.story_dir(s) != issue.dir else "",
        }
        for s in issue.stories
    ]
    return {
        **i18n.layout(issue.lang, issue.dir),
        "flips": any(story["dir"] for story in stories),  # a story runs the other way: inline.css mirrors it
        "language": issue.lang if issue.language or settings.publication.language.strip() else "",  # "" if unset
        "i18n": i18n.translator(settings, issue.lang),
        "publication": settings.publication,
        "theme": settings.theme,
        "issue": {
            "subject": issue.subject,
            "preheader": issue.preheader,
            "date": issue.date,
            "number": issue.number,
            "slug": issue.slug,
            "intro": Markup(email_markup(issue.intro_html)),
        },
        "stories": stories,
        "logo_src": issue.logo.src if issue.logo else logo_src,
        "logo": _logo(issue.logo, settings.theme.logo_width),
        "logo_dark": _logo(issue.logo_dark, settings.theme.logo_width),
        "preheader_spacer": PREHEADER_SPACER,
    }


def _logo(image: Any, width: int) -> dict[str, Any] | None:
    """Return a logo's src, alt and size at the theme's logo width (never wider than the file)."""
    if image is None:
        return None
    shown = min(width, image.width) if image.width else width
    height = round(image.height * shown / image.width) if image.width and image.height else ""
    return {"src": image.src, "alt": image.alt, "width": shown, "height": height}


def _remote(image: Any) -> Any:
    """Return a remote image with the column width as its size, or None."""
    if image is None:
        return None
    return {"src": image.src, "alt": image.alt, "width": 552, "height": "", "caption": image.caption,
            "credit": image.credit}


def render_template(dirs: tuple[Path, ...], name: str, values: dict[str, Any]) -> str:
    """Render one template, turning Jinja errors into TemplateError with the template's file and line."""
    env = environment(dirs)
    try:
        return env.get_template(name).render(values)
    except jinja2.TemplateSyntaxError as exc:
        path = Path(exc.filename) if exc.filename else _find(dirs, exc.name or name)
        raise TemplateError(f"template syntax error: {exc.message}", path, exc.lineno) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found in {', '.join(map(str, dirs))}",
                            _find(dirs, name)) from None
    except jinja2.UndefinedError as exc:
        path, line = _template_frame(dirs)
        raise TemplateError(f"template error: {exc.message}", path or _find(dirs, name), line) from None
    except jinja2.exceptions.SecurityError as exc:
        path, line = _template_frame(dirs)
        raise TemplateError(f"template error: {exc} (templates run sandboxed: they can use the values they are "
                            "given, not Python's internals)", path or _find(dirs, name), line) from None


def theme_css(settings: Settings) -> str | None:
    """Return the theme's inline CSS before any issue is loaded, or None when it needs an issue's values."""
    try:
        language = settings.publication.language or "en"
        direction = settings.publication.dir or i18n.direction(language)
        return render_template(theme_dirs(settings.root), INLINE_CSS, {
            "theme": settings.theme, "publication": settings.publication, **i18n.layout(language, direction),
            "flips": False})
    except TemplateError:
        return None


def _template_frame(dirs: tuple[Path, ...]) -> tuple[Path | None, int | None]:
    """Return the innermost template file and line of the exception being handled."""
    tb = sys.exc_info()[2]
    found: tuple[Path | None, int | None] = (None, None)
    roots = [str(d.resolve()) for d in dirs]
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if any(filename.startswith(r) for r in roots):
            found = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _find(dirs: tuple[Path, ...], name: str) -> Path:
    """Return the file a template name resolves to."""
    for folder in dirs:
        if (folder / name).is_file():
            return folder / name
    return dirs[0] / name
