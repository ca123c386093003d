"""Message catalogs with Babel: a publication's own locale/<lang>.po, and extract/update/compile/check for ours."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter import __version__
from newsletter.errors import Collector, ContentError
from newsletter.files import read_text
from newsletter.i18n import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE, english, placeholder_problem

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

# Where the theme's strings are: the email and archive templates (Jinja) and the Python that writes reader text.
METHODS = [("templates/**.mjml", "jinja2.ext:babel_extract"), ("templates/**.html", "jinja2.ext:babel_extract"),
           ("newsletter/**.py", "python")]
JINJA_OPTIONS = {"trim_blocks": "true", "lstrip_blocks": "true", "silent": "false"}
COMMENT_TAGS = ("Translators:",)
BUGS = "README.md, section Languages"
HEADER = ("# The words newsletter's theme puts into emails: translations of its English strings.\n"
          "# Kept with scripts/i18n (extract, update, compile, check); see the README's Languages section.")


def read_own(path: Path, language: str, rule: Callable[[int], int] | None,
             found: Collector) -> tuple[dict[str, str], dict[str, tuple[str, ...]], Callable[[int], int]]:
    """Read a publication's locale/<lang>.po: translated, non-fuzzy entries of known msgids; problems at their lines.

    The plural rule is the shipped catalog's or CLDR's for the language, never the file's Plural-Forms
    expression (which gettext would compile and run).
    """
    from babel.messages.pofile import PoFileError, read_po

    from newsletter.i18n import _plural_rule

    root = path.parent.parent  # the publication: <root>/locale/<lang>.po
    if not path.resolve().is_relative_to(root.resolve()):
        raise ContentError("this catalog is a link to a file outside the publication; copy it in instead", path)
    try:
        catalog = read_po(io.StringIO(read_text(path)), abort_invalid=True)
    except PoFileError as exc:
        raise ContentError(f"not a valid .po catalog: {exc.args[0].rsplit(' on ', 1)[0]}", path,
                           exc.lineno + 1) from None
    known = english()
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if not key or message.fuzzy or not any(message.string if isinstance(message.string, tuple)
                                               else [message.string]):
            continue
        if key not in known:
            found.warn(f"{key!r} is not one of the theme's strings, so this translation is never used", path,
                       message.lineno)
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        problem = next(filter(None, (placeholder_problem(form, key) for form in forms if form)), "")
        if problem:
            found.error(f"the translation of {key!r} {problem}", path, message.lineno)
        elif len(known[key]) > 1:
            plural[key] = tuple(form or forms[0] for form in forms)
        else:
            singular[key] = forms[0]
    return singular, plural, rule or _plural_rule(language)


def extract(project: Path) -> Catalog:
    """Extract every translatable string of the theme and the text renderer into a template catalog."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(domain=DOMAIN, project="newsletter", version=__version__, fuzzy=False, header_comment=HEADER,
                      msgid_bugs_address=BUGS)
    options = {pattern: JINJA_OPTIONS for pattern, method in METHODS if method.startswith("jinja2")}
    for filename, lineno, message, comments, context in extract_from_dir(
            project, METHODS, options, comment_tags=COMMENT_TAGS, strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(folder: Path, language: str) -> Path:
    """Return a shipped catalog's .po file."""
    return folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages(folder: Path = LOCALE_DIR) -> list[str]:
    """Return the languages with a .po catalog in a locale folder."""
    return sorted(p.parent.parent.name for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def write_po(path: Path, catalog: Catalog) -> None:
    """Write a catalog as a .po file (locations by file, without line numbers, so edits move less)."""
    from babel.messages.pofile import write_po as babel_write_po

    out = io.BytesIO()
    babel_write_po(out, catalog, width=100, include_lineno=False, ignore_obsolete=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def compiled(catalog: Catalog) -> bytes:
    """Return a catalog compiled to .mo bytes (fuzzy entries left out, as gettext does)."""
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def read(path: Path) -> Catalog:
    """Read one of our .po files."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def update(template: Catalog, folder: Path = LOCALE_DIR) -> list[str]:
    """Merge the template into every catalog (new strings untranslated, similar ones fuzzy); return the files."""
    done = []
    for language in languages(folder):
        path = po_path(folder, language)
        catalog = read(path)
        catalog.update(template)
        if language == SOURCE_LANGUAGE:  # the English catalog is the source text itself
            for message in catalog:
                if message.id:
                    message.string = message.id
                    message.flags.discard("fuzzy")
        write_po(path, catalog)
        done.append(str(path))
    return done


def compile_all(folder: Path = LOCALE_DIR) -> list[str]:
    """Compile every .po to its .mo beside it; return the files written."""
    done = []
    for language in languages(folder):
        path = po_path(folder, language)
        path.with_suffix(".mo").write_bytes(compiled(read(path)))
        done.append(str(path.with_suffix(".mo")))
    return done


def problems(template: Catalog, folder: Path = LOCALE_DIR) -> list[str]:
    """Return what is wrong with the shipped catalogs: strings missing, untranslated or fuzzy, placeholders
    that differ from the English, and .mo files out of date with their .po."""
    wanted = {_key(m.id): m for m in template if m.id}
    found: list[str] = []
    for language in languages(folder):
        path = po_path(folder, language)
        catalog = read(path)
        have = {_key(m.id): m for m in catalog if m.id}
        for key in wanted.keys() - have.keys():
            found.append(f"{path}: missing {key!r} (run scripts/i18n update, then translate it)")
        for key, message in have.items():
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if key not in wanted:
                found.append(f"{path}:{message.lineno}: {key!r} is no longer in the templates (run scripts/i18n "
                             "update)")
            elif message.fuzzy or not all(strings):
                found.append(f"{path}:{message.lineno}: {key!r} is {'fuzzy' if message.fuzzy else 'untranslated'}")
            elif problem := _placeholders(wanted[key].id, strings, len(catalog.plural_forms or "") and
                                          catalog.num_plurals):
                found.append(f"{path}:{message.lineno}: {key!r}: {problem}")
        mo = path.with_suffix(".mo")
        if not mo.is_file() or mo.read_bytes() != compiled(catalog):
            found.append(f"{mo}: out of date with its .po (run scripts/i18n compile)")
    return found


def _key(msgid: str | tuple[str, ...]) -> str:
    """Return the singular msgid of a message."""
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _placeholders(msgid: str | tuple[str, ...], strings: tuple[str, ...], forms: int) -> str:
    """Return how a translation's placeholders differ from the English ones, or ''."""
    from newsletter.i18n import PLACEHOLDER

    english_ids = msgid if isinstance(msgid, tuple) else (msgid,)
    wanted = {name for text in english_ids for name in PLACEHOLDER.findall(text) if name}
    if isinstance(msgid, tuple) and len(strings) != forms:
        return f"has {len(strings)} plural forms, the language has {forms}"
    for text in strings:
        used = {name for name in PLACEHOLDER.findall(text) if name}
        # A plural form may leave out the number (Arabic's singular and dual say it in the word).
        if used - wanted or (wanted - used - {"num"}) or "%" in PLACEHOLDER.sub("", text):
            return f"placeholders {sorted(used)} differ from the English {sorted(wanted)} in {text!r}"
    return ""
