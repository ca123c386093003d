"""Display-width wrapping for the plain-text renderer: never splits a word, a URL or a merge tag."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from newsletter.mergetags import CLOSE, MARKED, OPEN

# A space that joins two atoms without allowing a line break there ("notice [1]", code spans).
GLUE = "\ue002"
# Where a line may break: whitespace other than the non-breaking kinds (NBSP, figure space, narrow NBSP).
_SPACES = r" \t\r\f\v\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000"
# A word between breakable spaces; merge-tag markers stay whole even when their fallback holds spaces.
_BETWEEN = re.compile(r"(?:" + OPEN + r"[^" + CLOSE + r"]*" + CLOSE + r"|[^" + _SPACES + r"])+")
# A word: merge-tag markers stay whole even when their fallback holds spaces.
_WORD = re.compile(OPEN + r"[^" + CLOSE + r"]*" + CLOSE + r"|[^" + OPEN + r"]+")
# East Asian punctuation that may not start (or end) a line (a small kinsoku set).
_NO_START = set("、。，．・：；？！ー）」』】〉》〕］｝〙〗%)]}.,:;!?ゝゞヽヾっゃゅょッャュョ…‥")
_NO_END = set("（「『【〈《〔［｛〘〖([{")
_NUMBER = re.compile(r"^\d[\d,.:]*$")
# How wide a filled merge tag will probably be; only used to decide where lines break.
_TAG_WIDTH = {"first_name": 8, "email": 24, "postal_address": 40}
# Characters one column wide each, alone or in any sequence (Latin-1 and Latin Extended letters, the general
# punctuation of quotes and dashes; a test checks each against wcwidth): text made only of them needs no
# wcwidth, whose import costs a build about 9 ms.
_NARROW = re.compile("[\x20-\x7e\u00a0-\u02ff\u2010-\u2027\u2030-\u205e" + GLUE + "]*")
_ASCII_OVERRIDES = {"\u2014": "--", "\u2015": "--", "\u00b7": "-"}


RLM = "\u200f"  # RIGHT-TO-LEFT MARK: sets a paragraph's direction without showing


def first_strong(text: str) -> str:
    """Return "rtl" or "ltr" by the first letter with a strong direction (Unicode bidi rule P2), or ""."""
    if text.isascii():
        return "ltr" if any(c.isalpha() for c in text) else ""
    for char in MARKED.sub("", text):
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in {"R", "AL"}:
            return "rtl"
    return ""


def has_rtl(text: str) -> bool:
    """Return True when text has a right-to-left letter (Hebrew, Arabic, Syriac, Thaana, N'Ko...)."""
    return not text.isascii() and any(unicodedata.bidirectional(c) in {"R", "AL"} for c in text)


def display_width(text: str) -> int:
    """Return the columns text takes in a monospaced font (wide characters 2, combining marks 0)."""
    if text.isascii():
        return len(text)
    if OPEN in text:
        text = MARKED.sub(lambda m: "x" * _tag_width(m.group(1), m.group(2) or ""), text)
    if _NARROW.fullmatch(text):
        return len(text)
    return max(_wcwidth().width(text.replace(GLUE, " ")), 0)


def _wcwidth() -> Any:
    """Return the wcwidth module, imported on first need."""
    import wcwidth

    return wcwidth


def _tag_width(name: str, fallback: str) -> int:
    """Return the width a merge tag is expected to take once filled."""
    return display_width(fallback) if fallback else _TAG_WIDTH.get(name, 32)


def wrap(text: str, width: int) -> list[str]:
    """Wrap text (newlines are hard breaks) greedily at width columns; long atoms stand alone."""
    lines: list[str] = []
    for hard in text.split("\n"):
        current: list[str] = []
        used = 0
        for glue, atom in _atoms(hard):
            size = display_width(atom)
            if not current:
                current, used = [atom], size
            elif used + len(glue) + size > width:
                carried = _carry(current, glue, size, width)
                lines.append("".join(current))
                current = [*carried, atom] if carried else [atom]
                used = sum(map(display_width, current))
            else:
                current += [glue, atom]
                used += len(glue) + size
        lines.append("".join(current))
    return [line.replace(GLUE, " ").rstrip() for line in lines]


def wrap_paragraph(text: str, width: int, direction: str = "ltr") -> list[str]:
    """Wrap a paragraph at width; one that runs right to left stays whole, a line per hard break, so the
    reader's client flows it (a line broken here would be reordered on its own, out of its paragraph)."""
    lines = [set_direction(hard, direction) for hard in text.split("\n")]
    if not any(first_strong(line) == "rtl" for line in lines):
        return wrap(text, width)
    out: list[str] = []
    for line in lines:
        out += [line.replace(GLUE, " ").rstrip()] if first_strong(line) == "rtl" else wrap(line, width)
    return out


def set_direction(line: str, direction: str) -> str:
    """Return a line of right-to-left text that starts with left-to-right letters behind an RLM, so clients set
    it from the right (only where the story runs right to left); other lines unchanged."""
    if direction == "rtl" and first_strong(line) == "ltr" and has_rtl(line):
        return RLM + line
    return line


def _carry(current: list[str], glue: str, size: int, width: int) -> list[str]:
    """Take a number ending the line along to the next one, so "4 cm" and "2 April" stay together."""
    if glue != " " or len(current) < 3 or not _NUMBER.match(current[-1]):
        return []
    if display_width(current[-1]) + 1 + size > width:
        return []
    number = current[-1]
    del current[-2:]
    return [number, glue]


def _atoms(text: str) -> list[tuple[str, str]]:
    """Split a line into (glue before, atom): words at spaces, wide (CJK) text between characters."""
    atoms: list[tuple[str, str]] = []
    for word in _BETWEEN.findall(text):
        pieces = [word] if word.isascii() or OPEN in word or _NARROW.fullmatch(word) else _split_wide(word)
        atoms.append((" ", pieces[0]))
        atoms += [("", piece) for piece in pieces[1:]]
    return atoms


def _split_wide(word: str) -> list[str]:
    """Split a word at the break opportunities between wide characters (ideographs, kana, emoji)."""
    pieces: list[str] = []
    previous = ""
    for cluster in _wcwidth().iter_graphemes(word):
        wide = _breaks_around(cluster)
        prev_wide = bool(previous) and _breaks_around(previous)
        breakable = (wide or prev_wide) and cluster[0] not in _NO_START and previous[-1:] not in _NO_END
        if pieces and breakable and GLUE not in (cluster, previous):
            pieces.append(cluster)
        elif pieces:
            pieces[-1] += cluster
        else:
            pieces.append(cluster)
        previous = cluster
    return pieces


def _breaks_around(cluster: str) -> bool:
    """Return True for a wide cluster a line may break before or after (not Hangul)."""
    return _wcwidth().width(cluster) == 2 and not _hangul().match(cluster)


@functools.cache
def _hangul() -> re.Pattern[str]:
    """Return the pattern of Hangul, which separates words with spaces, so it breaks only there."""
    # Compiled on first need: its ranges take a millisecond to compile, and most text has no wide characters.
    return re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def to_ascii(text: str) -> str:
    """Transliterate typographic punctuation and spaces (quotes, dashes, ellipses, NBSP) to ASCII."""
    if text.isascii():
        return text
    out: list[str] = []
    for part in _WORD.findall(text):
        if part.startswith(OPEN):
            out.append(part)
            continue
        out.extend(_ascii_char(c) for c in part)
    return "".join(out)


def _ascii_char(char: str) -> str:
    """Return the ASCII stand-in for one typographic character, or the character itself."""
    if char.isascii() or char == GLUE or ord(char) >= 0x2E80:
        return char
    if char in _ASCII_OVERRIDES:
        return _ASCII_OVERRIDES[char]
    category = unicodedata.category(char)
    if category in {"Pd", "Pi", "Pf", "Ps", "Pe", "Zs"} or (category == "Po" and 0x2000 <= ord(char) < 0x2070):
        from anyascii import anyascii  # only [text] ascii = true needs it

        return anyascii(char) or char
    return char


def pad(text: str, width: int, align: str = "left") -> str:
    """Pad text with spaces to width columns, aligned left, right or center."""
    gap = max(width - display_width(text), 0)
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap
