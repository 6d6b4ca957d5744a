"""Key fields of a document (number, date, total, IBAN) from its text: v1, regex-based.

Every field is ``{"value": ..., "source": "text", "text": "<snippet>"}`` so a reviewer can
see where a value came from.  Amounts are decimal strings ("1234.56"): floats would turn
0.1 + 0.2 into 0.30000000000000004 in the result JSON.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

SNIPPET_CHARS = 80
# Types for which a document number and a payable total are meaningful.
COMMERCIAL_TYPES = frozenset(
    {"invoice", "credit_note", "receipt", "reminder", "order_confirmation", "unknown"}
)

_MONTHS = {
    # en, de, fr, es, it, nl; abbreviations by prefix below
    "january": 1, "januar": 1, "janvier": 1, "enero": 1, "gennaio": 1, "januari": 1, "jänner": 1,
    "february": 2, "februar": 2, "février": 2, "febrero": 2, "febbraio": 2, "februari": 2,
    "march": 3, "märz": 3, "mars": 3, "marzo": 3, "maart": 3,
    "april": 4, "avril": 4, "abril": 4, "aprile": 4,
    "may": 5, "mai": 5, "mayo": 5, "maggio": 5, "mei": 5,
    "june": 6, "juni": 6, "juin": 6, "junio": 6, "giugno": 6,
    "july": 7, "juli": 7, "juillet": 7, "julio": 7, "luglio": 7,
    "august": 8, "août": 8, "agosto": 8, "augustus": 8,
    "september": 9, "septembre": 9, "septiembre": 9, "settembre": 9,
    "october": 10, "oktober": 10, "octobre": 10, "octubre": 10, "ottobre": 10,
    "november": 11, "novembre": 11, "noviembre": 11,
    "december": 12, "dezember": 12, "décembre": 12, "diciembre": 12, "dicembre": 12,
}  # fmt: skip
_MONTH_ABBR = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "dez": 12,
}  # fmt: skip
_MONTH_WORD = r"[^\W\d_]{3,10}\.?"

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DOT_DATE = re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_DAY_MONTH_DATE = re.compile(
    rf"\b(\d{{1,2}})\.?\s+(?:de\s+)?({_MONTH_WORD})\s+(?:de\s+)?(\d{{4}})\b"
)
_MONTH_DAY_DATE = re.compile(rf"\b({_MONTH_WORD})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_DATE_LABEL = re.compile(
    r"(invoice\s+date|date\s+of\s+issue|issue\s+date|rechnungsdatum|belegdatum|"
    r"date\s+de\s+facture|fecha\s+de\s+factura|data\s+fattura|factuurdatum|datum|date|fecha|data)"
    r"\s*[:.]?",
    re.IGNORECASE,
)
_US_HINTS = re.compile(r"\$|\bUSD\b|\b[A-Z]{2}\s+\d{5}(-\d{4})?\b")  # dollars, "CA 94105"
_EU_HINTS = re.compile(r"€|\bEUR\b|\bCHF\b|£|\bGBP\b|\b(rechnung|facture|factura|fattura)\b", re.I)

_INVOICE_NUMBER = re.compile(
    r"(?:invoice|inv|rechnungs|rechnung|facture|factura|fattura|factuur|credit\s+note|"
    r"gutschrift|beleg|receipt|bill)\s*-?\s*"
    r"(?:number|no\.?|nr\.?|nummer|#|n°|nº|no°|número|numero)\s*[:.#]?\s*"
    r"([A-Z0-9][A-Z0-9\-/._]{0,30}[A-Z0-9])",
    re.IGNORECASE,
)

# "1.234,56", "1,234.56", "1 234,56", "1'234.56" (Swiss), "-12.00", "\u221212.00" (typographic)
_AMOUNT = re.compile(
    r"(?<![\w.,])([-\u2212]?\s?(?:\d{1,3}(?:[.,'\u2019 ]\d{3})+|\d+)[.,]\d{2})(?![\d])"
)
_CURRENCIES = {"€": "EUR", "EUR": "EUR", "$": "USD", "USD": "USD", "US$": "USD",
               "£": "GBP", "GBP": "GBP", "CHF": "CHF", "SFR": "CHF"}  # fmt: skip
_CURRENCY = re.compile(r"US\$|€|\$|£|\b(?:EUR|USD|GBP|CHF|SFR)\b")
# Labels of the amount to pay, strongest first.  Lower tiers are only used without higher.
_TOTAL_TIERS = (
    re.compile(
        r"amount\s+due|balance\s+due|total\s+due|amount\s+payable|zu\s+zahlen(?:der\s+betrag)?|"
        r"zahlbetrag|net\s+à\s+payer|te\s+betalen|importe\s+a\s+pagar",
        re.IGNORECASE,
    ),
    re.compile(
        r"grand\s+total|gesamtbetrag|rechnungsbetrag|endbetrag|bruttobetrag|total\s+ttc|"
        r"montant\s+ttc|importe\s+total|totale\s+documento|totaalbedrag|invoice\s+total|"
        r"total\s+(?:amount|incl|inkl)|gesamtsumme|summe\s+brutto",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\w-])(total|totale|totaal|gesamt|summe|betrag)(?!\w)", re.IGNORECASE),
)
_NOT_TOTAL = re.compile(
    r"sub\s*-?\s*total|zwischensumme|sous[-\s]total|total\s+(net|ht|vat|tax|mwst|ust)\b|"
    r"net\s+total|(vat|tax|mwst|ust)\s+total|nettobetrag|netto\b",
    re.IGNORECASE,
)

_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30})\b")
_IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27,
    "GB": 22, "IE": 22, "IT": 27, "LI": 21, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "SE": 24,
}  # fmt: skip


def extract_fields(text: str, doc_type: str) -> dict[str, Any]:
    """The fields found in ``text`` that make sense for ``doc_type``; absent ones are left out."""
    finders: dict[str, Callable[[str], dict[str, Any] | None]] = {
        "issue_date": find_issue_date,
        "iban": find_iban,
    }
    if doc_type in COMMERCIAL_TYPES:
        finders["invoice_number"] = find_invoice_number
    fields = {name: found for name, find in finders.items() if (found := find(text))}
    if doc_type in COMMERCIAL_TYPES and (total := find_total(text)):
        fields["total_amount"], currency = total
        if currency:
            fields["currency"] = currency
    return fields


def _field(value: Any, snippet: str) -> dict[str, Any]:
    return {"value": value, "source": "text", "text": " ".join(snippet.split())[:SNIPPET_CHARS]}


def _line_at(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return text[line_start : line_end if line_end >= 0 else len(text)]


# -- invoice number ---------------------------------------------------------------------


def find_invoice_number(text: str) -> dict[str, Any] | None:
    """The value after an "Invoice No."/"Rechnungsnummer"-like label; must contain a digit."""
    for match in _INVOICE_NUMBER.finditer(text):
        value = match.group(1)
        if any(ch.isdigit() for ch in value):
            return _field(value, _line_at(text, match.start(), match.end()))
    return None


# -- dates ------------------------------------------------------------------------------


def find_issue_date(text: str) -> dict[str, Any] | None:
    """The labelled document date if there is one, else the first date in the text (ISO)."""
    prefer_day_first = _day_first(text)
    for label in _DATE_LABEL.finditer(text):
        window = text[label.end() : label.end() + 40]
        found = _first_date(window, prefer_day_first)
        if found:
            return _field(found[0], _line_at(text, label.start(), label.end() + found[1]))
    found = _first_date(text, prefer_day_first)
    if found:
        return _field(found[0], _line_at(text, found[1], found[1]))
    return None


def _day_first(text: str) -> bool | None:
    """For a/b/yyyy dates: True day-first, False month-first, None when the text is unclear."""
    us, eu = bool(_US_HINTS.search(text)), bool(_EU_HINTS.search(text))
    return None if us == eu else eu


def _first_date(text: str, prefer_day_first: bool | None) -> tuple[str, int] | None:
    """The earliest valid date in ``text`` as (ISO string, position)."""
    candidates: list[tuple[int, str]] = []
    for regex, parse in _DATE_PARSERS:
        for match in regex.finditer(text):
            iso = parse(match, prefer_day_first)
            if iso:
                candidates.append((match.start(), iso))
                break
    if not candidates:
        return None
    pos, iso = min(candidates)
    return iso, pos


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _parse_iso(m: re.Match[str], _day_first: bool | None) -> str | None:
    return _iso(int(m[1]), int(m[2]), int(m[3]))


def _parse_dot(m: re.Match[str], _day_first: bool | None) -> str | None:
    return _iso(int(m[3]), int(m[2]), int(m[1]))


def _parse_slash(m: re.Match[str], day_first: bool | None) -> str | None:
    a, b, year = int(m[1]), int(m[2]), int(m[3])
    if a > 12 >= b:
        return _iso(year, b, a)
    if b > 12 >= a:
        return _iso(year, a, b)
    if a == b:
        return _iso(year, a, b)
    if day_first is None:  # 03/04/2026 in a text of unclear origin: refuse to guess
        return None
    return _iso(year, b, a) if day_first else _iso(year, a, b)


def _month(word: str) -> int | None:
    w = word.lower().rstrip(".")
    return _MONTHS.get(w) or _MONTH_ABBR.get(w)


def _parse_day_month(m: re.Match[str], _day_first: bool | None) -> str | None:
    month = _month(m[2])
    return _iso(int(m[3]), month, int(m[1])) if month else None


def _parse_month_day(m: re.Match[str], _day_first: bool | None) -> str | None:
    month = _month(m[1])
    return _iso(int(m[3]), month, int(m[2])) if month else None


_DATE_PARSERS: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str], bool | None], str | None]], ...
] = (
    (_ISO_DATE, _parse_iso),
    (_DOT_DATE, _parse_dot),
    (_SLASH_DATE, _parse_slash),
    (_DAY_MONTH_DATE, _parse_day_month),
    (_MONTH_DAY_DATE, _parse_month_day),
)


# -- amounts ----------------------------------------------------------------------------


def parse_amount(raw: str) -> str | None:
    """A decimal string from "1.234,56", "1,234.56", "1 234,56", "-12.00"; None if not one."""
    compact = raw.replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    match = re.fullmatch(r"(-?)([\d.,'\u2019]*?)[.,](\d{2})", compact)
    if not match:
        return None
    integer = re.sub(r"\D", "", match[2]) or "0"
    return f"{match[1]}{int(integer)}.{match[3]}"


def find_total(text: str) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The payable total (and its currency) from the best-labelled line."""
    lines = text.splitlines()
    for tier in _TOTAL_TIERS:
        best: tuple[str, str] | None = None
        for i, line in enumerate(lines):
            if not tier.search(line) or _NOT_TOTAL.search(line):
                continue
            amount_line = line if _AMOUNT.search(line) else _next_line(lines, i)
            amounts = _AMOUNT.findall(amount_line)
            if amounts:
                best = (amounts[-1], amount_line)  # the last one: totals follow subtotals
        if best:
            value = parse_amount(best[0])
            if value is not None:
                return _field(value, best[1]), _currency(best[1], text)
    return None


def _next_line(lines: list[str], i: int) -> str:
    # A label alone on its line ("Total" with the amount below, as table extraction gives).
    if len(lines[i].strip()) > 40 or i + 1 >= len(lines):
        return ""
    return lines[i + 1]


def _currency(line: str, text: str) -> dict[str, Any] | None:
    on_line = _CURRENCY.findall(line)
    if on_line:
        return _field(_CURRENCIES[on_line[-1].upper()], line)
    counts = Counter(_CURRENCIES[c.upper()] for c in _CURRENCY.findall(text))
    if not counts:
        return None
    code = counts.most_common(1)[0][0]
    return {"value": code, "source": "text", "text": f"most frequent currency: {code}"}


# -- IBAN -------------------------------------------------------------------------------


def iban_valid(iban: str) -> bool:
    """ISO 13616 check: known country length (when known) and mod-97 == 1."""
    iban = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def find_iban(text: str) -> dict[str, Any] | None:
    """The first IBAN that passes the checksum, without spaces."""
    for match in _IBAN.finditer(text):
        compact = match.group(1).replace(" ", "")
        # The regex may run into the next word ("... 0130 00 BIC"): try shorter prefixes.
        for length in range(min(len(compact), 34), 14, -1):
            if iban_valid(compact[:length]):
                return _field(compact[:length], _line_at(text, match.start(), match.end()))
    return None
