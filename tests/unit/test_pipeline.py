"""pipeline: one file to one FileResult; every failure is that file's error entry."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import structlog

from inboxd import pipeline
from inboxd.documents.extract import Extraction, ExtractLimits
from inboxd.documents.rules import load_rules
from inboxd.models import Routing
from inboxd.pipeline import process_file
from tests import pdfgen

RULES = load_rules(None)
LIMITS = ExtractLimits()


def _write(data: bytes) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return write


@pytest.mark.parametrize(
    ("make", "doc_type", "routing"),
    [
        (pdfgen.invoice_pdf, "invoice", Routing.INBOX),
        (pdfgen.german_invoice_pdf, "invoice", Routing.INBOX),
        (pdfgen.receipt_pdf, "receipt", Routing.ARCHIVE),
        (pdfgen.letter_pdf, "letter", Routing.INBOX),
        (pdfgen.bank_statement_pdf, "bank_statement", Routing.ARCHIVE),
        (pdfgen.lorem_pdf, "unknown", Routing.INBOX),
    ],
)
def test_documents_are_classified_and_routed(
    tmp_path: Path, make: Callable[[Path], Path], doc_type: str, routing: Routing
) -> None:
    """A readable PDF gets its type, routing, hash and size, and no error."""
    path = make(tmp_path / "doc.pdf")
    result = process_file(path, "job/doc.pdf", RULES, LIMITS)
    assert (result.doc_type, result.routing, result.error) == (doc_type, routing, None)
    assert result.filename == "doc.pdf" and result.path == "job/doc.pdf"
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.size == path.stat().st_size and result.kind == "pdf"


def test_german_invoice_fields(tmp_path: Path) -> None:
    """The German invoice yields number, dates, total, VAT, currency, IBAN and sender."""
    result = process_file(pdfgen.german_invoice_pdf(tmp_path / "r.pdf"), "r.pdf", RULES, LIMITS)
    values = {name: field["value"] for name, field in result.fields.items()}
    assert values == {
        "invoice_number": "RE-2026-117",
        "issue_date": "2026-03-03",
        "due_date": "2026-03-17",
        "sender": "Muster GmbH",
        "vat_amount": "197.12",
        "total_amount": "1234.56",
        "currency": "EUR",
        "iban": "DE89370400440532013000",
    }
    assert result.routing_rule == "type:invoice"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (pdfgen.encrypted_pdf, "encrypted"),
        (pdfgen.corrupt_pdf, "corrupt"),
        (_write(b""), "empty"),
        (_write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "unsupported"),
    ],
)
def test_failures_become_the_files_error(
    tmp_path: Path, make: Callable[[Path], Path], code: str
) -> None:
    """Unreadable files get an error code, unknown type and INBOX, without raising."""
    result = process_file(make(tmp_path / "bad.pdf"), "bad.pdf", RULES, LIMITS)
    assert result.error is not None and result.error.code == code
    assert (result.doc_type, result.routing) == ("unknown", Routing.INBOX)


def test_scanned_pdf_needs_ocr_without_error(tmp_path: Path) -> None:
    """A PDF without a text layer is unknown, INBOX, needs_ocr, and not an error."""
    result = process_file(pdfgen.scanned_pdf(tmp_path / "scan.pdf"), "scan.pdf", RULES, LIMITS)
    assert (result.doc_type, result.routing, result.error) == ("unknown", Routing.INBOX, None)
    assert result.needs_ocr and "needs_ocr" in result.signals


def test_long_pdf_reads_head_and_tail(tmp_path: Path) -> None:
    """A 30-page PDF is recorded with 30 pages of which 6 were read."""
    path = pdfgen.make_pdf(tmp_path / "long.pdf", ["words"], title="Report", pages=30)
    result = process_file(path, "long.pdf", RULES, LIMITS)
    assert (result.pages, result.pages_read) == (30, 6)


def test_nul_in_extracted_text_never_reaches_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NUL characters a parser emits are gone from the result's JSON."""

    def extract_with_nul(*_args: object) -> Extraction:
        text = "Invoice\x00\nInvoice number: 12\x0045\nTotal due: 10.00 EUR"
        return Extraction(text=text, pages=1, pages_read=1, needs_ocr=False, warnings=["a\x00b"])

    monkeypatch.setattr(pipeline, "extract", extract_with_nul)
    result = process_file(pdfgen.invoice_pdf(tmp_path / "i.pdf"), "i.pdf", RULES, LIMITS)
    assert result.doc_type == "invoice" and result.error is None
    assert "\x00" not in result.model_dump_json() and "\\u0000" not in result.model_dump_json()


def test_text_file_with_nul_is_not_text(tmp_path: Path) -> None:
    """A .txt holding NUL bytes is binary (UTF-16 or a renamed binary), refused as unsupported."""
    path = tmp_path / "note.txt"
    path.write_bytes(b"Invoice\x00 number: 12345\n")
    result = process_file(path, "note.txt", RULES, LIMITS)
    assert result.kind == "binary" and result.error is not None
    assert result.error.code == "unsupported"


def test_symlink_is_refused(tmp_path: Path) -> None:
    """A symlink is not followed: the file gets error not_regular."""
    target = pdfgen.invoice_pdf(tmp_path / "real.pdf")
    link = tmp_path / "link.pdf"
    os.symlink(target, link)
    result = process_file(link, "link.pdf", RULES, LIMITS)
    assert result.error is not None and result.error.code == "not_regular"
    assert result.sha256 is None and result.routing is Routing.INBOX


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    """A file that vanished before processing is reported, not raised."""
    result = process_file(tmp_path / "gone.pdf", "gone.pdf", RULES, LIMITS)
    assert result.error is not None and result.error.code == "unreadable"


def test_unexpected_exception_is_internal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in a step becomes code internal with the exception type, and keeps the hash."""

    def boom(*_args: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(pipeline, "classify", boom)
    result = process_file(pdfgen.invoice_pdf(tmp_path / "i.pdf"), "i.pdf", RULES, LIMITS)
    assert result.error is not None and result.error.code == "internal"
    assert result.error.message == "ZeroDivisionError: division by zero"
    assert result.sha256 is not None


def test_too_large_is_not_hashed(tmp_path: Path) -> None:
    """A file above the size limit is refused as too_large without hashing it."""
    path = pdfgen.invoice_pdf(tmp_path / "i.pdf")
    result = process_file(path, "i.pdf", RULES, ExtractLimits(max_bytes=100))
    assert result.error is not None and result.error.code == "too_large"
    assert result.sha256 is None and result.kind == "pdf"


def test_logs_one_classified_event(tmp_path: Path) -> None:
    """Each file logs exactly one file.classified event with its outcome."""
    path = pdfgen.receipt_pdf(tmp_path / "r.pdf")
    with structlog.testing.capture_logs() as events:
        process_file(path, "job/r.pdf", RULES, LIMITS)
    classified = [e for e in events if e["event"] == "file.classified"]
    assert len(classified) == 1
    event = classified[0]
    assert event["path"] == "job/r.pdf" and event["doc_type"] == "receipt"
    assert event["routing"] == "ARCHIVE" and event["error"] is None and event["kind"] == "pdf"
