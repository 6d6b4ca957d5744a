"""E-invoices: type and fields read exactly from Factur-X / ZUGFeRD / XRechnung / UBL XML.

The XML is the legally binding part of such an invoice, so when it is present its values
win over anything read from the visible pages; each field says ``source: "xml"``.

Syntaxes recognised by their root element (namespaces vary by version, local names do not):

* CII ``CrossIndustryInvoice`` (Factur-X, ZUGFeRD 2.x, XRechnung CII);
* ZUGFeRD 1.0 ``CrossIndustryDocument``;
* UBL 2.x ``Invoice`` and ``CreditNote`` (XRechnung UBL, Peppol).

Anything else (an Order-X purchase order, logistics side data, a validation report) is not
an invoice and yields ``None``: an XML attachment alone proves nothing.

Parsing is defensive: ``defusedxml`` with DTDs forbidden refuses external entities (XXE) and
entity-expansion bombs before any expansion happens, and the input size is capped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only for the Element type; parsing goes through defusedxml
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# defusedxml ships no type hints (types-defusedxml would be a second dependency for two names)
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

MAX_XML_BYTES = 8 * 1024 * 1024  # 8 MiB: real e-invoices are tens of KiB
SNIPPET_CHARS = 80

# UNTDID 1001 document type codes that mean "money goes back to the buyer".
CREDIT_NOTE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "532"})
_CII_ROOTS = frozenset({"CrossIndustryInvoice", "CrossIndustryDocument"})
_UBL_ROOTS = frozenset({"Invoice", "CreditNote"})
_SYNTAX = {
    "CrossIndustryInvoice": "CII",
    "CrossIndustryDocument": "ZUGFeRD1",
    "Invoice": "UBL",
    "CreditNote": "UBL",
}


class UnsafeXml(ValueError):
    """The XML declares a DTD or entities; it is refused without being expanded."""


@dataclass(frozen=True)
class EInvoice:
    doc_type: str  # "invoice" or "credit_note"
    syntax: str  # "CII", "ZUGFeRD1", "UBL"
    type_code: str | None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def signals(self) -> list[str]:
        return [f"einvoice:{self.syntax}", f"type_code:{self.type_code or 'none'}"]


def parse_einvoice(data: bytes) -> EInvoice | None:
    """The invoice in ``data``, None if it is XML of another kind or not XML at all.

    Raises ``UnsafeXml`` for a DTD or entity declaration (XXE, billion laughs).
    """
    if len(data) > MAX_XML_BYTES:
        return None
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeXml(f"unsafe XML refused: {type(exc).__name__}") from exc
    except (ET.ParseError, ValueError):
        return None
    name = _local(root.tag)
    if name in _CII_ROOTS:
        return _cii(root, _SYNTAX[name])
    if name in _UBL_ROOTS:
        return _ubl(root, name)
    return None


# -- element helpers: namespace-agnostic, by local names --------------------------------


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if _local(child.tag) == name)


def _descendants(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (node for node in element.iter() if _local(node.tag) == name)


def _path(element: ET.Element, path: str) -> list[ET.Element]:
    """Elements at ``a/b/c``: ``a`` anywhere below ``element``, then direct children."""
    first, *rest = path.split("/")
    nodes = list(_descendants(element, first))
    for step in rest:
        nodes = [child for node in nodes for child in _children(node, step)]
    return nodes


def _text(element: ET.Element, path: str) -> str | None:
    for node in _path(element, path):
        value = (node.text or "").strip()
        if value:
            return value
    return None


def _field(value: Any, path: str, raw: str) -> dict[str, Any]:
    snippet = f"{path.rsplit('/', 1)[-1]}: {raw}"
    return {"value": value, "source": "xml", "text": " ".join(snippet.split())[:SNIPPET_CHARS]}


def _put(fields: dict[str, dict[str, Any]], name: str, root: ET.Element, paths: str) -> None:
    """The first of ``paths`` (``|``-separated) that has text becomes field ``name``."""
    for path in paths.split("|"):
        raw = _text(root, path)
        if raw is None:
            continue
        value = _convert(name, raw)
        if value is not None:
            fields[name] = _field(value, path, raw)
            return


def _convert(name: str, raw: str) -> str | None:
    if name.endswith("_date") or name in ("period_start", "period_end"):
        return xml_date(raw)
    if name.endswith("_amount") or name == "amount_due":
        return xml_amount(raw)
    if name == "iban":
        return raw.replace(" ", "").upper()
    return raw


def xml_date(raw: str) -> str | None:
    """ISO date from CII ``format="102"`` (20240131), ``203`` (202401311200) or ISO text."""
    digits = raw.strip()
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})(\d{4})?", digits):
        return f"{m[1]}-{m[2]}-{m[3]}"
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?", digits):
        return f"{m[1]}-{m[2]}-{m[3]}"
    return None


def xml_amount(raw: str) -> str | None:
    """The XML decimal as a canonical string with at least two decimals ("571.04")."""
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if value == value.quantize(Decimal("0.01")):
        value = value.quantize(Decimal("0.01"))
    return str(value)


def _kind(type_code: str | None, root_name: str) -> str:
    if root_name == "CreditNote" or (type_code in CREDIT_NOTE_CODES):
        return "credit_note"
    return "invoice"


# -- CII (Factur-X, ZUGFeRD 2, XRechnung CII) and ZUGFeRD 1 -----------------------------

_CII_FIELDS = (
    ("invoice_number", "ExchangedDocument/ID|HeaderExchangedDocument/ID"),
    (
        "issue_date",
        "ExchangedDocument/IssueDateTime/DateTimeString|"
        "HeaderExchangedDocument/IssueDateTime/DateTimeString",
    ),
    ("due_date", "SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString"),
    ("currency", "InvoiceCurrencyCode"),
    ("sender", "SellerTradeParty/Name"),
    (
        "iban",
        "PayeePartyCreditorFinancialAccount/IBANID|PayerPartyDebtorFinancialAccount/IBANID",
    ),
    ("period_start", "BillingSpecifiedPeriod/StartDateTime/DateTimeString"),
    ("period_end", "BillingSpecifiedPeriod/EndDateTime/DateTimeString"),
)
_CII_SUMMATION = (
    "SpecifiedTradeSettlementHeaderMonetarySummation",  # CII D16B (ZUGFeRD 2, Factur-X)
    "SpecifiedTradeSettlementMonetarySummation",  # ZUGFeRD 1
)


def _cii(root: ET.Element, syntax: str) -> EInvoice:
    type_code = _text(root, "ExchangedDocument/TypeCode") or _text(
        root, "HeaderExchangedDocument/TypeCode"
    )
    fields: dict[str, dict[str, Any]] = {}
    for name, paths in _CII_FIELDS:
        _put(fields, name, root, paths)
    currency = fields.get("currency", {}).get("value")
    for summation in _CII_SUMMATION:
        if not _path(root, summation):
            continue
        _put(fields, "total_amount", root, f"{summation}/GrandTotalAmount")
        _put(fields, "amount_due", root, f"{summation}/DuePayableAmount")
        _vat(fields, _path(root, f"{summation}/TaxTotalAmount"), currency)
        break
    _vat_id(fields, root, "SellerTradeParty/SpecifiedTaxRegistration/ID")
    _finish(fields)
    return EInvoice(_kind(type_code, ""), syntax, type_code, fields)


def _vat(fields: dict[str, dict[str, Any]], nodes: list[ET.Element], currency: Any) -> None:
    """The VAT total in the invoice currency (a foreign-currency invoice states two)."""
    chosen = next((n for n in nodes if n.get("currencyID") == currency), None)
    chosen = chosen if chosen is not None else next(iter(nodes), None)
    if chosen is not None and (raw := (chosen.text or "").strip()):
        value = xml_amount(raw)
        if value is not None:
            fields["vat_amount"] = _field(value, "TaxTotalAmount", raw)


def _vat_id(fields: dict[str, dict[str, Any]], root: ET.Element, path: str) -> None:
    for node in _path(root, path):
        raw = (node.text or "").strip()
        scheme = node.get("schemeID")
        if raw and scheme in (None, "VA"):
            fields["vat_id"] = _field(raw.replace(" ", ""), path, raw)
            return


def _finish(fields: dict[str, dict[str, Any]]) -> None:
    """amount_due only where it differs from the total (as for text documents)."""
    due, total = fields.get("amount_due"), fields.get("total_amount")
    if due and total and Decimal(due["value"]) == Decimal(total["value"]):
        del fields["amount_due"]


# -- UBL ---------------------------------------------------------------------------------

_UBL_FIELDS = (
    ("invoice_number", "Invoice/ID|CreditNote/ID"),
    ("issue_date", "Invoice/IssueDate|CreditNote/IssueDate"),
    ("due_date", "Invoice/DueDate|PaymentMeans/PaymentDueDate|PaymentTerms/PaymentDueDate"),
    ("currency", "Invoice/DocumentCurrencyCode|CreditNote/DocumentCurrencyCode"),
    (
        "sender",
        "AccountingSupplierParty/Party/PartyName/Name|"
        "AccountingSupplierParty/Party/PartyLegalEntity/RegistrationName",
    ),
    ("iban", "PaymentMeans/PayeeFinancialAccount/ID"),
    ("total_amount", "LegalMonetaryTotal/TaxInclusiveAmount|LegalMonetaryTotal/PayableAmount"),
    ("amount_due", "LegalMonetaryTotal/PayableAmount"),
    ("period_start", "InvoicePeriod/StartDate"),
    ("period_end", "InvoicePeriod/EndDate"),
)


def _ubl(root: ET.Element, root_name: str) -> EInvoice:
    # Paths starting with the root name must match the root itself, which _path (searching
    # below the element) would not: wrap it in a throwaway parent.
    holder = ET.Element("holder")
    holder.append(root)
    type_code = _text(holder, f"{root_name}/InvoiceTypeCode") or _text(
        holder, f"{root_name}/CreditNoteTypeCode"
    )
    fields: dict[str, dict[str, Any]] = {}
    for name, paths in _UBL_FIELDS:
        _put(fields, name, holder, paths)
    currency = fields.get("currency", {}).get("value")
    _vat(fields, _path(holder, f"{root_name}/TaxTotal/TaxAmount"), currency)
    _vat_id(fields, holder, "AccountingSupplierParty/Party/PartyTaxScheme/CompanyID")
    _finish(fields)
    return EInvoice(_kind(type_code, root_name), "UBL", type_code, fields)
