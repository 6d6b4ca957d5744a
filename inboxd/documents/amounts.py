"""Money in text: amounts as decimal strings, currencies as ISO 4217 codes, IBANs checked.

Amounts come out as strings ("1234.56"): floats would turn 0.1 + 0.2 into
0.30000000000000004 in the result JSON.  Both decimal conventions are read: the separator
followed by exactly two digits at the end is the decimal one, every other ``.``, ``,``,
apostrophe or space groups thousands ("1.234,56", "1,234.56", "1 234,56", "1'234.56").
"""

from __future__ import annotations

import re
from collections import Counter

# A number with two decimals, or a whole number when a currency sign or code stands right
# next to it ("Rs 1939", "1939 EUR"); the lookarounds keep it from starting or ending
# inside a longer number, word or date.
_NUMBER = r"(?:\d{1,3}(?:[.,'\u2019\u00a0 ]\d{3})+|\d+)"
AMOUNT = re.compile(rf"(?<![\w.,/-])([-\u2212]?\s?{_NUMBER}[.,]\d{{2}})(?![\d]|[.,]\d|\s?%)")

CURRENCY_SIGNS = {
    "€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "Rs": "INR",
    "Rs.": "INR", "SFr.": "CHF", "zł": "PLN", "Kč": "CZK", "R$": "BRL", "A$": "AUD",
    "C$": "CAD", "S$": "SGD",
}  # fmt: skip
ISO_CODES = frozenset((
    "EUR", "USD", "GBP", "CHF", "JPY", "CNY", "INR", "AUD", "CAD", "NZD", "SGD", "HKD", "SEK",
    "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "TRY", "ZAR", "BRL", "MXN", "ILS", "AED",
    "SAR", "RUB", "UAH", "KRW", "THB", "MYR", "IDR", "PHP",
))  # fmt: skip
_CURRENCY_WORDS = {"euro": "EUR", "euros": "EUR", "us dollars": "USD", "dollars": "USD"}
_SIGN_ALT = "|".join(re.escape(s) for s in sorted(CURRENCY_SIGNS, key=len, reverse=True))
_CODE_ALT = "|".join(sorted(ISO_CODES))
# Case-sensitive on purpose: "try", "php" and "rs" are words; "TRY", "PHP" and "Rs" money.
CURRENCY = re.compile(
    rf"(?<![A-Za-z])(?:{_SIGN_ALT})(?![A-Za-z])|\b(?:{_CODE_ALT})\b"
    rf"|\b(?i:{'|'.join(_CURRENCY_WORDS)})\b"
)
# A whole amount with a currency right before or after it: "Rs 1939", "1939 EUR", "$5".
WHOLE_WITH_CURRENCY = re.compile(
    rf"(?:(?<![A-Za-z])(?:{_SIGN_ALT}|{_CODE_ALT})\s?"
    rf"(?P<a>[-\u2212]?{_NUMBER})(?![\d.,]\d)"
    rf"|(?<![\w.,])(?P<b>[-\u2212]?{_NUMBER})(?![\d]|[.,]\d)\s?"
    rf"(?:€|{_CODE_ALT})(?![A-Za-z]))"
)

_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30})\b")
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15,
    "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24,
}  # fmt: skip


def parse_amount(raw: str) -> str | None:
    """A decimal string from "1.234,56", "1,234.56", "1 234,56", "-12.00", "1939"."""
    compact = re.sub(r"[\s\u00a0]", "", raw.replace("\u2212", "-"))
    match = re.fullmatch(r"(-?)([\d.,'\u2019]*?)(?:[.,](\d{2}))?", compact)
    if not match or not (match[2] or match[3]):
        return None
    integer = re.sub(r"\D", "", match[2]) or "0"
    return f"{match[1]}{int(integer)}.{match[3] or '00'}"


def amounts_in(line: str) -> list[tuple[int, int, str]]:
    """(start, end, decimal string) of every amount on ``line``, in order."""
    found: dict[int, tuple[int, str]] = {}
    for m in AMOUNT.finditer(line):
        if (value := parse_amount(m[1])) is not None:
            found[m.start(1)] = (m.end(1), value)
    for m in WHOLE_WITH_CURRENCY.finditer(line):
        group = "a" if m["a"] is not None else "b"
        start = m.start(group)
        if any(start <= pos < end or pos <= start < end for pos, (end, _) in found.items()):
            continue
        if (value := parse_amount(m[group])) is not None:
            found[start] = (m.end(group), value)
    return [(start, end, value) for start, (end, value) in sorted(found.items())]


def currency_code(token: str) -> str | None:
    """ISO code of a sign, code or word found by ``CURRENCY``."""
    if token in CURRENCY_SIGNS:
        return CURRENCY_SIGNS[token]
    lower = token.lower()
    for sign, code in CURRENCY_SIGNS.items():
        if sign.lower() == lower and len(sign) > 1:
            return code
    if token.upper() in ISO_CODES:
        return token.upper()
    return _CURRENCY_WORDS.get(lower)


def currencies_in(text: str) -> list[str]:
    """ISO codes of every currency mention in ``text``, in order."""
    codes = (currency_code(m.group(0)) for m in CURRENCY.finditer(text))
    return [code for code in codes if code]


def main_currency(text: str) -> str | None:
    """The most frequent currency of ``text`` (the first one mentioned breaks ties)."""
    codes = currencies_in(text)
    if not codes:
        return None
    counts = Counter(codes)
    best = max(counts.values())
    return next(code for code in codes if counts[code] == best)


def iban_valid(iban: str) -> bool:
    """ISO 13616 check: known country length (when known) and mod-97 == 1."""
    iban = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def ibans_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, IBAN without spaces) of every checksum-valid IBAN in ``text``."""
    found = []
    for match in _IBAN.finditer(text):
        compact = match.group(1).replace(" ", "")
        # The regex may run into the next word ("... 0130 00 BIC"): try shorter prefixes.
        for length in range(min(len(compact), 34), 14, -1):
            if iban_valid(compact[:length]):
                found.append((match.start(), match.end(), compact[:length]))
                break
    return found


def mask(number: str, keep: int = 4) -> str:
    """All but the last ``keep`` characters of an account number replaced by ``*``."""
    compact = re.sub(r"[\s-]", "", number)
    return "*" * max(len(compact) - keep, 0) + compact[-keep:]
