"""identify: kinds from magic bytes, not names."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from inboxd.documents.identify import identify, read_head


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(name, "x")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (b"%PDF-1.7\n", "a.pdf", "pdf"),
        (b"junk before the header %PDF-1.4\n", "a.bin", "pdf"),
        (b"%PDF-1.4\n", "scan.jpg", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "invoice.pdf", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a.pdf", "jpeg"),
        (b"II*\x00\x08\x00", "a.tif", "tiff"),
        (b"MM\x00*\x00\x08", "a.tif", "tiff"),
        (b"GIF89a\x01\x00", "a.gif", "gif"),
        (b"<?xml version='1.0'?><Invoice/>", "x.xml", "xml"),
        (b"Total 12.00 EUR\nThanks\n", "notes.txt", "text"),
        ("Grüße aus München\n".encode(), "mail.md", "text"),
        ("Grüße aus München\n".encode("latin-1"), "mail.csv", "text"),
        (b"plain words in a file without suffix\n", "README", "text"),
        (b"", "empty.pdf", "empty"),
        (b"\x00\x01\x02\x03binary", "a.txt", "binary"),
        (b"\x7fELF\x02\x01\x01\x00", "a.pdf", "binary"),
    ],
)
def test_kind_from_magic_bytes(head: bytes, name: str, kind: str) -> None:
    """The kind follows the bytes; the name only decides text versus binary."""
    assert identify(head, name) == kind


@pytest.mark.parametrize(
    ("names", "kind"),
    [
        (["[Content_Types].xml", "word/document.xml"], "docx"),
        (["[Content_Types].xml", "xl/workbook.xml"], "xlsx"),
        (["a.txt", "b.txt"], "zip"),
    ],
)
def test_zip_containers_are_told_apart(names: list[str], kind: str) -> None:
    """Office files are zips whose member names say which office format they are."""
    assert identify(_zip(names), "upload.bin") == kind


def test_odt_by_its_mimetype_member() -> None:
    """An OpenDocument text starts with its uncompressed mimetype member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<x/>")
    assert identify(buf.getvalue(), "a.odt") == "odt"


def test_read_head_reads_at_most_n_bytes(tmp_path: Path) -> None:
    """read_head returns the first n bytes only."""
    path = tmp_path / "f.bin"
    path.write_bytes(b"a" * 10_000)
    assert read_head(path, 100) == b"a" * 100
