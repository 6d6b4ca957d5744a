"""One file, start to finish: stat, hash, identify, extract, classify, fields, route.

Whatever goes wrong with a file becomes that file's ``error`` entry and an INBOX routing
(a person should look at what inboxd could not handle); it never stops the job.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import structlog

from inboxd.documents.classify import classify
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

log = structlog.get_logger()


def process_file(path: Path, relpath: str, rules: Rules, limits: ExtractLimits) -> FileResult:
    """The classified, routed result for one file; errors are part of the result."""
    result: dict[str, Any] = {"filename": path.name, "path": relpath}
    try:
        _process(path, rules, limits, result)
    except DocumentError as exc:
        _fail(result, exc.code, exc.message)
    # The one broad catch for a file (with the worker's per job and the CLI's per process):
    # parsers raise types nobody documents, and one bad file must not cost the whole job.
    except Exception as exc:
        _fail(result, INTERNAL, f"{type(exc).__name__}: {exc}")
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


def _process(path: Path, rules: Rules, limits: ExtractLimits, result: dict[str, Any]) -> None:
    """Fill ``result`` step by step, so a failure keeps what was learnt before it."""
    try:
        st = os.lstat(path)  # lstat: a symlink is refused below, never followed
    except OSError as exc:
        raise UnreadableDocument(f"cannot stat: {exc.strerror or exc}") from exc
    result["size"] = st.st_size
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile()
    if st.st_size <= limits.max_bytes:
        result["sha256"], head = _hash_and_head(path)
    else:  # hashing gigabytes of a file that extract will refuse anyway is waste
        head = _read_head(path)
    result["kind"] = kind = identify(head, path.name)
    extraction = extract(path, kind, limits)
    result.update(
        pages=extraction.pages, pages_read=extraction.pages_read, warnings=extraction.warnings
    )
    if extraction.needs_ocr:
        _needs_ocr(result)
        return
    _classify(extraction, path.name, rules, result)


def _classify(extraction: Extraction, filename: str, rules: Rules, result: dict[str, Any]) -> None:
    classification = classify(extraction.text, filename, rules)
    fields = extract_fields(extraction.text, classification.doc_type)
    routing, rule = route(classification.doc_type, fields, classification.signals, rules)
    result.update(
        doc_type=classification.doc_type,
        confidence=classification.confidence,
        signals=classification.signals,
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
        signals=["needs_ocr"],
        routing=Routing.INBOX,
        routing_rule="needs_ocr",
    )


def _hash_and_head(path: Path) -> tuple[str, bytes]:
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
