"""Text out of a file, within limits.

Only the first and last few pages of a PDF are read: the title, parties, totals and the
payment block of office documents live there, and a 500-page manual must not cost 500 pages
of parsing.  Every failure leaves as a ``DocumentError`` subclass, so the pipeline can file it
under a stable code.

What this module does *not* do: bound wall time or memory.  A pathological PDF can still make
pypdf spin; the caller is expected to run ``extract`` where a timeout can end it.
"""

from __future__ import annotations

import binascii
import logging
import os
import re
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from inboxd.documents.einvoice import MAX_XML_BYTES
from inboxd.errors import (
    CorruptDocument,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    UnreadableDocument,
    UnsupportedDocument,
)

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 200 * MIB
MAX_WARNINGS = 20  # a broken PDF can log thousands of times; the result JSON needs a few
MAX_WARNING_CHARS = 160
MAX_REASON_CHARS = 200
MIN_WORD_CHARS = 10  # fewer word characters than this on the pages read: a scan, needs OCR

MAX_ATTACHMENTS = 8  # attachments looked at per PDF; Factur-X has one, real PDFs a few
PAGE_SEPARATOR = "\f"  # classify weights the first page higher and finds it by this

# What pypdf is seen to raise on malformed input, well beyond its documented PdfReadError.
# Deliberately a list and not ``Exception``: the pipeline is the one broad catch for a file,
# and anything outside this list is more likely our bug ("internal") than a damaged file.
PARSER_FAILURES: tuple[type[BaseException], ...] = (
    PyPdfError,  # PdfReadError, LimitReachedError, ...
    DependencyError,  # not a PyPdfError: a missing optional library (AES without crypto)
    ValueError,  # includes UnicodeDecodeError and binascii.Error
    LookupError,  # KeyError, IndexError
    ArithmeticError,  # ZeroDivisionError, OverflowError
    AssertionError,
    AttributeError,
    TypeError,
    RuntimeError,  # includes RecursionError (deeply nested objects) and NotImplementedError
    EOFError,
    struct.error,
    zlib.error,
    binascii.Error,
)

_UNSUPPORTED_MESSAGES = {
    "png": "png image: inboxd reads PDFs, e-invoice XML and text; images are not OCRed",
    "jpeg": "jpeg image: inboxd reads PDFs, e-invoice XML and text; images are not OCRed",
    "tiff": "tiff image: inboxd reads PDFs, e-invoice XML and text; images are not OCRed",
    "gif": "gif image: inboxd reads PDFs, e-invoice XML and text; images are not OCRed",
    "zip": "zip archive: archives are not unpacked",
    "docx": "docx document: Word files are not supported, export to PDF",
    "xlsx": "xlsx spreadsheet: spreadsheets are not supported, export to PDF",
    "odt": "odt document: OpenDocument files are not supported, export to PDF",
    "binary": "binary file: not a PDF or text file",
}
_XML_TAG = re.compile(r"<[^>]*>")
_WORD_CHAR = re.compile(r"\w")
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class ExtractLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    head_pages: int = 5
    tail_pages: int = 1
    max_chars: int = 200_000


@dataclass
class Extraction:
    text: str
    pages: int | None
    pages_read: int | None
    needs_ocr: bool
    warnings: list[str] = field(default_factory=list)
    # (name, bytes) of XML that may be an e-invoice: a PDF's embedded .xml files, or the
    # whole file when it is XML itself.  Parsed (safely) by ``einvoice``, not here.
    xml: list[tuple[str, bytes]] = field(default_factory=list)


def extract(path: Path, kind: str, limits: ExtractLimits) -> Extraction:
    """The text of ``path`` (already identified as ``kind``), or a ``DocumentError``."""
    if kind == "empty":
        raise EmptyDocument()
    if kind in _UNSUPPORTED_MESSAGES or kind not in ("pdf", "text", "xml"):
        raise UnsupportedDocument(_UNSUPPORTED_MESSAGES.get(kind, f"{kind}: not supported"))
    with _open(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise EmptyDocument()
        if size > limits.max_bytes:
            raise DocumentTooLarge(
                f"file is {size / MIB:.1f} MiB, the limit is {limits.max_bytes / MIB:.1f} MiB"
            )
        if kind == "pdf":
            return _extract_pdf(fh, limits)
        return _extract_text(fh, kind, limits)


@contextmanager
def _open(path: Path) -> Iterator[IO[bytes]]:
    # O_NOFOLLOW: the pipeline checked with lstat; a symlink swapped in since is refused.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise UnreadableDocument(f"cannot open: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as fh:
        yield fh


def _extract_text(fh: IO[bytes], kind: str, limits: ExtractLimits) -> Extraction:
    # UTF-8 needs at most 4 bytes a character: reading more than that cannot add text.
    # XML is read whole (up to a cap) because an e-invoice is parsed as a document.
    want = max(limits.max_chars * 4, MAX_XML_BYTES if kind == "xml" else 0)
    try:
        raw = fh.read(want)
    except OSError as exc:
        raise UnreadableDocument(f"read failed: {exc.strerror or exc}") from exc
    xml = [("", raw)] if kind == "xml" else []
    raw = raw[: limits.max_chars * 4]
    notes: list[str] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # A cut at the read limit can split a character; drop at most 3 trailing bytes.
        text = _decode_fallback(raw, notes)
    if kind == "xml":
        # Tags would hide the words (CrossIndustryInvoice); keep only the element text.
        text = _XML_TAG.sub(" ", text)
    text = _clean(text)[: limits.max_chars]
    return Extraction(
        text=text, pages=None, pages_read=None, needs_ocr=False, warnings=notes, xml=xml
    )


def _decode_fallback(raw: bytes, notes: list[str]) -> str:
    for cut in (1, 2, 3):
        try:
            return raw[:-cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    notes.append("not UTF-8; decoded as Windows-1252")
    return raw.decode("cp1252", errors="replace")


def _clean(text: str) -> str:
    # NUL breaks PostgreSQL text columns and some JSON consumers; pypdf emits it for
    # fonts without a usable ToUnicode map.
    return _SPACES.sub(" ", text.replace("\x00", ""))


def _extract_pdf(fh: IO[bytes], limits: ExtractLimits) -> Extraction:
    with _capture_pypdf_warnings() as notes:
        try:
            reader = PdfReader(fh, strict=False)
            _decrypt(reader)
            total = len(reader.pages)
        except (EncryptedDocument, MemoryError):
            raise
        except PARSER_FAILURES as exc:
            raise CorruptDocument(_reason(exc)) from exc
        if total == 0:
            raise CorruptDocument("PDF has no pages")
        text, pages_read = _read_pages(reader, total, limits, notes)
        xml = _xml_attachments(reader, notes)
    text = _clean(text)[: limits.max_chars]
    needs_ocr = len(_WORD_CHAR.findall(text, 0, 10_000)) < MIN_WORD_CHARS
    return Extraction(
        text=text,
        pages=total,
        pages_read=pages_read,
        needs_ocr=needs_ocr,
        warnings=notes,
        xml=xml,
    )


def _xml_attachments(reader: PdfReader, notes: list[str]) -> list[tuple[str, bytes]]:
    """Embedded ``*.xml`` files (Factur-X, ZUGFeRD, XRechnung carry the invoice as one).

    A damaged attachment tree costs the e-invoice, never the document: its text is read.
    """
    found: list[tuple[str, bytes]] = []
    try:
        for index, attachment in enumerate(reader.attachment_list):
            if index >= MAX_ATTACHMENTS:
                break
            name = str(attachment.name or "")
            if not name.lower().endswith(".xml"):
                continue
            content = attachment.content
            if len(content) <= MAX_XML_BYTES:
                found.append((name, content))
            else:
                _note(notes, f"attachment {name}: over {MAX_XML_BYTES // MIB} MiB, skipped")
    except MemoryError:
        raise
    except PARSER_FAILURES as exc:
        _note(notes, f"attachments: {_reason(exc)}")
    return found


def _decrypt(reader: PdfReader) -> None:
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except DependencyError as exc:
        raise EncryptedDocument(f"PDF is encrypted and cannot be opened: {exc}") from exc
    if not opened:  # PasswordType.NOT_DECRYPTED is 0
        raise EncryptedDocument()


def _page_numbers(total: int, limits: ExtractLimits) -> list[int]:
    """First ``head_pages`` and last ``tail_pages`` page indexes, in order, no repeats."""
    head = range(min(limits.head_pages, total))
    tail = range(max(total - limits.tail_pages, len(head)), total)
    return [*head, *tail]


def _read_pages(
    reader: PdfReader, total: int, limits: ExtractLimits, notes: list[str]
) -> tuple[str, int]:
    """Text of the head and tail pages; a page that fails is a warning, all failing is corrupt."""
    parts: list[str] = []
    failures: list[str] = []
    chars = 0
    numbers = _page_numbers(total, limits)
    for index in numbers:
        if chars >= limits.max_chars:
            break
        try:
            page_text = reader.pages[index].extract_text() or ""
        except MemoryError:
            raise
        except PARSER_FAILURES as exc:
            failures.append(f"page {index + 1}: {_reason(exc)}")
            page_text = ""
        parts.append(page_text)
        chars += len(page_text)
    if failures and len(failures) == len(parts):
        raise CorruptDocument(failures[0])
    for failure in failures:
        _note(notes, failure)
    return PAGE_SEPARATOR.join(parts), len(parts)


def _reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return " ".join(text.split())[:MAX_REASON_CHARS]


def _note(notes: list[str], message: str) -> None:
    short = " ".join(message.split())[:MAX_WARNING_CHARS]
    if short and short not in notes and len(notes) < MAX_WARNINGS:
        notes.append(short)


class _ListHandler(logging.Handler):
    """Collects pypdf's log records emitted by one thread (workers may extract in parallel)."""

    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            _note(self.notes, record.getMessage())


@contextmanager
def _capture_pypdf_warnings() -> Iterator[list[str]]:
    """pypdf reports repairs both through the ``pypdf`` logger and ``warnings``: keep both."""
    notes: list[str] = []
    handler = _ListHandler(notes)
    logger = logging.getLogger("pypdf")
    logger.addHandler(handler)
    try:
        # catch_warnings swaps process-global state; acceptable because pypdf rarely uses
        # warnings.warn on reads, and the only cost of a race is a misfiled warning line.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield notes
        for item in caught:
            _note(notes, f"{item.category.__name__}: {item.message}")
    finally:
        logger.removeHandler(handler)
