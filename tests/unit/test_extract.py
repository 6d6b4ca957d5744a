"""extract: text within limits, and every failure as a DocumentError with a stable code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf.errors import DependencyError, LimitReachedError

from inboxd.documents import extract as extract_module
from inboxd.documents.extract import ExtractLimits, extract
from inboxd.errors import DocumentError
from tests import pdfgen

LIMITS = ExtractLimits()


def _bytes(data: bytes) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return write


def test_reads_only_head_and_tail_pages(tmp_path: Path) -> None:
    """A 30-page PDF is read on its first 5 and last page only."""
    path = pdfgen.make_pdf(tmp_path / "long.pdf", ["some words here"], title="Report", pages=30)
    result = extract(path, "pdf", LIMITS)
    assert (result.pages, result.pages_read) == (30, 6)
    assert "Page 5 of 30" in result.text and "Page 30 of 30" in result.text
    assert "Page 6 of 30" not in result.text


def test_text_is_capped_at_max_chars(tmp_path: Path) -> None:
    """The extracted text never exceeds max_chars."""
    path = pdfgen.make_pdf(tmp_path / "long.pdf", ["x" * 80] * 20, pages=3)
    result = extract(path, "pdf", ExtractLimits(max_chars=500))
    assert len(result.text) == 500


def test_scanned_pdf_needs_ocr_and_is_no_error(tmp_path: Path) -> None:
    """A PDF with pages but no text layer is flagged needs_ocr, not raised."""
    result = extract(pdfgen.scanned_pdf(tmp_path / "scan.pdf"), "pdf", LIMITS)
    assert result.needs_ocr and result.pages == 1 and result.text.strip() == ""


def test_invoice_pdf_has_text(tmp_path: Path) -> None:
    """A generated invoice yields its text and needs no OCR."""
    result = extract(pdfgen.invoice_pdf(tmp_path / "i.pdf"), "pdf", LIMITS)
    assert "Invoice number" in result.text and not result.needs_ocr


@pytest.mark.parametrize(
    ("make", "kind", "code"),
    [
        (pdfgen.encrypted_pdf, "pdf", "encrypted"),
        (pdfgen.corrupt_pdf, "pdf", "corrupt"),
        (_bytes(b""), "empty", "empty"),
        (_bytes(b"\x89PNG\r\n\x1a\n"), "png", "unsupported"),
        (_bytes(b"PK\x03\x04"), "docx", "unsupported"),
        (_bytes(b"\x7fELF"), "binary", "unsupported"),
        (_bytes(b"%PDF-1.4\n%%EOF\n"), "pdf", "corrupt"),
    ],
)
def test_failures_have_stable_codes(
    tmp_path: Path, make: Callable[[Path], Path], kind: str, code: str
) -> None:
    """Encrypted, corrupt, empty and unsupported files raise DocumentErrors with their code."""
    path = make(tmp_path / "f.pdf")
    with pytest.raises(DocumentError) as info:
        extract(path, kind, LIMITS)
    assert info.value.code == code
    assert info.value.message and "\n" not in info.value.message


def test_unsupported_message_names_the_kind(tmp_path: Path) -> None:
    """An image is refused with a message that says what it is and why."""
    path = tmp_path / "scan.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0")
    with pytest.raises(DocumentError, match=r"jpeg image: .*images are not OCRed"):
        extract(path, "jpeg", LIMITS)


def test_too_large_is_refused_before_parsing(tmp_path: Path) -> None:
    """A file above max_bytes is refused by its size."""
    path = pdfgen.invoice_pdf(tmp_path / "i.pdf")
    with pytest.raises(DocumentError) as info:
        extract(path, "pdf", ExtractLimits(max_bytes=100))
    assert info.value.code == "too_large"


@pytest.mark.parametrize(
    "exc",
    [
        DependencyError("needs a crypto library"),
        LimitReachedError("too many objects"),
        RecursionError("maximum recursion depth exceeded"),
        KeyError("/Root"),
        AssertionError("bad"),
        ValueError("invalid literal"),
        IndexError("list index out of range"),
    ],
)
def test_any_parser_exception_is_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    """Exceptions pypdf raises outside PdfReadError still become code "corrupt"."""

    def broken_reader(*_args: object, **_kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(extract_module, "PdfReader", broken_reader)
    path = pdfgen.invoice_pdf(tmp_path / "i.pdf")
    with pytest.raises(DocumentError) as info:
        extract(path, "pdf", LIMITS)
    assert info.value.code == "corrupt"
    assert info.value.message.startswith(type(exc).__name__)


def test_memory_error_is_not_swallowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MemoryError is re-raised, not reported as a corrupt file."""

    def broken_reader(*_args: object, **_kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(extract_module, "PdfReader", broken_reader)
    with pytest.raises(MemoryError):
        extract(pdfgen.invoice_pdf(tmp_path / "i.pdf"), "pdf", LIMITS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Total\x00 12.00\n", "Total 12.00\n"),
        ("Grüße".encode(), "Grüße"),
        ("Grüße €5".encode("cp1252"), "Grüße €5"),
        (b"\xef\xbb\xbfwith BOM", "with BOM"),
    ],
)
def test_text_files_decode_and_drop_nul(tmp_path: Path, raw: bytes, expected: str) -> None:
    """Text is UTF-8 with a Windows-1252 fallback, and NUL characters are removed."""
    path = tmp_path / "a.txt"
    path.write_bytes(raw)
    result = extract(path, "text", LIMITS)
    assert result.text == expected and result.pages is None


def test_pypdf_log_warnings_are_captured(tmp_path: Path) -> None:
    """Repairs pypdf logs while reading a damaged PDF end up in the extraction's warnings."""
    good = pdfgen.invoice_pdf(tmp_path / "good.pdf").read_bytes()
    damaged = tmp_path / "damaged.pdf"
    # A wrong startxref offset makes pypdf rebuild the cross-reference table and say so.
    head, _, _ = good.rpartition(b"startxref")
    damaged.write_bytes(head + b"startxref\n999999\n%%EOF\n")
    result = extract(damaged, "pdf", LIMITS)
    assert "Invoice number" in result.text
    assert result.warnings, "expected pypdf's repair warning"
    assert len(result.warnings) <= 20
