"""What a file is, decided by its first bytes rather than its name.

A scanner names a TIFF ``scan.pdf`` and users rename files freely, so the extension is only
trusted to break the tie between "text" and "binary" for bytes that could be either.
"""

from __future__ import annotations

import codecs
import os
import zipfile
from io import BytesIO
from pathlib import Path

HEAD_BYTES = 8192  # enough for every magic number and a fair sample of a text file
PDF_MAGIC_WINDOW = 1024  # Acrobat accepts "%PDF-" anywhere in the first KiB (junk before it)
TEXT_SUFFIXES = (".txt", ".csv", ".md", ".text")
# Share of printable characters above which an unnamed file is "clearly text".
TEXT_PRINTABLE_SHARE = 0.95

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
_WHITESPACE = frozenset(b"\t\n\r\x0c")
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    """The first ``n`` bytes of ``path`` (fewer if the file is shorter)."""
    # O_NOFOLLOW: a symlink swapped in after the caller's lstat must not be followed.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        return fh.read(n)


def identify(head: bytes, name: str) -> str:
    """The kind of a file from its first bytes; ``name`` only helps tell text from binary."""
    if not head:
        return "empty"
    if b"%PDF-" in head[:PDF_MAGIC_WINDOW]:
        return "pdf"
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    if head.startswith(_ZIP_MAGICS):
        return _zip_kind(head)
    if _looks_like_xml(head):
        return "xml"
    if _is_text(head, name):
        return "text"
    return "binary"


def _zip_kind(head: bytes) -> str:
    """docx/xlsx/odt when the member names in the head say so, else plain "zip"."""
    # The central directory sits at the end of the file, out of reach of the head; the first
    # local header's name ("[Content_Types].xml", "mimetype") and the odt mimetype payload
    # usually are inside it, which is the cheap check the brief asks for.
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head:
        return "odt"
    if b"word/" in head:
        return "docx"
    if b"xl/" in head:
        return "xlsx"
    try:  # a small zip may fit entirely in the head
        names = zipfile.ZipFile(BytesIO(head)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return "zip"


def _looks_like_xml(head: bytes) -> bool:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped.startswith(b"<?xml")


def _is_text(head: bytes, name: str) -> bool:
    if b"\x00" in head:
        return False
    named_text = name.lower().endswith(TEXT_SUFFIXES)
    try:
        # The head may cut a multi-byte character in half: an incremental decoder that is
        # not told "final" keeps an incomplete tail instead of failing on it.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        decodes = True
    except UnicodeDecodeError:
        decodes = False
    share = _printable_share(head)
    if named_text:
        return decodes or share >= TEXT_PRINTABLE_SHARE - 0.15
    return decodes and share >= TEXT_PRINTABLE_SHARE


def _printable_share(head: bytes) -> float:
    """Share of bytes that are printable Latin-1 or ordinary whitespace."""
    good = sum(1 for b in head if (b >= 0x20 and b != 0x7F) or b in _WHITESPACE)
    return good / len(head)
