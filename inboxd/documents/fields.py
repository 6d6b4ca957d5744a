"""Key fields of a document from its text: numbers, dates, amounts, bank and party data.

Every field is ``{"value": ..., "source": "text", "text": "<snippet>"}`` so a reviewer can
see where a value came from.  Which fields are looked for depends on the type: a payable
total means nothing in a letter, and a bank statement's IBAN is the reader's own account,
so it is only given masked (``account_number``).

Labels are listed for English, German, French, Spanish, Italian and Dutch.  Values are
found beside their labels in the three shapes PDF extraction produces (see ``labels``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from inboxd.documents import parties
from inboxd.documents.amounts import (
    amounts_in,
    currencies_in,
    iban_valid,
    ibans_in,
    main_currency,
    parse_amount,
)
from inboxd.documents.dates import find_dates
from inboxd.documents.labels import Labelled, find_labelled, line_bounds, snippet

__all__ = ["extract_fields", "iban_valid", "parse_amount"]

# Types for which a document number and a payable total are meaningful.
COMMERCIAL_TYPES = frozenset(
    {"invoice", "credit_note", "receipt", "reminder", "order_confirmation", "unknown"}
)
STATEMENT_TYPES = frozenset({"bank_statement", "credit_card_statement"})
PERSONAL_ACCOUNT_TYPES = STATEMENT_TYPES | {"payslip", "tax_document"}
MAX_NUMBER_CHARS = 40
TABLE_ROW_AMOUNTS = 3

_I = re.IGNORECASE

# -- labels -------------------------------------------------------------------------------

# Labels may follow a value with no space between ("993548900Factuurnummer:",
# "29.99 € TTCSomme à payer" from right-aligned layouts), so they may follow a digit or a
# capital, but not a lowercase letter ("Nettobetrag" holds no "betrag" label).
_NL = r"(?-i:(?<![a-zß-ÿ]))"
_NUMBER_LABEL = re.compile(
    _NL + r"(?:"
    r"(?:invoice|inv|rechnung|rechnungs|facture|factura|fattura|factuur|credit\s*note|"
    r"gutschrift|gutschrifts|avoir|beleg|receipt|bon|bill|nota\s+de\s+cr[ée]dito)"
    r"\s*-?\s*(?:(?:number|num|no|nr|nummer|n[úu]mero|numero|id)\b\.?|n[°º]|#|"
    r"n\.(?=\s*:?\s*\w*\d))|"
    r"(?:rechnungs|gutschrifts|beleg|factuur)nummer|"
    r"(?:num[ée]ro|n[úu]mero|numero)\s+(?:de\s+(?:la\s+)?)?(?:facture|factura|fattura)|"
    r"(?:facture|factura|fattura|rechnung|invoice)\s*(?=#)|"
    r"(?:facture|factura|fattura)\s+n(?=[°º])|"
    # A title word opening a line, then the number: "Rechnung RE1001", "Invoice 103767",
    # "Avoir AV-2017-0005", "Handelsrechnung (380) Nr. 471102 vom 15.11.2024".
    r"(?m:^[ \t]*)(?:\w*rechnung|invoice|facture|avoir|factura|fattura|factuur|"
    r"credit\s+note|gutschrift)(?:[ \t]*\(\d{3}\))?(?:[ \t]+(?:nr|no|n°)\.?)?(?=[ \t]+\w*\d)"
    r")",
    _I,
)
_TITLE = re.compile(
    r"^\s*(?:tax\s+)?(?:invoice|rechnung|facture|factura|fattura|factuur|credit\s+note|"
    r"gutschrift)\s*[.:]?\s*$",
    _I | re.MULTILINE,
)
_NUMBER_VALUE = re.compile(r"[A-Z0-9][\w\-/.]*[A-Z0-9]|[0-9]", _I)

_ISSUE_LABELS = (
    re.compile(
        _NL + r"(?:invoice\s+date|date\s+of\s+(?:issue|invoice)|issue\s+date|date\s+issued|"
        r"rechnungsdatum|belegdatum|gutschriftsdatum|ausstellungsdatum|"
        r"date\s+de\s+(?:la\s+)?facture|date\s+d['\u2019]émission|date\s+de\s+facturation|"
        r"fecha\s+de\s+(?:la\s+)?(?:factura|emisi[óo]n|expedici[óo]n)|fecha\s+factura|"
        r"data\s+(?:della\s+)?(?:fattura|emissione|documento)|factuur\s*datum|"
        r"datum\s+factuur|receipt\s+date|statement\s+date)(?!\w)",
        _I,
    ),
    # "Berlin, den 2. April 2026", "Paris, le 3 mars 2026": the place-and-date line.
    re.compile(r"^[ \t]*[^\W\d][\w.\- ]{1,30},[ \t]*(?:den|le|el|il|am)?(?=[ \t]*\d)", _I | re.M),
    # "Facture n° 123 du 2 juillet 2015", "Rechnung RE-1 vom 09.05.2017": the date that
    # follows the document number.
    re.compile(
        r"(?:invoice|rechnung|facture|factura|fattura|factuur)\b[^\n]{0,40}?"
        r"(?:\bdu|\bvom|\bvon|\bdel|\bof|\bdated|\bd\.d\.|\bissued\s+(?:at|on))(?!\w)",
        _I,
    ),
    # A bare "Date"/"Datum", unless another word says which date it is (order, due...).
    re.compile(
        _NL + r"(?<!order )(?<!due )(?<!delivery )(?<!ship )(?<!shipping )(?<!payment )"
        r"(?<!print )(?<!birth )(?<!start )(?<!end )(?<!value )(?<!booking )(?<!travel )"
        r"(?:date|datum|fecha|data)(?!\w)(?!\s+(?:of|de|di|del|van)\b)",
        _I,
    ),
)
_DUE_LABEL = re.compile(
    _NL + r"(?:(?:payment\s+)?due\s+date|due\s+(?:on|by)|payment\s+due|pay\s+by|"
    r"(?:remit|pay|payable)\s+(?:until|before|by)|"
    r"f[äa]llig(?:keitsdatum|\s+am|\s+bis)?|zahlbar\s+(?:bis|sp[äa]testens)(?:\s+zum)?|"
    r"zahlungsziel|bis\s+zum|date\s+d['\u2019][ée]ch[ée]ance|[ée]ch[ée]ance|"
    r"date\s+limite\s+de\s+paiement|[àa]\s+payer\s+avant\s+le|"
    r"fecha\s+de\s+vencimiento|vencimiento|data\s+(?:di\s+)?scadenza|scadenza|"
    r"vervaldatum|uiterste\s+betaaldatum|te\s+betalen\s+voor)(?!\w)(?:\s+(?:le|am|on))?",
    _I,
)
_PERIOD_LABEL = re.compile(
    r"(?<!\w)(?:statement\s+period|billing\s+period|period|zeitraum|abrechnungszeitraum|"
    r"leistungszeitraum|auszugszeitraum|p[ée]riode|periodo|periode|from|vom|du|del|van)"
    r"(?!\w)[\s:]*",
    _I,
)
_RANGE_JOIN = re.compile(r"^\s*(?:-|\u2013|\u2014|to|bis|au|al|a|tot|t/m|through|until)\s*$", _I)

_PAYABLE = re.compile(
    _NL + r"(?:amount\s+due|balance\s+due|due\s+payable|payable\s+amount|total\s+due|"
    r"amount\s+payable|amount\s+to\s+pay|"
    r"zu\s+zahlen(?:der\s+betrag)?|zahlbetrag|restbetrag|offener\s+betrag|"
    r"net\s+[àa]\s+payer|somme\s+[àa]\s+payer|montant\s+[àa]\s+payer|reste\s+[àa]\s+payer|"
    r"total\s+[àa]\s+payer|importe\s+a\s+pagar|total\s+a\s+pagar|totale\s+da\s+pagare|"
    r"importo\s+da\s+pagare|te\s+betalen|openstaand\s+bedrag)(?!\w)",
    _I,
)
_GRAND = re.compile(
    _NL + r"(?:grand\s+total|total\s+amount|invoice\s+total|total\s+(?:incl|inkl|ttc|gross)"
    r"\w*\.?|gesamtbetrag|rechnungsbetrag|endbetrag|bruttobetrag|gesamtsumme|summe\s+brutto|"
    r"bruttosumme|rechnungssumme|montant\s+ttc|total\s+facture|importe\s+total|total\s+factura|totale\s+documento|"
    r"totale\s+fattura|totaalbedrag|factuur\s*totaal|totaal\s+incl\w*\.?)(?!\w)",
    _I,
)
_GENERIC_TOTAL = re.compile(
    _NL + r"(?<!-)(?:total|totale|totaal|gesamt|summe|betrag|montant|importe)(?![\w-])", _I
)
_NOT_TOTAL = re.compile(
    r"sub\s*-?\s*total|zwischensumme|sous[-\s]total|subtotaal|total\s+(?:net|ht|hors|excl|"
    r"exkl|vat|tax|mwst|ust|tva|iva|btw)\b|net\s+total|(?:vat|tax|mwst|ust)\s+total|"
    r"nettobetrag|netto\b|total\s+(?:qty|quantity|items|pages)|gesamt\s*(?:menge|gewicht)|"
    r"ohne\s+(?:ust|mwst|steuer)|excl(?:\.|uding)?\s+(?:vat|tax)|hors\s+tax|"
    r"zuschl[äa]g|abschl[äa]g|rabatt|discount|skonto|remise|descuento|sconto|korting",
    _I,
)
_VAT_LINE = re.compile(
    r"(?<![\w-])(?:vat|tax|mwst|ust|umsatzsteuer|mehrwertsteuer|tva|iva|btw|gst)(?![\w-])", _I
)
_NOT_VAT = re.compile(
    r"excl|exkl|ohne|hors|sans|incl|inkl|inclusive|included|"
    r"\bht\b|number|nummer|n°|id\b|reg|no\.",
    _I,
)
_US_HINTS = re.compile(r"\$|\bUSD\b|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")  # dollars, "CA 94105"
_EU_HINTS = re.compile(
    r"€|\bEUR\b|\bCHF\b|£|\bGBP\b|\bRs\b|\bINR\b|\b(?:rechnung|facture|factura|fattura|factuur)\b",
    _I,
)


def extract_fields(text: str, doc_type: str) -> dict[str, Any]:
    """The fields found in ``text`` that make sense for ``doc_type``; absent ones left out."""
    day_first = day_first_hint(text)
    fields: dict[str, Any] = {}
    finders: dict[str, Callable[[str], dict[str, Any] | None]] = {
        "issue_date": lambda t: find_issue_date(t, day_first),
        "sender": parties.find_sender,
    }
    if doc_type in COMMERCIAL_TYPES:
        finders["invoice_number"] = find_invoice_number
        finders["due_date"] = lambda t: find_due_date(t, day_first)
        finders["vat_amount"] = find_vat_amount
        finders["vat_id"] = parties.find_vat_id
    if doc_type in PERSONAL_ACCOUNT_TYPES:
        finders["account_number"] = parties.find_account_number
    else:
        finders["iban"] = find_iban
    for name, find in finders.items():
        if found := find(text):
            fields[name] = found
    if doc_type in STATEMENT_TYPES and (period := find_period(text, day_first)):
        fields["period_start"], fields["period_end"] = period
    if doc_type in COMMERCIAL_TYPES:
        fields.update(find_amounts(text))
    # The text's most frequent currency says something only about a document that is about
    # money; on a tax form or a letter it is noise (a glyph read as "€" made an IRS form EUR).
    money = doc_type in COMMERCIAL_TYPES | STATEMENT_TYPES | {"payslip"}
    if money and "currency" not in fields and (code := main_currency(text)):
        fields["currency"] = field(code, f"most frequent currency: {code}")
    return fields


def field(value: Any, text: str) -> dict[str, Any]:
    return {"value": value, "source": "text", "text": snippet(text)}


def _from(found: Labelled | None) -> dict[str, Any] | None:
    return field(found.value, found.snippet) if found else None


# -- document number ----------------------------------------------------------------------


def _number_first(piece: str) -> tuple[object, int, int] | None:
    m = _NUMBER_VALUE.search(piece)
    if m and _is_number(m.group(0)):
        return m.group(0).rstrip("."), m.start(), m.end()
    return None


def _number_last(piece: str) -> tuple[object, int, int] | None:
    matches = [m for m in _NUMBER_VALUE.finditer(piece) if _is_number(m.group(0))]
    return (matches[-1].group(0), matches[-1].start(), matches[-1].end()) if matches else None


def _is_number(token: str) -> bool:
    return (
        any(ch.isdigit() for ch in token)
        and len(token) <= MAX_NUMBER_CHARS
        and not find_dates(token, True)
    )


def find_invoice_number(text: str) -> dict[str, Any] | None:
    """The value beside an "Invoice No."-like label, else the token under a bare title."""
    found = find_labelled(text, _NUMBER_LABEL, _number_first, _number_last)
    if found:
        return _from(found)
    for title in _TITLE.finditer(text, 0, 1000):
        hit = find_labelled(text[title.start() :], re.compile(re.escape(title.group(0))),
                            _whole_line_number)  # fmt: skip
        if hit and hit.where == "below":
            return _from(hit)
    return None


def _whole_line_number(piece: str) -> tuple[object, int, int] | None:
    """A line that is only one number-like token (optionally after "#")."""
    m = re.fullmatch(r"\s*#?\s*([A-Z0-9][\w\-/.]*[A-Z0-9])\s*", piece, _I)
    if m and _is_number(m[1]):
        return m[1], m.start(1), m.end(1)
    return None


# -- dates --------------------------------------------------------------------------------


def day_first_hint(text: str) -> bool | None:
    """For a/b/yyyy dates: True day-first, False month-first, None when the text is unclear."""
    us, eu = bool(_US_HINTS.search(text)), bool(_EU_HINTS.search(text))
    return None if us == eu else eu


def _date_finders(day_first: bool | None) -> tuple[Callable[[str], Any], Callable[[str], Any]]:
    def first(piece: str) -> tuple[object, int, int] | None:
        dates = find_dates(piece, day_first)
        return (dates[0].iso, dates[0].start, dates[0].end) if dates else None

    def last(piece: str) -> tuple[object, int, int] | None:
        dates = find_dates(piece, day_first)
        return (dates[-1].iso, dates[-1].start, dates[-1].end) if dates else None

    return first, last


def find_issue_date(text: str, day_first: bool | None = None) -> dict[str, Any] | None:
    """The labelled document date if there is one, else the first date in the text (ISO)."""
    if day_first is None:
        day_first = day_first_hint(text)
    first, last = _date_finders(day_first)
    for label in _ISSUE_LABELS:
        found = find_labelled(text, label, first, last, gap=4)
        if found:
            return _from(found)
    dates = find_dates(text, day_first)
    if dates:
        start, end = line_bounds(text, dates[0].start)
        return field(dates[0].iso, text[start:end])
    return None


def find_due_date(text: str, day_first: bool | None = None) -> dict[str, Any] | None:
    first, last = _date_finders(day_first)
    return _from(find_labelled(text, _DUE_LABEL, first, last, gap=30))


def find_period(
    text: str, day_first: bool | None = None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Start and end of a statement period: two dates joined by "-", "to", "bis", "au"...

    An ambiguous a/b/yyyy pair is read in the convention that makes both parts dates in
    order ("01/02/2026 - 28/02/2026" can only be day-first).
    """
    for label in _PERIOD_LABEL.finditer(text):
        window = text[label.end() : label.end() + 60].split("\n", 1)[0]
        for convention in dict.fromkeys((day_first, True, False)):
            dates = find_dates(window, convention)
            if (
                len(dates) >= 2
                and _RANGE_JOIN.match(window[dates[0].end : dates[1].start])
                and dates[0].iso <= dates[1].iso
            ):
                line = text[line_bounds(text, label.start())[0] : label.end() + dates[1].end]
                return field(dates[0].iso, line), field(dates[1].iso, line)
    return None


# -- amounts ------------------------------------------------------------------------------


def _amount_last(piece: str) -> tuple[object, int, int] | None:
    found = amounts_in(piece)
    if not found:
        return None
    start, end, value = found[-1]
    return value, start, end


def _labelled_amounts(text: str, label: re.Pattern[str]) -> list[Labelled]:
    """Every amount beside an occurrence of ``label`` (lines that are subtotals skipped)."""
    hits = []
    for match in label.finditer(text):
        line_start, line_end = line_bounds(text, match.start())
        if _NOT_TOTAL.search(text[line_start:line_end]):
            continue
        hit = find_labelled(text[line_start:], _exact(match), _amount_last, gap=60, slack=8)
        if hit is not None:
            hits.append(hit)
    return hits


def _exact(match: re.Match[str]) -> re.Pattern[str]:
    return re.compile(re.escape(match.group(0)))


def _is_table_row(hit: Labelled) -> bool:
    """A total label followed by three or more amounts: a net/tax/gross breakdown row."""
    return len(amounts_in(hit.snippet)) >= TABLE_ROW_AMOUNTS


def _best_total(grand: list[Labelled], generic: list[Labelled]) -> Labelled | None:
    """The largest plain total line, strongest label first; breakdown rows only as a last
    resort.  The grand total is never smaller than a partial one ("Summe" of savings,
    a carried-over page total), which is why size decides within a tier."""
    for hits in (grand, generic):
        plain = [h for h in hits if not _is_table_row(h)]
        if plain:
            return max(plain, key=lambda h: abs(Decimal(str(h.value))))
    rows = grand or generic
    return rows[-1] if rows else None


def find_amounts(text: str) -> dict[str, Any]:
    """``total_amount`` (what the document is for), ``amount_due`` when it differs, currency."""
    payables = _labelled_amounts(text, _PAYABLE)
    payable = payables[-1] if payables else None
    total = _best_total(_labelled_amounts(text, _GRAND), _labelled_amounts(text, _GENERIC_TOTAL))
    total = total or payable
    out: dict[str, Any] = {}
    if total is None:
        return out
    out["total_amount"] = field(total.value, total.snippet)
    if payable is not None and payable.value != total.value:
        out["amount_due"] = field(payable.value, payable.snippet)
    on_line = currencies_in(total.snippet)
    if on_line:
        out["currency"] = field(on_line[-1], total.snippet)
    return out


def find_total(text: str) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The total and its currency (the currency of the text when the line has none)."""
    found = find_amounts(text)
    if "total_amount" not in found:
        return None
    currency = found.get("currency")
    if currency is None and (code := main_currency(text)):
        currency = field(code, f"most frequent currency: {code}")
    return found["total_amount"], currency


def find_vat_amount(text: str) -> dict[str, Any] | None:
    """The VAT/tax amount: the last tax line with an amount that is not a net or id line."""
    best: dict[str, Any] | None = None
    for match in _VAT_LINE.finditer(text):
        start, end = line_bounds(text, match.start())
        line = text[start:end]
        if _NOT_VAT.search(line):
            continue
        found = amounts_in(text[match.end() : end])
        if found:
            best = field(found[-1][2], line)
    return best


# -- IBAN ---------------------------------------------------------------------------------


def find_iban(text: str) -> dict[str, Any] | None:
    """The first IBAN that passes the checksum, without spaces."""
    for start, end, iban in ibans_in(text):
        line_start, line_end = line_bounds(text, start)
        return field(iban, text[line_start : max(line_end, end)])
    return None
