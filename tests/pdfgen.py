"""Small real PDFs for tests, written with fpdf2 so the suite needs no shared corpus.

fpdf2's core fonts (Helvetica) are Latin-1 only: "€" cannot be written, so amounts say EUR.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pypdf import PdfReader, PdfWriter

LINE_HEIGHT_MM = 6


def make_pdf(path: Path, lines: list[str], title: str | None = None, pages: int = 1) -> Path:
    """A PDF whose every page carries ``title`` (bold) and then ``lines``."""
    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    for number in range(1, pages + 1):
        pdf.add_page()
        if title:
            pdf.set_font("Helvetica", style="B", size=16)
            pdf.cell(text=title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", size=10)
        for line in lines:
            pdf.cell(text=line, new_x=XPos.LMARGIN, new_y=YPos.NEXT, h=LINE_HEIGHT_MM)
        if pages > 1:
            pdf.cell(text=f"Page {number} of {pages}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.output(str(path))
    return path


def invoice_pdf(path: Path) -> Path:
    return make_pdf(
        path,
        [
            "ACME Supplies Ltd, 1 High Street, London",
            "Bill to: Example GmbH, Hauptstrasse 1, Berlin",
            "Invoice number: INV-2026-0042",
            "Invoice date: 03/15/2026",
            "Due date: 04/14/2026",
            "Description            Qty   Price",
            "Paper A4               10    12.50",
            "Toner                   2    95.00",
            "Subtotal: 315.00 USD",
            "VAT 20%: 63.00 USD",
            "Total due: 378.00 USD",
            "Payment terms: 30 days. Please pay by bank transfer.",
        ],
        title="INVOICE",
    )


def german_invoice_pdf(path: Path) -> Path:
    return make_pdf(
        path,
        [
            "Muster GmbH - Bahnhofstrasse 5 - 10115 Berlin",
            "Rechnungsnummer: RE-2026-117",
            "Rechnungsdatum: 03.03.2026",
            "Leistungsdatum: 28.02.2026",
            "Pos. Beschreibung                Menge   Betrag",
            "1    Beratung                      8      1.037,44",
            "Nettobetrag: 1.037,44 EUR",
            "zzgl. 19% MwSt.: 197,12 EUR",
            "Gesamtbetrag: 1.234,56 EUR",
            "Zahlbar bis 17.03.2026 ohne Abzug.",
            "IBAN: DE89 3704 0044 0532 0130 00",
        ],
        title="Rechnung",
    )


def receipt_pdf(path: Path) -> Path:
    return make_pdf(
        path,
        [
            "Corner Coffee Shop, 12 Market Square",
            "2026-03-03 08:14  Terminal 2  Cashier: Anna",
            "Cappuccino          3.20",
            "Croissant           2.10",
            "Subtotal            5.30",
            "Total               5.30 EUR",
            "Paid by VISA ************4242",
            "Auth code 123456",
            "Thank you for your purchase!",
        ],
        title="RECEIPT",
    )


def letter_pdf(path: Path) -> Path:
    return make_pdf(
        path,
        [
            "Jane Doe, 4 Elm Road, Oxford",
            "12 March 2026",
            "Dear Mr Smith,",
            "thank you for your visit last week. As discussed, I am sending you the notes",
            "from our meeting and look forward to hearing from you about the next steps.",
            "We would be glad to welcome you again in the spring.",
            "Yours sincerely,",
            "Jane Doe",
        ],
    )


def bank_statement_pdf(path: Path) -> Path:
    return make_pdf(
        path,
        [
            "First Example Bank - Account statement",
            "Account number 12345678   Sort code 12-34-56",
            "Statement period: 01/02/2026 - 28/02/2026",
            "Opening balance                       1,000.00",
            "03/02  Card purchase Grocer           -45.20",
            "15/02  Salary                       2,500.00",
            "20/02  Withdrawals ATM               -100.00",
            "Closing balance                       3,354.80",
        ],
        title="Bank Statement",
    )


def lorem_pdf(path: Path) -> Path:
    lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."
    return make_pdf(path, [lorem] * 12)


def scanned_pdf(path: Path) -> Path:
    """A page with only a filled rectangle: what a scan without OCR looks like to a parser."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(200, 200, 200)
    pdf.rect(20, 20, 170, 250, style="F")
    pdf.output(str(path))
    return path


def encrypted_pdf(path: Path, password: str = "secret") -> Path:
    plain = path.with_suffix(".plain.pdf")
    invoice_pdf(plain)
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    with path.open("wb") as fh:
        writer.write(fh)
    plain.unlink()
    return path


def corrupt_pdf(path: Path) -> Path:
    """The first bytes of a real PDF: a header and nothing a parser could rebuild."""
    whole = path.with_suffix(".whole.pdf")
    invoice_pdf(whole)
    path.write_bytes(whole.read_bytes()[:40])
    whole.unlink()
    return path
