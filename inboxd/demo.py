"""The sample folder ``make run`` drops on a first start: three small real PDFs.

The PDFs are written here by a minimal writer (one Helvetica text page each) so the demo
needs nothing beyond the package, and a newcomer sees a finished job within seconds.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from inboxd.inbox import folders

SAMPLE_FOLDER = "sample-documents"
DROPPED_MARKER = ".demo-sample-dropped"

SAMPLES: dict[str, list[str]] = {
    "invoice-2026-0042.pdf": [
        "INVOICE",
        "Northwind Office Supplies Ltd, 12 Harbour Road, Leeds LS1 4AB",
        "Invoice number: INV-2026-0042",
        "Invoice date: 14 November 2026",
        "Due date: 14 December 2026",
        "Bill to: Example GmbH, Hauptstrasse 5, 10115 Berlin",
        "Description                     Qty    Unit price    Amount",
        "Printer paper A4, 5 reams        4        24.50       98.00",
        "Toner cartridge black            2        61.25      122.50",
        "Subtotal: 220.50 EUR",
        "VAT 20%: 44.10 EUR",
        "Total amount due: 264.60 EUR",
        "Please pay by bank transfer to IBAN DE89 3704 0044 0532 0130 00",
        "Payment terms: 30 days net. Thank you for your business.",
    ],
    "receipt-cafe.pdf": [
        "RECEIPT",
        "Cafe Lindenhof, Marktplatz 3, 79098 Freiburg",
        "Date: 02.12.2026 08:41",
        "2 x Cappuccino              7.80",
        "1 x Croissant               2.60",
        "Total                      10.40 EUR",
        "Paid by card (VISA ****4421)",
        "Thank you for your visit - please keep this receipt",
    ],
    "letter-landlord.pdf": [
        "Maple Street Housing Co-operative",
        "44 Maple Street, Springfield",
        "1 December 2026",
        "Dear tenant,",
        "we are writing to let you know that the staircase in your building will be",
        "repainted between 7 and 11 December. Please keep the hallway clear of bicycles",
        "and boxes during that week.",
        "If you have any questions, do not hesitate to contact us.",
        "Yours sincerely,",
        "Jane Doe, Building Manager",
    ],
}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF showing ``lines`` in Helvetica (Latin-1 text)."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for i, line in enumerate(lines):
        ops.append(
            f"({_escape(line)}) Tj T*" if i else f"/F1 16 Tf ({_escape(line)}) Tj T* /F1 11 Tf"
        )
    ops.append("ET")
    return page_pdf("\n".join(ops).encode("latin-1"))


def page_pdf(content: bytes, flate: bool = False) -> bytes:
    """A one-page PDF whose page content stream is ``content`` (Flate-compressed if asked)."""
    stream = zlib.compress(content, 9) if flate else content
    filters = b" /Filter /FlateDecode" if flate else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), filters) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
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
    return bytes(out)


def drop_sample(inbox: Path, root: Path) -> Path | None:
    """Drop the sample folder once per tree (staged hidden, then renamed in one step)."""
    marker = root / DROPPED_MARKER
    if marker.exists():
        return None
    staging = inbox / f".{SAMPLE_FOLDER}.staging"
    staging.mkdir(parents=True, exist_ok=True)
    for name, lines in SAMPLES.items():
        (staging / name).write_bytes(text_pdf(lines))
    target = folders.publish_as(staging, SAMPLE_FOLDER)
    marker.touch()
    return target
