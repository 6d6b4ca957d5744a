"""Hostile PDFs made on the fly: valid structure, pathological content."""

from __future__ import annotations

import zlib
from pathlib import Path


def _pdf_with_stream(path: Path, content: bytes) -> Path:
    """A one-page PDF whose page content is ``content``, Flate-compressed."""
    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def slow_pdf(path: Path, operators: int = 400_000) -> Path:
    """Small on disk, but its text extraction runs through many thousands of operators."""
    return _pdf_with_stream(path, b"BT /F1 9 Tf 10 10 Td (x) Tj ET\n" * operators)


def balloon_pdf(path: Path, megabytes: int = 400) -> Path:
    """A few hundred KB on disk that inflates to ``megabytes`` of content stream."""
    return _pdf_with_stream(path, b"BT (" + b"A" * (megabytes * 2**20) + b") Tj ET")
