"""Who sent a document, their VAT id, and account numbers (masked): best effort from text.

The sender is rarely labelled.  What marks it, in order of trust:

1. a label: "From:", "Seller:", "Sold by:", "Lieferant:", "Fournisseur:";
2. the return-address line of a window envelope letter (DIN 5008 and its neighbours):
   ``Muster GmbH - Bahnhofstr. 5 - 10115 Berlin``, at least two separators and a digit;
3. a company name with a legal form (GmbH, AG, B.V., Ltd, Inc., SAS, S.L., S.p.A., ...)
   that is not in the recipient block; the most frequent wins, because the sender's name
   recurs in letterhead, footer and bank details while the recipient's rarely does.

No guess is made when none of these is present: a wrong sender is worse than none.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from inboxd.documents.amounts import ibans_in, mask
from inboxd.documents.labels import find_labelled, line_bounds, snippet

MAX_NAME_CHARS = 60
RECIPIENT_LINES = 4  # lines under "Bill to" that belong to the recipient
_I = re.IGNORECASE
_NL = r"(?-i:(?<![a-zß-ÿ]))"  # as in fields: after a digit or capital, not lowercase

_LEGAL_FORM = (
    r"GmbH\s*&\s*Co\.?\s*KG|GmbH|gGmbH|AG|KGaA|KG|OHG|UG|e\.\s?K\.|e\.\s?V\.|SE|"
    r"B\.\s?V\.?|BV|N\.\s?V\.?|NV|V\.O\.F\.|Ltd\.?|Limited|LLP|LLC|L\.L\.C\.|Inc\.?|Corp\.?|"
    r"Corporation|PLC|plc|Co\.|S\.A\.S\.?|SAS|SARL|S\.à\s?r\.l\.|EURL|S\.A\.|SA|S\.L\.|SL|"
    r"S\.L\.U\.|S\.p\.A\.|SpA|S\.r\.l\.|Srl|Pvt\.?\s?Ltd\.?|Private\s+Limited|Pty\.?\s?Ltd\.?"
)
# Up to five capitalised words (or "&", digits) before the legal form: "Amazon Web
# Services, Inc.", "Bei Spiel GmbH", "e-Luscious Nederland B.V." is missed by design.
_WORD = r"[A-Z\u00c4\u00d6\u00dc\u00c9\u00c80-9][\w&'\u2019.\-]*"
_COMPANY = re.compile(
    rf"(?<![\w&])((?:{_WORD}[ \t]+|&[ \t]+){{0,4}}{_WORD},?[ \t]+(?:{_LEGAL_FORM}))(?![\w])"
)
_SENDER_LABEL = re.compile(
    _NL + r"(?<!-)(?:from|seller|sold\s+by|vendor|supplier|issued\s+by|verk[äa]ufer|lieferant|"
    r"rechnungssteller|absender|fournisseur|vendeur|[ée]metteur|proveedor|emisor|"
    r"fornitore|venditore|leverancier|verkoper)\s*:",
    _I,
)
_RECIPIENT_LABEL = re.compile(
    _NL + r"(?:bill(?:ed)?\s+to|ship(?:ped)?\s+to|sold\s+to|invoice\s+to|customer|"
    r"rechnungsadresse|lieferadresse|rechnungsempf[äa]nger|kunde|empf[äa]nger|"
    r"adresse\s+de\s+(?:facturation|livraison)|factur[ée]\s+[àa]|client|cliente|"
    r"facturar\s+a|destinatario|factuuradres|afleveradres|klant)(?!\w)",
    _I,
)
_RETURN_ADDRESS = re.compile(
    r"^[ \t]*([^\n]{2,60}?)[ \t]+[-\u2013·•●|][ \t]+[^\n]*[-\u2013·•●|][^\n]*$", re.M
)

_VAT_ID_LABEL = re.compile(
    _NL + r"(?<!your )(?<!uw )(?<!ihre )(?:vat\s*(?:reg(?:istration)?\.?\s*)?(?:no|number|id)|"
    r"ust\.?\s*-?\s*id(?:nr)?\.?|ust-?idnr\.?|umsatzsteuer-?id(?:entifikationsnummer)?|"
    r"n°\s*(?:de\s+)?tva(?:\s+intra(?:communautaire)?)?|tva\s+intra(?:communautaire)?|"
    r"btw[\s-]*(?:nummer|nr|id)|partita\s+iva|p\.\s?iva|nif|cif|vat)\b\.?",
    _I,
)
# EU VAT ids (and the UK's): country prefix and the national format, spaces allowed.
_VAT_ID = re.compile(
    r"\b(ATU\d{8}|BE\s?0?\d{3}\.?\d{3}\.?\d{3}|DE\s?\d{3}\s?\d{3}\s?\d{3}|"
    r"FR\s?[0-9A-Z]{2}\s?\d{3}\s?\d{3}\s?\d{3}|NL\s?\d{9}\s?B\s?\d{2}|"
    r"IT\s?\d{11}|ES\s?[0-9A-Z]\d{7}[0-9A-Z]|GB\s?\d{3}\s?\d{4}\s?\d{2}|"
    r"(?:DK|FI|LU|HU|SI|MT)\d{8}|(?:PL|SK)\d{10}|SE\d{12}|PT\d{9}|IE\d{7}[A-Z]{1,2}|"
    r"CHE[-\s]?\d{3}\.?\d{3}\.?\d{3})"
)
_ACCOUNT_LABEL = re.compile(
    _NL + r"(?:account\s*(?:number|no\.?|#)|acct\.?\s*(?:no\.?|#)|konto(?:nummer|-?nr\.?)|"
    r"kto\.?-?\s*nr\.?|num[ée]ro\s+de\s+compte|n[úu]mero\s+de\s+cuenta|numero\s+(?:di\s+)?conto|"
    r"rekeningnummer|card\s+(?:number|no\.?))\s*:?",
    _I,
)
_ACCOUNT_VALUE = re.compile(r"(?:[*xX•]{2,}[\s-]?)?\d[\d \-]{3,24}\d")


def _field(value: Any, text: str) -> dict[str, Any]:
    return {"value": value, "source": "text", "text": snippet(text)}


def _name(piece: str) -> tuple[object, int, int] | None:
    """A name-like value: letters, at most a few words, cut at a comma or a digit run."""
    m = re.match(r"\s*([^\W\d_][^\n,;:]{1,58}[^\W_])", piece)
    if not m or piece[m.end() : m.end() + 1] == ":":
        return None  # "Seller: Number: 549910": the next label, not a name
    return m.group(1).strip(), m.start(1), m.end(1)


def find_sender(text: str) -> dict[str, Any] | None:
    """The sender's name, by the evidence listed in the module docstring."""
    labelled = find_labelled(text, _SENDER_LABEL, _name, _name_before)
    if labelled:
        return _field(labelled.value, labelled.snippet)
    head = text[:1500]
    for m in _RETURN_ADDRESS.finditer(head):
        name = m.group(1).strip(" ,")
        if re.search(r"\d", m.group(0)) and not re.search(r"\d", name) and len(name.split()) <= 6:
            return _field(name, m.group(0))
    return _most_frequent_company(text)


def _name_before(piece: str) -> tuple[object, int, int] | None:
    """The name that ends a piece of text ("WS Retail Services Pvt. Ltd., Sold By :")."""
    m = re.search(r"([^\W\d_][^\n;:]{1,58}?)[\s,]*$", piece)
    return (m.group(1).strip(" ,"), m.start(1), len(piece)) if m else None


def _most_frequent_company(text: str) -> dict[str, Any] | None:
    excluded = _recipient_spans(text)
    names: Counter[str] = Counter()
    first: dict[str, tuple[int, str]] = {}
    for m in _COMPANY.finditer(text):
        if any(start <= m.start() < end for start, end in excluded):
            continue
        name = " ".join(m.group(1).split()).strip(" ,")
        if len(name) > MAX_NAME_CHARS:
            continue
        key = re.sub(r"[\W_]+", "", name).casefold()
        names[key] += 1
        if key not in first:
            line_start, line_end = line_bounds(text, m.start())
            first[key] = (m.start(), name)
    if not names:
        return None
    best = max(names, key=lambda k: (names[k], -first[k][0]))
    pos, name = first[best]
    line_start, line_end = line_bounds(text, pos)
    return _field(name, text[line_start:line_end])


def _recipient_spans(text: str) -> list[tuple[int, int]]:
    """Text under "Bill to"/"Rechnungsadresse"-like labels: the recipient, not the sender.

    The block is the label's line and up to ``RECIPIENT_LINES`` more, ending early at a
    blank line (where an address block ends).
    """
    spans = []
    for m in _RECIPIENT_LABEL.finditer(text):
        end = line_bounds(text, m.start())[1]
        for _ in range(RECIPIENT_LINES):
            nxt = text.find("\n", end + 1)
            nxt = nxt if nxt >= 0 else len(text)
            if not text[end + 1 : nxt].strip():
                break
            end = nxt
        spans.append((line_bounds(text, m.start())[0], end))
    return spans


def find_vat_id(text: str) -> dict[str, Any] | None:
    """A VAT id beside its label, else the first one in a known national format."""

    def value(piece: str) -> tuple[object, int, int] | None:
        m = _VAT_ID.search(piece)
        return (re.sub(r"[\s.]", "", m.group(1)), m.start(), m.end()) if m else None

    found = find_labelled(text, _VAT_ID_LABEL, value, gap=4)
    if found:
        return _field(found.value, found.snippet)
    m = _VAT_ID.search(text)
    if m:
        start, end = line_bounds(text, m.start())
        return _field(re.sub(r"[\s.]", "", m.group(1)), text[start:end])
    return None


def find_account_number(text: str) -> dict[str, Any] | None:
    """The account (or card) number, masked to its last four characters."""

    def value(piece: str) -> tuple[object, int, int] | None:
        m = _ACCOUNT_VALUE.search(piece)
        return (mask(m.group(0)), m.start(), m.end()) if m else None

    found = find_labelled(text, _ACCOUNT_LABEL, value, gap=4)
    if found:
        return {"value": found.value, "source": "text", "text": _masked_snippet(found.snippet)}
    for start, _end, iban in ibans_in(text):
        line_start, line_end = line_bounds(text, start)
        line = text[line_start:line_end]
        return {"value": mask(iban), "source": "text", "text": _masked_snippet(line)}
    return None


def _masked_snippet(line: str) -> str:
    """The snippet with every run of 5+ digits masked: it must not leak the number."""
    return snippet(re.sub(r"\d[\d \-]{3,}(\d{4})", lambda m: "****" + m.group(1), line))
