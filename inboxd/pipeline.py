"""One file, start to finish: stat, hash, identify, extract, classify, fields, route.

The recipe, per file:

1. stat (never following a symlink), hash, identify by magic bytes, extract text within
   limits (and any XML that may be an e-invoice);
2. an e-invoice XML (embedded Factur-X/ZUGFeRD/XRechnung, or a UBL/CII file) decides the
   type and the fields exactly; the page text only adds flags and missing fields;
3. otherwise a PDF without a text layer is a scan: OCR when enabled and available, else
   ``unknown`` to a person with ``needs_ocr`` and the reason in the signals;
4. otherwise classify the text, extract fields, route.

Whatever goes wrong with a file becomes that file's ``error`` entry and an INBOX routing
(a person should look at what inboxd could not handle); it never stops the job.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from inboxd.documents import ocr
from inboxd.documents.amounts import iban_valid
from inboxd.documents.classify import classify, flag_signals
from inboxd.documents.einvoice import EInvoice, UnsafeXml, parse_einvoice
from inboxd.documents.extract import Extraction, ExtractLimits, extract
from inboxd.documents.fields import extract_fields
from inboxd.documents.identify import HEAD_BYTES, identify, read_head
from inboxd.documents.route import route
from inboxd.documents.rules import UNKNOWN, Rules
from inboxd.errors import DocumentError, NotRegularFile, UnreadableDocument
from inboxd.models import FileError, FileResult, Routing

HASH_CHUNK_BYTES = 1024 * 1024  # 1 MiB: few syscalls, bounded memory
INTERNAL = "internal"
MAX_MESSAGE_CHARS = 300
MIN_OCR_CHARS = 10  # less recognised text than this is no better than none
EINVOICE_CONFIDENCE = 1.0  # the XML states its type code; nothing is inferred

log = structlog.get_logger()


@dataclass(frozen=True)
class OcrOptions:
    """OCR of scans: off unless enabled; the tools must be on PATH (see ``documents.ocr``)."""

    enabled: bool = False
    timeout_seconds: float = ocr.DEFAULT_TIMEOUT_SECONDS
    languages: str = ocr.DEFAULT_LANGUAGES
    pages: int = ocr.DEFAULT_PAGES


def process_file(
    path: Path,
    relpath: str,
    rules: Rules,
    limits: ExtractLimits,
    *,
    ocr_options: OcrOptions | None = None,
) -> FileResult:
    """The classified, routed result for one file; errors are part of the result."""
    result: dict[str, Any] = {"filename": path.name, "path": relpath}
    try:
        _process(path, rules, limits, result, ocr_options or OcrOptions())
    except DocumentError as exc:
        _fail(result, exc.code, exc.message)
    # The one broad catch for a file (with the worker's per job and the CLI's per process):
    # parsers raise types nobody documents, and one bad file must not cost the whole job.
    except Exception as exc:
        _fail(result, INTERNAL, f"{type(exc).__name__}: {exc}")
    result.pop("_signals", None)  # collected for the classifier; left over after a failure
    file_result = FileResult(**result)
    log.info(
        "file.classified",
        path=relpath,
        kind=file_result.kind,
        doc_type=file_result.doc_type,
        confidence=file_result.confidence,
        routing=str(file_result.routing),
        error=file_result.error.code if file_result.error else None,
    )
    return file_result


def _process(
    path: Path, rules: Rules, limits: ExtractLimits, result: dict[str, Any], options: OcrOptions
) -> None:
    """Fill ``result`` step by step, so a failure keeps what was learnt before it."""
    try:
        st = os.lstat(path)  # lstat: a symlink is refused below, never followed
    except OSError as exc:
        raise UnreadableDocument(f"cannot stat: {exc.strerror or exc}") from exc
    result["size"] = st.st_size
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile()
    if st.st_size <= limits.max_bytes:
        result["sha256"], head = hash_and_head(path)
    else:  # hashing gigabytes of a file that extract will refuse anyway is waste
        head = _read_head(path)
    result["kind"] = kind = identify(head, path.name)
    extraction = extract(path, kind, limits)
    result.update(
        pages=extraction.pages,
        pages_read=extraction.pages_read,
        warnings=list(extraction.warnings),
        needs_ocr=extraction.needs_ocr,
    )
    einvoice = _einvoice(extraction, result)
    if einvoice is not None:
        _from_einvoice(einvoice, extraction.text, rules, result)
        return
    if extraction.needs_ocr:
        text = _ocr(path, options, result)
        if text is None:
            _needs_ocr(result)
            return
        extraction = Extraction(text, extraction.pages, extraction.pages_read, True)
    _classify(extraction, path.name, rules, result)


def _einvoice(extraction: Extraction, result: dict[str, Any]) -> EInvoice | None:
    """The first XML that is an invoice; unsafe XML is refused and said so, never expanded."""
    for name, data in extraction.xml:
        try:
            found = parse_einvoice(data)
        except UnsafeXml as exc:
            where = f"attachment {name}" if name else "XML"
            result["warnings"].append(f"{where}: {exc}")
            result.setdefault("_signals", []).append("xml:refused")
            continue
        if found is not None:
            return found
    return None


def _from_einvoice(einvoice: EInvoice, text: str, rules: Rules, result: dict[str, Any]) -> None:
    # The XML decides type and fields; the page text may add what the XML leaves out (a
    # VAT id in the footer) and flags such as "paid" that routes look for.
    fields = extract_fields(text, einvoice.doc_type) if text.strip() else {}
    fields.update(einvoice.fields)
    signals = [*einvoice.signals, *result.pop("_signals", []), *flag_signals(text, rules)]
    iban = einvoice.fields.get("iban")
    if iban is not None and not iban_valid(str(iban["value"])):
        signals.append("xml:iban_checksum_failed")
    routing, rule = route(einvoice.doc_type, fields, signals, rules)
    result.update(
        doc_type=einvoice.doc_type,
        confidence=EINVOICE_CONFIDENCE,
        signals=signals,
        fields=fields,
        routing=routing,
        routing_rule=rule,
    )


def _ocr(path: Path, options: OcrOptions, result: dict[str, Any]) -> str | None:
    """OCR text of a scan, or None with the reason recorded in signals and warnings."""
    if not options.enabled:
        status = "ocr:disabled" if ocr.available_tool() else "ocr:unavailable"
        result.setdefault("_signals", []).append(status)
        return None
    outcome = ocr.run_ocr(
        path,
        timeout_seconds=options.timeout_seconds,
        languages=options.languages,
        pages=options.pages,
    )
    result.setdefault("_signals", []).append(outcome.signal)
    if outcome.status != "done":
        result["warnings"].append(f"OCR {outcome.status}: {outcome.detail}".strip())
        return None
    if len(outcome.text.strip()) < MIN_OCR_CHARS:
        result["warnings"].append("OCR found no text")
        return None
    return outcome.text


def _classify(extraction: Extraction, filename: str, rules: Rules, result: dict[str, Any]) -> None:
    classification = classify(extraction.text, filename, rules)
    fields = extract_fields(extraction.text, classification.doc_type)
    signals = [*classification.signals, *result.pop("_signals", [])]
    routing, rule = route(classification.doc_type, fields, signals, rules)
    result.update(
        doc_type=classification.doc_type,
        confidence=classification.confidence,
        signals=signals,
        fields=fields,
        routing=routing,
        routing_rule=rule,
    )


def _needs_ocr(result: dict[str, Any]) -> None:
    # No text layer is a property of the document, not an error: a person (or a later OCR
    # step) takes it from the inbox.
    result.update(
        doc_type=UNKNOWN,
        needs_ocr=True,
        signals=["needs_ocr", *result.pop("_signals", [])],
        routing=Routing.INBOX,
        routing_rule="needs_ocr",
    )


def hash_and_head(path: Path) -> tuple[str, bytes]:
    """SHA-256 of the file and its first bytes, in one pass that never follows a symlink."""
    digest = hashlib.sha256()
    head = b""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            while chunk := fh.read(HASH_CHUNK_BYTES):
                if not head:
                    head = chunk[:HEAD_BYTES]
                digest.update(chunk)
    except OSError as exc:
        raise UnreadableDocument(f"read failed: {exc.strerror or exc}") from exc
    return digest.hexdigest(), head


def _read_head(path: Path) -> bytes:
    try:
        return read_head(path)
    except OSError as exc:
        raise UnreadableDocument(f"read failed: {exc.strerror or exc}") from exc


def _fail(result: dict[str, Any], code: str, message: str) -> None:
    result.update(
        error=FileError(code=code, message=message[:MAX_MESSAGE_CHARS]),
        doc_type=UNKNOWN,
        confidence=0.0,
        routing=Routing.INBOX,
        routing_rule=f"error:{code}",
    )
