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


def with_attachment(path: Path, source: Path, name: str, data: bytes) -> Path:
    """``source`` copied to ``path`` with an embedded file (as Factur-X embeds its XML)."""
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.add_attachment(filename=name, data=data)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def order_confirmation_pdf(path: Path) -> Path:
    """Looks like an invoice (number, total) but says it is not one."""
    return make_pdf(
        path,
        [
            "Northwind Traders Ltd, 5 Dock Road, Leeds",
            "Thank you for your order!",
            "Order number: SO-88231   Order date: 12 March 2026",
            "Item                     Qty   Price",
            "Desk lamp                 2    24.50",
            "Subtotal: 49.00 GBP",
            "Total: 58.80 GBP",
            "This is not an invoice. Your invoice will follow with the delivery.",
        ],
        title="Order Confirmation",
    )


def reminder_pdf(path: Path) -> Path:
    """A dunning letter that quotes the invoice it is about."""
    return make_pdf(
        path,
        [
            "Muster GmbH - Bahnhofstrasse 5 - 10115 Berlin",
            "Berlin, den 02.04.2026",
            "Sehr geehrte Damen und Herren,",
            "unsere Rechnung Nr. RE-2026-117 vom 03.03.2026 ist seit dem 17.03.2026",
            "überfällig. Offener Betrag: 1.234,56 EUR",
            "Bitte überweisen Sie den Betrag bis zum 16.04.2026.",
            "Mit freundlichen Grüßen",
        ],
        title="Zahlungserinnerung",
    )


def credit_note_pdf(path: Path) -> Path:
    return make_pdf(
        path,
        [
            "Fournisseur SARL - 12 rue de la Paix - 75002 Paris",
            "Avoir n° AV-2026-0005 du 16 mars 2026",
            "Remboursement de la facture F-2026-0099",
            "Total HT : -194,56 EUR",
            "TVA 20% : -38,91 EUR",
            "Total TTC : -233,47 EUR",
        ],
        title="Avoir",
    )


def us_invoice_pdf(path: Path) -> Path:
    """Month-first dates and 1,234.56 amounts."""
    return make_pdf(
        path,
        [
            "Acme Corp., 500 Market St, San Francisco, CA 94105",
            "Invoice #: 2026-0412",
            "Invoice Date: 04/12/2026",
            "Due Date: 05/12/2026",
            "Subtotal $ 1,150.00",
            "Sales Tax $ 84.56",
            "Total $ 1,234.56",
            "Amount Due $ 1,234.56",
        ],
        title="INVOICE",
    )


def localized_invoice_pdf(path: Path, language: str) -> Path:
    """One small invoice per language, with its own labels, date and decimal conventions."""
    lines, title = _LOCALIZED[language]
    return make_pdf(path, lines, title=title)


_LOCALIZED: dict[str, tuple[list[str], str]] = {
    "fr": (
        [
            "Le Fournisseur SAS - 3 place du Marche - 69001 Lyon",
            "Numero de facture : F-2026-031",
            "Date de facture : 5 mars 2026",
            "Date d'echeance : 4 avril 2026",
            "Total HT : 1 000,00 EUR",
            "TVA 20% : 200,00 EUR",
            "Total TTC : 1 200,00 EUR",
            "Net a payer : 1 200,00 EUR",
        ],
        "FACTURE",
    ),
    "es": (
        [
            "Proveedor S.L. - Calle Mayor 1 - 28013 Madrid",
            "Factura n.: 2026/118",
            "Fecha de factura: 7 de marzo de 2026",
            "Base imponible: 500,00 EUR",
            "IVA 21%: 105,00 EUR",
            "Importe total: 605,00 EUR",
        ],
        "FACTURA",
    ),
    "it": (
        [
            "Fornitore S.r.l. - Via Roma 10 - 00184 Roma",
            "Fattura n. 77/2026",
            "Data fattura: 9 marzo 2026",
            "Imponibile: 100,00 EUR",
            "IVA 22%: 22,00 EUR",
            "Totale documento: 122,00 EUR",
        ],
        "FATTURA",
    ),
    "nl": (
        [
            "Leverancier B.V. - Kerkstraat 1 - 1017 GA Amsterdam",
            "Factuurnummer: 2026-0042",
            "Factuurdatum: 11 maart 2026",
            "Subtotaal: 250,00 EUR",
            "BTW 21%: 52,50 EUR",
            "Totaal: 302,50 EUR",
            "IBAN: NL91 ABNA 0417 1643 00",
        ],
        "FACTUUR",
    ),
}
