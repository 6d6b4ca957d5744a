"""classify: types from generated documents, thresholds, and explainable signals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from inboxd.documents.classify import classify, confidence_of
from inboxd.documents.extract import ExtractLimits, extract
from inboxd.documents.rules import load_rules
from tests import pdfgen

RULES = load_rules(None)
LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud. "
) * 8


@pytest.mark.parametrize(
    ("make", "doc_type"),
    [
        (pdfgen.invoice_pdf, "invoice"),
        (pdfgen.german_invoice_pdf, "invoice"),
        (pdfgen.receipt_pdf, "receipt"),
        (pdfgen.letter_pdf, "letter"),
        (pdfgen.bank_statement_pdf, "bank_statement"),
    ],
)
def test_generated_pdfs_classify(
    tmp_path: Path, make: Callable[[Path], Path], doc_type: str
) -> None:
    """Each generated document is classified as its type with a confident score."""
    text = extract(make(tmp_path / "document.pdf"), "pdf", ExtractLimits()).text
    result = classify(text, "document.pdf", RULES)
    assert result.doc_type == doc_type, result.signals
    assert result.confidence > 0.7


@pytest.mark.parametrize(
    ("text", "filename", "doc_type"),
    [
        (
            "Zahlungserinnerung\nIhre Rechnung ist überfällig. Mahngebühr 5,00 EUR",
            "x.pdf",
            "reminder",
        ),
        ("GUTSCHRIFT Nr. 12\nWir schreiben Ihnen 20,00 EUR gut.", "x.pdf", "credit_note"),
        ("Lohnabrechnung März 2026\nBruttolohn 3.000,00\nLohnsteuer 400,00", "x.pdf", "payslip"),
        (
            "Kontoauszug Nr. 3\nAlter Kontostand 10,00\nNeuer Kontostand 5,00",
            "x.pdf",
            "bank_statement",
        ),
        ("Facture n° F-1\nDate de facture 01/02/2026\nNet à payer 10,00 EUR", "x.pdf", "invoice"),
        ("Factura 2026-1\nFecha de factura 01/02/2026\nBase imponible 10,00", "x.pdf", "invoice"),
        ("Lieferschein 4711\nLieferdatum 01.02.2026\n3 Kartons", "x.pdf", "delivery_note"),
        ("Order confirmation\nThank you for your order no. 1234", "x.pdf", "order_confirmation"),
        ("Form 1040 U.S. Individual Income Tax Return\nFiling status", "x.pdf", "tax_document"),
        ("This Agreement is made between the parties hereinafter", "x.pdf", "contract"),
    ],
)
def test_short_texts_classify(text: str, filename: str, doc_type: str) -> None:
    """Typical short texts in several languages reach their type."""
    assert classify(text, filename, RULES).doc_type == doc_type


@pytest.mark.parametrize("text", ["", "   \n\f ", LOREM])
def test_no_evidence_is_unknown(text: str) -> None:
    """Empty text and lorem ipsum are unknown with confidence 0."""
    result = classify(text, "scan.pdf", RULES)
    assert (result.doc_type, result.confidence) == ("unknown", 0.0)


def test_weak_evidence_is_below_threshold() -> None:
    """A single mention after the first page is unknown, with the reason in the signals."""
    result = classify(LOREM + "\f see the invoice ", "x.pdf", RULES)
    assert result.doc_type == "unknown"
    assert "best_guess:invoice" in result.signals
    assert any(s.startswith("below_threshold:") and "<0.40" in s for s in result.signals)


def test_title_counts_more_than_body() -> None:
    """The same phrase scores higher in the title zone than after the first page."""
    title = classify("Invoice\n" + LOREM, "x.pdf", RULES)
    body = classify(LOREM + "\f" + LOREM + "\nInvoice", "x.pdf", RULES)
    assert "phrase:invoice(+6.0, title)" in title.signals
    assert "phrase:invoice(+3.0, body)" in body.signals


def test_negative_evidence_subtracts() -> None:
    """A quotation mentioning invoicing terms is not an invoice."""
    text = "Angebot Nr. 7\nGültig bis 31.03.2026\nRechnung erfolgt nach Lieferung"
    result = classify(text, "x.pdf", RULES)
    assert result.doc_type != "invoice"
    assert any(s.startswith("negative:angebot(") for s in result.signals) or (
        result.doc_type == "other"
    )


def test_filename_hint_is_a_signal() -> None:
    """A filename hint adds evidence and is reported."""
    result = classify("Invoice\nTotal due 10.00 EUR", "2026-03_invoice_acme.pdf", RULES)
    assert "filename:invoice" in result.signals


def test_repeats_are_dampened() -> None:
    """A phrase printed many times counts at most max_hits times, each less."""
    once = classify("receipt", "x.pdf", RULES)
    many = classify("receipt " * 50, "x.pdf", RULES)
    assert "phrase:receipt(+7.0, title)" in once.signals
    assert "phrase:receipt(+12.2, title)" in many.signals


def test_paid_flag_is_reported() -> None:
    """A paid invoice carries the flag:paid signal routes can use."""
    result = classify("Invoice 12\nTotal 10.00 EUR\nPaid in full, thank you", "x.pdf", RULES)
    assert "flag:paid" in result.signals


@pytest.mark.parametrize(
    ("best", "runner_up", "low", "high"),
    [
        (0.0, 0.0, 0.0, 0.0),
        (24.0, 0.0, 0.94, 0.96),
        (24.0, 24.0, 0.47, 0.48),
        (4.0, 0.0, 0.39, 0.4),
    ],
)
def test_confidence_formula(best: float, runner_up: float, low: float, high: float) -> None:
    """Confidence grows with the score and shrinks with a close runner-up."""
    assert low <= confidence_of(best, runner_up, 8.0) <= high


def test_paid_label_on_a_payable_bill_is_not_paid(tmp_path: Path) -> None:
    """A bill printing an empty "already paid" label but an amount to pay stays in the INBOX."""
    from inboxd.documents.route import route
    from inboxd.models import Routing

    text = ("FACTURE F-2026-7\nDate : 31/01/2026\nTotal TTC 104,90 EUR\n"
            "Montant déjà payé : 0,00\nNET A PAYER 104,90 EUR\n")  # fmt: skip
    result = classify(text, "f.pdf", RULES)
    assert result.doc_type == "invoice"
    assert {"flag:paid", "flag:payable"} <= set(result.signals)
    assert route(result.doc_type, {}, result.signals, RULES)[0] == Routing.INBOX


@pytest.mark.parametrize(
    ("text", "not_type"),
    [
        ("Ledger Cheat Sheet\nSyntax: open an account, record a transaction, assert a "
         "balance. Example: importing a checking account statement", "bank_statement"),
        ("PRESS RELEASE - FOR IMMEDIATE RELEASE\nACME and Example sign a supply agreement; "
         "termination rights and the term of the agreement were not disclosed", "contract"),
    ],
)  # fmt: skip
def test_genres_that_talk_about_money_are_not_the_document(text: str, not_type: str) -> None:
    """A cheat sheet about statements, or news of an agreement, is not a statement or contract."""
    assert classify(text, "doc.pdf", RULES).doc_type != not_type
