"""What the language-aware rules know about a language: quotation marks, numbers, dates and times, doubles."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# CLDR's quotation marks (quotationStart/End, alternateQuotationStart/End) for the languages we know;
# French adds a narrow no-break space inside its guillemets.
_QUOTES = {
    "en": ("“", "”", "‘", "’"), "de": ("„", "“", "‚", "‘"), "fr": ("«\u202f", "\u202f»", "“", "”"),
    "es": ("«", "»", "“", "”"), "it": ("«", "»", "“", "”"), "pt": ("“", "”", "‘", "’"),
    "nl": ("‘", "’", "“", "”"), "sv": ("”", "”", "’", "’"), "da": ("“", "”", "‘", "’"),
    "no": ("«", "»", "‘", "’"), "nb": ("«", "»", "‘", "’"), "fi": ("”", "”", "’", "’"),
    "pl": ("„", "”", "«", "»"), "cs": ("„", "“", "‚", "‘"), "ru": ("«", "»", "„", "“"),
    "uk": ("«", "»", "„", "“"), "tr": ("“", "”", "‘", "’"), "el": ("«", "»", "“", "”"),
    "ja": ("「", "」", "『", "』"), "zh": ("“", "”", "‘", "’"), "ko": ("“", "”", "‘", "’"),
    "ar": ("”", "“", "’", "‘"), "he": ("”", "”", "’", "’"),
}
TYPOGRAPHIC = frozenset("“”‘’„‚«»‹›「」『』")
# Words that are right twice in a row ("she had had enough", "die Frau, die die Zeitung liest").
_DOUBLES = {
    "en": {"had", "that", "ha", "bye", "knock", "tsk", "tut", "chop", "blah", "yeah", "very", "well", "no"},
    "de": {"die", "der", "das", "den", "dem", "sie", "es", "ha"}, "nl": {"dat", "die", "ha"},
    "fr": {"nous", "vous", "ha"}, "es": {"ja"}, "it": {"ah"},
}
# A figure next to these is a time, an ordinal or a rate, not a count of something (English plus the language).
_TIME_WORDS = {
    "en": {"am", "pm", "a.m", "p.m", "o'clock", "h", "hrs", "gmt", "utc", "bst", "cet", "est", "pst"},
    "de": {"uhr", "h"}, "fr": {"h", "heures", "heure", "hr"}, "es": {"h", "horas"}, "it": {"ore"},
    "nl": {"uur"}, "pt": {"h", "horas"},
}
_DETACHED = {
    "en": {"every", "per", "each", "in", "on", "for", "from", "after", "before", "within", "since", "between",
           "until", "during", "aged", "age", "number", "no", "page", "chapter", "room", "route", "line", "version",
           "release", "step", "part", "level", "season", "episode", "issue", "vol", "volume", "stage", "at",
           "top", "gate", "platform", "bus", "tram", "exit", "junction"},
    "de": {"alle", "pro", "je", "im", "am", "seit", "ab", "bis", "nach", "vor", "um", "nr", "seite", "version"},
    "fr": {"chaque", "par", "tous", "toutes", "le", "la", "en", "depuis", "dès", "après", "avant", "vers", "n°",
           "page", "version", "à"},
    "es": {"cada", "por", "el", "la", "en", "desde", "tras", "antes", "página", "versión"},
}
# In either sentence these say the figure changed or is compared, so two figures are two facts.
_CHANGE = {
    "en": {"rose", "risen", "rise", "rising", "fell", "fallen", "grew", "grown", "increased", "decreased",
           "dropped", "up", "down", "compared", "versus", "vs", "previously", "previous", "earlier", "last",
           "next", "now", "was", "were", "revised", "updated", "instead", "originally", "initially", "expected",
           "planned", "target", "goal", "budget", "estimated", "forecast"},
    "de": {"gestiegen", "gesunken", "zuvor", "vorher", "letzte", "letzten", "letztes", "jetzt", "nun", "statt",
           "waren", "war", "erwartet", "geplant"},
    "fr": {"hausse", "baisse", "contre", "auparavant", "précédent", "dernier", "dernière", "prochain", "désormais",
           "était", "étaient", "prévu", "prévus", "prévues", "estimé"},
    "es": {"subió", "bajó", "frente", "antes", "anterior", "pasado", "próximo", "ahora", "era", "eran",
           "previsto"},
}
# Non-breaking and fixed-width blanks: a browser shows every one of them, so two in a row are visible.
VISIBLE_BLANKS = frozenset("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
                           "\u3000")
# Japanese and Chinese are written without spaces: a doubled particle or punctuation mark is the slip there.
_UNSPACED_DOUBLES = {
    "ja": re.compile(r"(を)を|(、)、|(。)。"),
    "zh": re.compile(r"(的)的(?!确)|(，)，|(。)。|(、)、"),
}


@dataclass(frozen=True)
class Language:
    """One language as the rules see it."""

    code: str
    quotes: tuple[str, str, str, str]
    doubles: frozenset[str]
    time_words: frozenset[str]
    detached: frozenset[str]
    change: frozenset[str]
    dates: frozenset[str]
    group: str  # thousands separators accepted in figures
    decimal: str

    @property
    def unspaced_doubles(self) -> re.Pattern[str] | None:
        """Return the pattern of doubled characters for a language written without spaces, else None."""
        return _UNSPACED_DOUBLES.get(self.code)


def base(language: str) -> str:
    """Return the base code of a language tag: `de` for `de-AT`, `en` for an empty one."""
    return (language or "en").replace("_", "-").split("-", 1)[0].casefold()


@functools.cache
def language(tag: str) -> Language:
    """Return what the rules know about a language (English for what they do not)."""
    code = base(tag)
    group, decimal = _number_symbols(code)
    return Language(
        code=code,
        quotes=_QUOTES.get(code, _QUOTES["en"]),
        doubles=frozenset(_DOUBLES["en"] | _DOUBLES.get(code, set())),
        time_words=frozenset(_TIME_WORDS["en"] | _TIME_WORDS.get(code, set())),
        detached=frozenset(_DETACHED["en"] | _DETACHED.get(code, set())),
        change=frozenset(_CHANGE["en"] | _CHANGE.get(code, set())),
        dates=_date_words(code),
        group=group,
        decimal=decimal,
    )


def _number_symbols(code: str) -> tuple[str, str]:
    """Return (group separators, decimal mark) of a language's numbers, from CLDR through Babel."""
    from babel.core import UnknownLocaleError
    from babel.numbers import get_decimal_symbol, get_group_symbol

    try:
        group, decimal = get_group_symbol(code), get_decimal_symbol(code)
    except (UnknownLocaleError, ValueError):
        group, decimal = ",", "."
    if group.isspace() or group in "\u00a0\u202f":
        group = " \u00a0\u202f"  # a space of any width: 1 204, 1 204, 1 204
    elif group == "’":
        group = "’'"
    return group, decimal


def _date_words(code: str) -> frozenset[str]:
    """Return month and weekday names (wide and abbreviated, any case) in English and the language."""
    from babel.core import UnknownLocaleError
    from babel.dates import get_day_names, get_month_names

    words: set[str] = set()
    for locale in dict.fromkeys(("en", code)):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                try:
                    names = [*get_month_names(width, context, locale).values(),
                             *get_day_names(width, context, locale).values()]
                except (UnknownLocaleError, ValueError):
                    continue
                words.update(name.casefold().rstrip(".") for name in names)
    words.add("sept")
    return frozenset(words)


def parse_figure(text: str, lang: Language) -> float | None:
    """Return the value of a figure as the language writes it ("1.204" is 1204 in German), or None."""
    groups = f"[{re.escape(lang.group)}]"
    dec = re.escape(lang.decimal)
    match = re.fullmatch(rf"(\d{{1,3}}(?:{groups}\d{{3}})+|\d+)(?:{dec}(\d+))?", text)
    if not match:
        return None
    whole = re.sub(groups, "", match.group(1))
    return float(f"{whole}.{match.group(2)}") if match.group(2) else float(whole)
