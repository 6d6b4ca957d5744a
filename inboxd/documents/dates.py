"""Dates in text, in any common format and six languages, as ISO 8601 strings.

Formats: 2026-03-15, 15.03.2026, 15.03.26, 15/03/2026, 15-03-2026, 3 March 2026,
3. März 2026, 3rd of March 2026, le 3 mars 2026, 3 de marzo de 2026, March 3, 2026,
"August 3 , 2014" (a space pypdf puts before the comma).  Month names in English, German,
French, Spanish, Italian and Dutch, with their usual abbreviations.

``a/b/yyyy`` is ambiguous (03/04/2026): it is read day-first or month-first only when one
part exceeds 12 or the caller says which convention the document uses (``day_first``);
otherwise it is refused rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

MIN_YEAR, MAX_YEAR = 1950, 2100  # outside this, "12.10.1850" is more likely not a date
TWO_DIGIT_PIVOT = 70  # dd.mm.yy: 69 -> 2069, 70 -> 1970

_MONTHS = {
    "january": 1, "januar": 1, "janvier": 1, "enero": 1, "gennaio": 1, "januari": 1, "jänner": 1,
    "february": 2, "februar": 2, "février": 2, "fevrier": 2, "febrero": 2, "febbraio": 2,
    "februari": 2, "march": 3, "märz": 3, "maerz": 3, "mars": 3, "marzo": 3, "maart": 3,
    "april": 4, "avril": 4, "abril": 4, "aprile": 4,
    "may": 5, "mai": 5, "mayo": 5, "maggio": 5, "mei": 5,
    "june": 6, "juni": 6, "juin": 6, "junio": 6, "giugno": 6,
    "july": 7, "juli": 7, "juillet": 7, "julio": 7, "luglio": 7,
    "august": 8, "août": 8, "aout": 8, "agosto": 8, "augustus": 8,
    "september": 9, "septembre": 9, "septiembre": 9, "settembre": 9, "setiembre": 9,
    "october": 10, "oktober": 10, "octobre": 10, "octubre": 10, "ottobre": 10,
    "november": 11, "novembre": 11, "noviembre": 11,
    "december": 12, "dezember": 12, "décembre": 12, "decembre": 12, "diciembre": 12,
    "dicembre": 12,
}  # fmt: skip
_MONTH_ABBR = {
    "jan": 1, "jän": 1, "janv": 1, "ene": 1, "gen": 1, "feb": 2, "febr": 2, "fév": 2,
    "févr": 2, "mar": 3, "mär": 3, "mrt": 3, "apr": 4, "avr": 4, "abr": 4, "jun": 6,
    "jul": 7, "juil": 7, "lug": 7, "aug": 8, "ago": 8, "sep": 9, "sept": 9, "set": 9,
    "oct": 10, "okt": 10, "ott": 10, "nov": 11, "dec": 12, "dez": 12, "déc": 12, "dic": 12,
}  # fmt: skip
_MONTH_WORD = r"[^\W\d_]{3,10}\.?"

_ISO = re.compile(r"(?<![\d.])(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
# 15.03.2026, 15/03/2026, 15-03-2026, 15.03.26; the same separator twice.
_NUMERIC = re.compile(r"(?<![\d./-])(\d{1,2})([./-])\s?(\d{1,2})\2\s?(\d{4}|\d{2})(?![\d])")
_DAY_MONTH = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th|er|º|°)?\.?\s+(?:of\s+|de\s+)?({_MONTH_WORD})"
    rf",?\s+(?:de\s+)?(\d{{4}})(?!\d)",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_WORD})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(\d{{4}})(?!\d)", re.IGNORECASE
)


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    iso: str


def month_number(word: str) -> int | None:
    w = word.lower().rstrip(".")
    return _MONTHS.get(w) or _MONTH_ABBR.get(w)


def to_iso(year: int, month: int, day: int) -> str | None:
    if year < 100:
        year += 2000 if year < TWO_DIGIT_PIVOT else 1900
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _iso(m: re.Match[str], _day_first: bool | None) -> str | None:
    return to_iso(int(m[1]), int(m[2]), int(m[3]))


def _numeric(m: re.Match[str], day_first: bool | None) -> str | None:
    a, b, year = int(m[1]), int(m[3]), int(m[4])
    if m[2] == "." or a > 12 >= b:  # dots are day-first everywhere they are used
        return to_iso(year, b, a)
    if b > 12 >= a:
        return to_iso(year, a, b)
    if a == b:
        return to_iso(year, a, b)
    if day_first is None:  # 03/04/2026 in a text of unclear origin: refuse to guess
        return None
    return to_iso(year, b, a) if day_first else to_iso(year, a, b)


def _day_month(m: re.Match[str], _day_first: bool | None) -> str | None:
    month = month_number(m[2])
    return to_iso(int(m[3]), month, int(m[1])) if month else None


def _month_day(m: re.Match[str], _day_first: bool | None) -> str | None:
    month = month_number(m[1])
    return to_iso(int(m[3]), month, int(m[2])) if month else None


_PARSERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], bool | None], str | None]], ...] = (
    (_ISO, _iso),
    (_NUMERIC, _numeric),
    (_DAY_MONTH, _day_month),
    (_MONTH_DAY, _month_day),
)


def find_dates(text: str, day_first: bool | None = None) -> list[Found]:
    """Every valid date in ``text``, in order of position, overlaps resolved to the first."""
    found: list[Found] = []
    for regex, parse in _PARSERS:
        for m in regex.finditer(text):
            iso = parse(m, day_first)
            if iso:
                found.append(Found(m.start(), m.end(), iso))
    found.sort(key=lambda f: (f.start, -f.end))
    out: list[Found] = []
    for item in found:
        if not out or item.start >= out[-1].end:
            out.append(item)
    return out


def first_date(text: str, day_first: bool | None = None) -> Found | None:
    dates = find_dates(text, day_first)
    return dates[0] if dates else None


def parse_date(raw: str, day_first: bool | None = None) -> str | None:
    """The ISO form of the one date that is ``raw`` (surrounding spaces allowed)."""
    found = first_date(raw.strip(), day_first)
    return found.iso if found else None
