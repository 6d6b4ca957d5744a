"""pipeline on documents of every type and language, traps, and e-invoices (PDF and XML)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from inboxd.documents.extract import ExtractLimits
from inboxd.documents.rules import load_rules
from inboxd.models import FileResult, Routing
from inboxd.pipeline import process_file
from tests import pdfgen
from tests.unit.test_einvoice import BILLION_LAUGHS, CII, ORDER_X, UBL, XXE

RULES = load_rules(None)
LIMITS = ExtractLimits()


def run(path: Path) -> FileResult:
    return process_file(path, path.name, RULES, LIMITS)


def values(result: FileResult) -> dict[str, object]:
    return {name: field["value"] for name, field in result.fields.items()}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", {"invoice_number": "F-2026-031", "issue_date": "2026-03-05",
                "due_date": "2026-04-04", "total_amount": "1200.00", "vat_amount": "200.00",
                "currency": "EUR", "sender": "Le Fournisseur SAS"}),
        ("es", {"invoice_number": "2026/118", "issue_date": "2026-03-07",
                "total_amount": "605.00", "vat_amount": "105.00", "currency": "EUR",
                "sender": "Proveedor S.L."}),
        ("it", {"invoice_number": "77/2026", "issue_date": "2026-03-09",
                "total_amount": "122.00", "vat_amount": "22.00", "currency": "EUR",
                "sender": "Fornitore S.r.l."}),
        ("nl", {"invoice_number": "2026-0042", "issue_date": "2026-03-11",
                "total_amount": "302.50", "vat_amount": "52.50", "currency": "EUR",
                "iban": "NL91ABNA0417164300", "sender": "Leverancier B.V."}),
    ],
)  # fmt: skip
def test_invoices_in_each_language(
    tmp_path: Path, language: str, expected: dict[str, object]
) -> None:
    """French, Spanish, Italian and Dutch invoices are typed and their fields read."""
    result = run(pdfgen.localized_invoice_pdf(tmp_path / f"{language}.pdf", language))
    assert result.doc_type == "invoice" and result.routing == Routing.INBOX
    assert values(result) == expected


def test_english_invoice_with_month_first_dates(tmp_path: Path) -> None:
    """A US invoice: month-first dates (read by its $ hint), 1,234.56 amounts."""
    result = run(pdfgen.us_invoice_pdf(tmp_path / "us.pdf"))
    assert result.doc_type == "invoice"
    assert values(result) == {
        "invoice_number": "2026-0412",
        "issue_date": "2026-04-12",
        "due_date": "2026-05-12",
        "total_amount": "1234.56",
        "vat_amount": "84.56",
        "currency": "USD",
        "sender": "Acme Corp.",
    }


@pytest.mark.parametrize(
    ("make", "doc_type", "routing"),
    [
        (pdfgen.order_confirmation_pdf, "order_confirmation", Routing.ARCHIVE),
        (pdfgen.reminder_pdf, "reminder", Routing.INBOX),
        (pdfgen.credit_note_pdf, "credit_note", Routing.INBOX),
    ],
)
def test_traps_are_not_invoices(
    tmp_path: Path, make: Callable[[Path], Path], doc_type: str, routing: Routing
) -> None:
    """An order confirmation, a reminder and a credit note are not typed invoice."""
    result = run(make(tmp_path / "doc.pdf"))
    assert (result.doc_type, result.routing) == (doc_type, routing), result.signals


def test_credit_note_keeps_its_negative_total(tmp_path: Path) -> None:
    """A French avoir's negative total keeps its sign, in the French decimal convention."""
    result = run(pdfgen.credit_note_pdf(tmp_path / "avoir.pdf"))
    assert values(result)["total_amount"] == "-233.47"
    assert values(result)["invoice_number"] == "AV-2026-0005"


def test_reminder_fields(tmp_path: Path) -> None:
    """A reminder names the invoice, the open amount and the new deadline."""
    result = run(pdfgen.reminder_pdf(tmp_path / "mahnung.pdf"))
    found = values(result)
    assert found["invoice_number"] == "RE-2026-117"
    assert found["total_amount"] == "1234.56"
    assert found["issue_date"] == "2026-04-02"  # the letter's date, not the invoice's
    assert found["due_date"] == "2026-04-16"


def test_pdf_with_embedded_cii_is_read_from_the_xml(tmp_path: Path) -> None:
    """A Factur-X-like PDF is typed and filled from its XML, fields marked source xml."""
    visible = pdfgen.letter_pdf(tmp_path / "visible.pdf")  # the page says something else
    path = pdfgen.with_attachment(
        tmp_path / "facturx.pdf", visible, "factur-x.xml", CII.format(code="380").encode()
    )
    result = run(path)
    assert (result.doc_type, result.confidence) == ("invoice", 1.0)
    assert "einvoice:CII" in result.signals and "type_code:380" in result.signals
    assert result.fields["invoice_number"] == {
        "value": "RE-2026/17",
        "source": "xml",
        "text": "ID: RE-2026/17",
    }
    assert result.fields["total_amount"]["value"] == "1190.00"
    assert result.pages_read == 1


def test_pdf_with_embedded_credit_note(tmp_path: Path) -> None:
    """Type code 381 in the embedded XML makes the PDF a credit note."""
    path = pdfgen.with_attachment(
        tmp_path / "cn.pdf",
        pdfgen.invoice_pdf(tmp_path / "v.pdf"),
        "factur-x.xml",
        CII.format(code="381").encode(),
    )
    assert run(path).doc_type == "credit_note"


def test_embedded_order_x_is_not_an_invoice(tmp_path: Path) -> None:
    """A purchase order with Order-X XML attached is classified by its text, not as invoice."""
    path = pdfgen.with_attachment(
        tmp_path / "po.pdf",
        pdfgen.order_confirmation_pdf(tmp_path / "v.pdf"),
        "order-x.xml",
        ORDER_X.encode(),
    )
    result = run(path)
    assert result.doc_type == "order_confirmation"
    assert not any(s.startswith("einvoice:") for s in result.signals)


def test_non_xml_attachment_is_ignored(tmp_path: Path) -> None:
    """An ordinary attachment (an image) changes nothing."""
    path = pdfgen.with_attachment(
        tmp_path / "a.pdf", pdfgen.receipt_pdf(tmp_path / "v.pdf"), "photo.png", b"\x89PNG"
    )
    assert run(path).doc_type == "receipt"


@pytest.mark.parametrize(
    ("xml", "doc_type"),
    [
        (CII.format(code="380"), "invoice"),
        (UBL.format(root="Invoice", code="380"), "invoice"),
        (UBL.format(root="CreditNote", code="381"), "credit_note"),
    ],
)
def test_standalone_xml_einvoices(tmp_path: Path, xml: str, doc_type: str) -> None:
    """A CII or UBL file dropped on its own is typed and filled from its XML."""
    path = tmp_path / "invoice.xml"
    path.write_text(xml, encoding="utf-8")
    result = run(path)
    assert (result.kind, result.doc_type, result.error) == ("xml", doc_type, None)
    assert all(field["source"] == "xml" for field in result.fields.values())


@pytest.mark.parametrize("xml", [XXE, BILLION_LAUGHS])
def test_unsafe_xml_is_refused(tmp_path: Path, xml: str) -> None:
    """XXE and entity bombs are refused: no expansion, no file content, said in the result."""
    path = tmp_path / "evil.xml"
    path.write_text(xml, encoding="utf-8")
    result = run(path)
    assert result.error is None and result.doc_type != "invoice"
    assert "xml:refused" in result.signals
    assert any("unsafe XML refused" in w for w in result.warnings)
    assert "root:" not in str(result.model_dump())  # /etc/passwd was never read


def test_embedded_unsafe_xml_is_refused(tmp_path: Path) -> None:
    """An XXE attachment is refused; the PDF is still classified from its pages."""
    path = pdfgen.with_attachment(
        tmp_path / "x.pdf", pdfgen.invoice_pdf(tmp_path / "v.pdf"), "factur-x.xml", XXE.encode()
    )
    result = run(path)
    assert result.doc_type == "invoice" and "xml:refused" in result.signals
    assert result.fields["invoice_number"]["source"] == "text"
