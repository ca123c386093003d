"""The reader's language: theme strings from gettext catalogs and [strings], dates by locale, text direction.

Catalogs: the shipped ones in newsletter/locale/<lang>/LC_MESSAGES/newsletter.mo, a publication's own
locale/<lang>.po on top, and `[strings]` in newsletter.toml above both. Plain `en` without overrides reads no
catalog and imports no Babel: the msgids are the English strings.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.errors import Collector, NewsletterError

if TYPE_CHECKING:
    from newsletter.config import Settings
    from newsletter.model import Issue

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "newsletter"
SOURCE_LANGUAGE = "en"
DIRECTIONS = ("ltr", "rtl")
DATE_STYLES = ("short", "medium", "long", "full")
# Languages written right to left by default (CLDR's right-to-left locales, plus the old codes iw and ji).
RTL_LANGUAGES = frozenset({
    "apc", "ar", "ary", "bal", "bgn", "bqi", "brh", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "lrc", "mzn",
    "nqo", "ps", "rhg", "sd", "sdh", "skr", "syr", "trw", "ug", "ur", "yi"})
RTL_SCRIPTS = frozenset({"Adlm", "Arab", "Hebr", "Mand", "Nkoo", "Rohg", "Samr", "Syrc", "Thaa"})
# A BCP 47 language tag as editors write them: "de", "pt-BR", "zh-Hant", "sr_Latn" (underscores allowed).
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
# A named placeholder, or an escaped percent sign.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")
# The house style of `en` and `en-GB` without date_format: "23 March 2024" (CLDR's en_GB long date), written
# without Babel so English builds need no locale data.
_HOUSE_STYLE = frozenset({"en", "en-GB"})
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def normalise(tag: str) -> str:
    """Return a language tag as HTML writes it: "pt_br" -> "pt-BR", "zh_hant" -> "zh-Hant"."""
    parts = tag.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) <= 3 else part.lower())
    return "-".join(out)


def tag_problem(value: str) -> str:
    """Return what is wrong with a language tag, or ''."""
    if _TAG.fullmatch(value.strip()):
        return ""
    return "is not a language tag; write one such as \"de\", \"pt-BR\" or \"zh-Hant\""


def setting_problem(key: str, value: str) -> str:
    """Return what is wrong with a `language`/`lang`, `dir` or `date_format` value (config, issue, front matter)."""
    if key in ("language", "lang") and value:
        return tag_problem(value)
    if key == "dir" and value and value not in DIRECTIONS:
        return "must be \"ltr\" or \"rtl\" (or left out: the language decides)"
    if key == "date_format" and value:
        return date_format_problem(value)
    return ""


def apply_language(issue: Issue, meta: dict[str, Any], text: str, path: Path, found: Collector) -> None:
    """Copy issue.toml's `language` and `dir` onto the issue, and load that language's catalog."""
    from newsletter.files import key_line

    for key, attribute in (("language", "language"), ("dir", "direction")):
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        if problem := setting_problem(key, value.strip()):
            found.error(f"`{key}` {problem}", path, key_line(text, "", key))
        else:
            setattr(issue, attribute, value.strip())
    if issue.language:
        translator(issue.settings, issue.lang, found, (path, key_line(text, "", "language")))


def direction(language: str) -> str:
    """Return "rtl" for a language written right to left (by its code or its script subtag), else "ltr"."""
    parts = normalise(language).split("-")
    scripts = {part for part in parts[1:] if len(part) == 4}
    if scripts:
        return "rtl" if scripts & RTL_SCRIPTS else "ltr"
    return "rtl" if parts[0] in RTL_LANGUAGES else "ltr"


# Scripts that letter-spacing breaks apart (joined letters, head strokes), and those without italics.
_CURSIVE = frozenset({"as", "bn", "hi", "mn", "mr", "ne", "pa", "sa"})
_HEBREW = frozenset({"he", "iw", "ji", "yi"})
_UPRIGHT = frozenset({"ja", "ko", "th", "yue", "zh"}) | _HEBREW


def layout(language: str, text_direction: str) -> dict[str, object]:
    """Return what the theme's templates need to set a language: its direction, start and end sides, and whether
    its script takes letter-spacing (`tracking`) and italics."""
    rtl = text_direction == "rtl"
    base = normalise(language).split("-")[0]
    cursive = base in _CURSIVE or (direction(language) == "rtl" and base not in _HEBREW)
    return {"dir": "rtl" if rtl else "ltr", "start": "right" if rtl else "left", "end": "left" if rtl else "right",
            "tracking": not cursive, "italics": not cursive and base not in _UPRIGHT}


def candidates(language: str) -> list[str]:
    """Return the catalog names to try for a language, most specific first: "pt-BR" -> ["pt_BR", "pt"]."""
    parts = normalise(language).split("-")
    return ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]


def shipped() -> list[str]:
    """Return the languages the tool ships a compiled catalog for."""
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


@functools.cache
def catalogs_stamp() -> str:
    """Return a hash of the shipped compiled catalogs (the archive rebuilds its pages when their words change)."""
    import hashlib

    hasher = hashlib.sha256()
    for path in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")):
        hasher.update(path.parent.parent.name.encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()[:32]


def plain_date(value: dt.date) -> str:
    """Format a date as '23 March 2024', the house style of `en` and `en-GB`."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


class Messages(gettext.NullTranslations):
    """A catalog held in dicts (the publication's .po or [strings]), in front of a fallback catalog."""

    def __init__(self, singular: Mapping[str, str], plural: Mapping[str, tuple[str, ...]],
                 rule: Callable[[int], int]) -> None:
        super().__init__()
        self.singular, self.plural, self.rule = dict(singular), dict(plural), rule

    def gettext(self, message: str) -> str:
        """Return the translation of message."""
        if message in self.singular:
            return self.singular[message]
        if message in self.plural:
            return self.plural[message][0]
        return super().gettext(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        """Return the plural form of msgid1 for the number n."""
        forms = self.plural.get(msgid1)
        if forms:
            return forms[min(self.rule(n), len(forms) - 1)]
        if msgid1 in self.singular:
            return self.singular[msgid1]
        return super().ngettext(msgid1, msgid2, n)


@dataclass(frozen=True, eq=False)
class Translator:
    """What the templates and the text renderer ask for one language: strings, dates and numbers."""

    language: str = SOURCE_LANGUAGE
    date_format: str = ""
    messages: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)

    def gettext(self, message: str, **values: object) -> str:
        """Return message translated and filled with values (always %-formatted, so '%%' is a percent sign)."""
        return self.messages.gettext(message) % values

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """Return the form of a message for the number n, filled with values (`num` is n)."""
        return self.messages.ngettext(singular, plural, n) % {"num": self.number(n), **values}

    def date(self, value: dt.date) -> str:
        """Format a date in the language, as date_format (a style or a Babel pattern) asks."""
        if self.language in _HOUSE_STYLE and not self.date_format:
            return plain_date(value)
        locale = babel_locale(self.language)
        if locale is None:
            return plain_date(value)
        from babel.dates import format_date

        return format_date(value, self.date_format or "long", locale=locale)

    def number(self, value: int) -> str:
        """Format a count the way the language groups digits ("1,204", "1.204", "1 204")."""
        english = self.language.split("-")[0] == SOURCE_LANGUAGE
        locale = babel_locale(self.language) if not english and abs(value) >= 1000 else None
        if locale is None:
            return f"{value:,}" if english else str(value)
        from babel.numbers import format_decimal

        return format_decimal(value, locale=locale)


ENGLISH = Translator()


@functools.cache
def babel_locale(language: str) -> Any:
    """Return Babel's Locale for a language tag (falling back to its base language), or None if CLDR lacks it."""
    from babel import Locale, UnknownLocaleError

    for name in candidates(language):
        try:
            return Locale.parse(name)
        except (UnknownLocaleError, ValueError):
            continue
    return None


def date_format_problem(value: str) -> str:
    """Return what is wrong with a [publication] date_format, or ''."""
    if value in DATE_STYLES:
        return ""
    from babel.dates import format_date

    hint = ("use short, medium, long or full, or a Babel date pattern such as \"d MMMM y\" "
            "(letters are fields: quote words as in \"'Week' w\")")
    try:
        shown = {format_date(day, value, locale="en") for day in (dt.date(2024, 3, 23), dt.date(2025, 11, 4))}
    except (AttributeError, ValueError, KeyError, TypeError):
        return f"{value!r} is not a date pattern (it asks for a time or an unknown field); {hint}"
    return f"{value!r} shows no part of the date; {hint}" if len(shown) == 1 else ""


@functools.cache
def english() -> dict[str, tuple[str, ...]]:
    """Return the English catalog: every msgid the theme uses, with its English forms (two for plurals)."""
    path = LOCALE_DIR / SOURCE_LANGUAGE / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    found: dict[str, list[str]] = {}
    for key, text in catalog.items():
        if isinstance(key, tuple):
            found.setdefault(key[0], ["", ""])[min(key[1], 1)] = text
        elif key:
            found.setdefault(key, [text])
    return {key: tuple(forms) for key, forms in found.items()}


def placeholder_problem(value: str, msgid: str) -> str:
    """Return what is wrong with the placeholders of a translation of msgid, or ''."""
    forms = english().get(msgid, (msgid,))
    allowed = {name for form in forms for name in PLACEHOLDER.findall(form) if name}
    allowed |= {"num"} if len(forms) > 1 else set()  # ngettext's number
    used = set(PLACEHOLDER.findall(value)) - {""}
    if "%" in PLACEHOLDER.sub("", value):
        return "has a lone % sign: write %% for a percent sign, or a placeholder such as %(name)s"
    if unknown := sorted(used - allowed):
        have = ", ".join(f"%({name})s" for name in sorted(allowed)) or "none"
        return f"uses {', '.join(f'%({n})s' for n in unknown)}, which this string does not have (it has: {have})"
    return ""


def strings_table(value: dict[str, Any], text: str, path: Path, found: Collector) -> tuple[
        tuple[str, str, tuple[str, ...]], ...]:
    """Validate [strings] (and [strings.<lang>] tables): English msgid = "your wording" (a list for plurals)."""
    from newsletter.files import did_you_mean, key_line

    known = english()
    out: list[tuple[str, str, tuple[str, ...]]] = []
    tables = [("", value, "strings")]
    for key, item in value.items():
        if isinstance(item, dict) and key not in known:
            if problem := tag_problem(key):
                found.error(f"[strings.{key}]: {problem}", path, key_line(text, "", f"strings.{key}"))
            else:
                tables.append((normalise(key), item, f"strings.{key}"))
    for language, table, name in tables:
        for key, item in table.items():
            line = key_line(text, name, key)
            if isinstance(item, dict) and name == "strings" and key not in known:
                continue
            if key not in known:
                found.warn(f"unknown string {key!r} in [{name}] (keys are the theme's English strings, listed in "
                           f"the README's Languages section){did_you_mean(key, known)}", path, line)
                continue
            forms = (item,) if isinstance(item, str) else tuple(item) if isinstance(item, list) else ()
            if not forms or not all(isinstance(f, str) for f in forms) or (len(forms) > 1 and len(known[key]) < 2):
                kind = "a list of forms, one per plural form" if len(known[key]) > 1 else "one quoted string"
                found.error(f"{key!r} in [{name}] must be {kind}", path, line)
            elif any(not c.isprintable() for form in forms for c in form):
                found.error(f"{key!r} in [{name}] must be one line of text, without control characters", path, line)
            elif problem := next(filter(None, (placeholder_problem(f, key) for f in forms)), ""):
                found.error(f"{key!r} in [{name}] {problem}", path, line)
            else:
                out.append((language, key, forms))
    return tuple(out)


def own_catalog(root: Path, language: str) -> Path | None:
    """Return the publication's locale/<lang>.po for a language (most specific name first), or None."""
    folder = root / "locale"
    if not folder.is_dir():
        return None
    for name in candidates(language):
        for spelling in dict.fromkeys((name, name.replace("_", "-"))):
            path = folder / f"{spelling}.po"
            if path.is_file():
                return path
    return None


def translator(settings: Settings, language: str, found: Collector | None = None,
               where: tuple[Path | None, int | None] = (None, None)) -> Translator:
    """Return the translator for a language of a publication; with `found`, record its catalog's problems.

    `where` is the setting that chose the language, for the warning when no catalog has it.
    """
    language = normalise(language or SOURCE_LANGUAGE)
    own = own_catalog(settings.root, language)
    stamp = (own.stat().st_mtime_ns, own.stat().st_size) if own else None
    strings = tuple(entry for entry in settings.strings if entry[0] == "" or entry[0].replace("-", "_") in
                    candidates(language))
    made, problems = _translator(language, settings.publication.date_format, strings, (own, stamp) if own else None,
                                 where)
    if found is not None:
        for problem in problems:
            (found.warnings if problem.level == "warning" else found.errors).append(problem)
    elif any(problem.level == "error" for problem in problems):
        raise NewsletterError(problems[0].message, problems[0].path, problems[0].line)
    return made


@functools.lru_cache(maxsize=64)
def _translator(language: str, date_format: str, strings: tuple[tuple[str, str, tuple[str, ...]], ...],
                own: tuple[Path, object] | None, where: tuple[Path | None, int | None]) -> tuple[Translator, tuple]:
    """Build a translator: [strings] over the publication's catalog over the shipped one (cached).

    `own` is the publication's catalog with its modification stamp, so an edited .po is read again.
    """
    found = Collector()
    source = language.split("-", maxsplit=1)[0] == SOURCE_LANGUAGE  # the msgids are English: no catalog to read
    messages: gettext.NullTranslations | None = None if source else _shipped(language)
    rule = messages.plural if isinstance(messages, gettext.GNUTranslations) else None
    if own is not None:
        from newsletter.locale.catalogs import read_own

        singular, plural, rule = read_own(own[0], language, rule, found)
        messages = _chain(Messages(singular, plural, rule), messages)
    elif messages is None and not source:
        found.warn(f"no catalog for language {language!r}: the theme's words stay English; add locale/"
                   f"{candidates(language)[-1]}.po to the publication (see the README's Languages section) or "
                   f"use one of {', '.join(shipped())}", *where)
    if not source and babel_locale(language) is None:
        found.warn(f"CLDR has no locale data for {language!r}: dates are shown as in English", *where)
    if strings:
        singular: dict[str, str] = {}
        plural: dict[str, tuple[str, ...]] = {}
        for _, key, forms in sorted(strings, key=lambda entry: len(entry[0])):  # [strings.<lang>] wins
            if len(english()[key]) > 1:
                plural[key] = forms
            else:
                singular[key] = forms[0]
        messages = _chain(Messages(singular, plural, rule or _plural_rule(language)), messages)
    made = Translator(language, date_format, messages or gettext.NullTranslations())
    return made, (*found.errors, *found.warnings)


def _chain(front: gettext.NullTranslations, back: gettext.NullTranslations | None) -> gettext.NullTranslations:
    """Return front with back as its fallback."""
    if back is not None:
        front.add_fallback(back)
    return front


@functools.cache
def _shipped(language: str) -> gettext.GNUTranslations | None:
    """Return the shipped compiled catalog for a language (or its base language), or None."""
    for name in candidates(language):
        path = LOCALE_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if path.is_file():
            with path.open("rb") as handle:
                return gettext.GNUTranslations(handle)
    return None


def _plural_rule(language: str) -> Callable[[int], int]:
    """Return the gettext plural rule CLDR gives a language (n != 1 when it has none)."""
    if language.split("-", maxsplit=1)[0] == SOURCE_LANGUAGE:
        return gettext.c2py("(n != 1)")
    from babel.messages.plurals import get_plural

    try:
        return gettext.c2py(get_plural(language.replace("-", "_")).plural_expr)
    except (ValueError, KeyError):
        return gettext.c2py("(n != 1)")
