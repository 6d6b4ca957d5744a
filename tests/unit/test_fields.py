"""fields: invoice number, dates, totals, currency and IBAN from text."""

from __future__ import annotations

import pytest

from inboxd.documents.fields import (
    extract_fields,
    find_iban,
    find_invoice_number,
    find_issue_date,
    find_total,
    iban_valid,
    parse_amount,
)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1234.56", "1234.56"),
        ("0,99", "0.99"),
        ("-233,47", "-233.47"),
        ("1'234.56", "1234.56"),
        ("\u2212 12,00", "-12.00"),
        ("12", "12.00"),
        ("abc", None),
    ],
)
def test_parse_amount(raw: str, value: str | None) -> None:
    """Both decimal conventions (and Swiss, typographic minus) parse to one decimal string."""
    assert parse_amount(raw) == value


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("Subtotal 100.00\nVAT 19.00\nTotal 119.00 EUR", "119.00", "EUR"),
        ("Gesamtbetrag: 1.234,56 EUR\nNettobetrag 1.037,44 EUR", "1234.56", "EUR"),
        ("Total 1,234.56\nAmount due: $ 1,000.00", "1234.56", "USD"),
        ("Rechnungsbetrag € 99,90", "99.90", "EUR"),
        ("Total VAT 19.00\nGrand total £ 119.00", "119.00", "GBP"),
        ("Total\n42.00 CHF", "42.00", "CHF"),
        ("Zwischensumme 10,00\nSumme 11,90 EUR", "11.90", "EUR"),
    ],
)
def test_total_prefers_payable_lines(text: str, value: str, currency: str) -> None:
    """The amount to pay wins over subtotals and tax lines, with its currency."""
    found = find_total(text)
    assert found is not None
    total, cur = found
    assert total["value"] == value and total["source"] == "text"
    assert cur is not None and cur["value"] == currency


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Rechnungsdatum: 03.03.2026", "2026-03-03"),
        ("Invoice date 2026-03-15", "2026-03-15"),
        ("Date: 3 March 2026", "2026-03-03"),
        ("Datum: 3. März 2026", "2026-03-03"),
        ("Date: March 3, 2026", "2026-03-03"),
        ("Date: 15/03/2026", "2026-03-15"),
        ("Date: 03/15/2026", "2026-03-15"),
        ("Date: 03/04/2026 total 5 EUR", "2026-04-03"),
        ("Date: 03/04/2026 total $5", "2026-03-04"),
        ("Date 03/04/2026", None),
        ("le 3 mars 2026", "2026-03-03"),
        ("no date here 99.99.2026", None),
    ],
)
def test_issue_date(text: str, iso: str | None) -> None:
    """Dates become ISO; ambiguous a/b/yyyy only with a currency hint of origin."""
    found = find_issue_date(text)
    assert (found["value"] if found else None) == iso


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Invoice number: INV-2026-0042", "INV-2026-0042"),
        ("Rechnungsnummer: RE-2026-117", "RE-2026-117"),
        ("Rechnungs-Nr. 4711", "4711"),
        ("Invoice # 12345", "12345"),
        ("Facture N° F20260023", "F20260023"),
        ("Rechnung RE1001\nKunden-Nr.: 10000", "RE1001"),
        ("Handelsrechnung (380) Nr. 471102 vom 15.11.2024", "471102"),
        ("Invoice Summary\nAccount 12345", None),
        ("Invoice number: see below", None),
    ],
)
def test_invoice_number(text: str, number: str | None) -> None:
    """The value after an invoice-number label, when it has a digit."""
    found = find_invoice_number(text)
    assert (found["value"] if found else None) == number


@pytest.mark.parametrize(
    ("text", "iban"),
    [
        ("IBAN: DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("IBAN DE89370400440532013000 BIC COBADEFFXXX", "DE89370400440532013000"),
        ("IBAN: GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("IBAN: DE89 3704 0044 0532 0130 01", None),
        ("IBAN: DE00 0000 0000 0000 0000 00", None),
    ],
)
def test_iban_is_checksum_validated(text: str, iban: str | None) -> None:
    """Only IBANs that pass mod-97 are returned, without spaces."""
    found = find_iban(text)
    assert (found["value"] if found else None) == iban


def test_iban_valid_rejects_wrong_length() -> None:
    """A German IBAN must have 22 characters."""
    assert iban_valid("DE89370400440532013000")
    assert not iban_valid("DE8937040044053201300")


def test_fields_have_value_source_and_snippet() -> None:
    """Every field carries its value, source text and a snippet of at most 80 characters."""
    text = (
        "Rechnung\nRechnungsnummer: RE-1\nDatum: 03.03.2026\nGesamtbetrag: 12,00 EUR " + "x" * 100
    )
    fields = extract_fields(text, "invoice")
    assert set(fields) == {"invoice_number", "issue_date", "total_amount", "currency"}
    for field in fields.values():
        assert set(field) == {"value", "source", "text"} and len(field["text"]) <= 80


def test_letters_get_no_invoice_fields() -> None:
    """Number and total are only looked for in commercial documents."""
    text = "Dear Sir,\nInvoice number: 12345 as discussed.\nTotal 12.00 EUR"
    assert "invoice_number" not in extract_fields(text, "letter")
    assert "total_amount" not in extract_fields(text, "letter")


@pytest.mark.parametrize(
    ("text", "number", "iso"),
    [
        # value after its label
        ("Invoice No.: INV-7 \nInvoice Date: 2026-03-15", "INV-7", "2026-03-15"),
        # value drawn before its label (right-aligned layouts)
        ("993548900Factuurnummer: \n19 april 2014Factuurdatum: ", "993548900", "2014-04-19"),
        # label alone, value on the next line(s)
        ("Invoice Number:\n\nA-17\nInvoice Date:\n03/20/2023", "A-17", "2023-03-20"),
        # the date that follows the document number
        ("Facture n°562044387 du 02 Juillet 2015", "562044387", "2015-07-02"),
        ("Rechnung # RE-2017/505 von 09.05.2017\nLeistungsdatum 07.05.2017", "RE-2017/505",
         "2017-05-09"),
    ],
)  # fmt: skip
def test_labelled_values_in_every_layout(text: str, number: str, iso: str) -> None:
    """Labels find their values after, before and below them."""
    fields = extract_fields(text, "invoice")
    assert fields["invoice_number"]["value"] == number
    assert fields["issue_date"]["value"] == iso


def test_a_column_header_is_not_a_label() -> None:
    """ "Qty Product Price Total" over a table row gives no total from that row."""
    text = "Qty Product Price Total\n1.00 Design 160.00\nTotal: 190.40 EUR"
    found = find_total(text)
    assert found is not None and found[0]["value"] == "190.40"


@pytest.mark.parametrize(
    ("text", "total", "due"),
    [
        ("Grand total 1,190.00\nPaid -190.00\nBalance due 1,000.00", "1190.00", "1000.00"),
        ("Total TTC : -233,47 EUR", "-233.47", None),  # a credit keeps its sign
        ("SUMME EUR 39,44\nGesamtbetrag 34,44 2,92 37,36\nSumme 4,27", "39.44", None),
        ("Total\n$ \n279.84", "279.84", None),  # currency sign alone on a line between
        ("29.99 € TTCSomme à payer", "29.99", None),  # value before a French label
    ],
)
def test_total_amount_due_and_subtotals(text: str, total: str, due: str | None) -> None:
    """The grand total and what is left to pay, never a subtotal or a breakdown row."""
    fields = extract_fields(text, "invoice")
    assert fields["total_amount"]["value"] == total
    assert fields.get("amount_due", {}).get("value") == due


def test_due_date_vat_and_vat_id() -> None:
    """Due date, VAT amount and the seller's VAT id come from their labels."""
    text = (
        "Muster GmbH - Bahnhofstr. 5 - 10115 Berlin\nRechnung Nr. 17\nDatum: 03.03.2026\n"
        "Nettobetrag: 100,00 EUR\nzzgl. 19% MwSt.: 19,00 EUR\nGesamtbetrag: 119,00 EUR\n"
        "Zahlbar bis 17.03.2026\nUSt-IdNr.: DE 123 456 789"
    )
    values = {k: v["value"] for k, v in extract_fields(text, "invoice").items()}
    assert values["due_date"] == "2026-03-17"
    assert values["vat_amount"] == "19.00"
    assert values["vat_id"] == "DE123456789"
    assert values["sender"] == "Muster GmbH"


@pytest.mark.parametrize(
    ("text", "sender"),
    [
        ("Bill to: Kunde AG\nStrasse 1\n\nAmazon Web Services, Inc.\nfooter Amazon Web Services,"
         " Inc.", "Amazon Web Services, Inc."),
        ("Seller: Corner Shop\nTotal 3.00", "Corner Shop"),
        ("Bill to:\nKunde AG\nStrasse 1\n\nThanks, Lieferant GmbH", "Lieferant GmbH"),
        ("Lieferant GmbH\nBill to:\nKunde AG\nStrasse 1", "Lieferant GmbH"),
        ("Dear Sir,\nthank you.", None),  # no evidence, no guess
    ],
)  # fmt: skip
def test_sender(text: str, sender: str | None) -> None:
    """The sender comes from a label, the return address or a company name not billed."""
    found = extract_fields(text, "invoice").get("sender")
    assert (found["value"] if found else None) == sender


def test_statement_period_and_masked_account() -> None:
    """A statement gets its period and a masked account number, never the full IBAN."""
    text = (
        "Account statement\nAccount number 12345678\n"
        "Statement period: 01/02/2026 - 28/02/2026\nIBAN DE89 3704 0044 0532 0130 00"
    )
    fields = extract_fields(text, "bank_statement")
    assert fields["period_start"]["value"] == "2026-02-01"
    assert fields["period_end"]["value"] == "2026-02-28"
    assert fields["account_number"]["value"] == "****5678"
    assert "12345678" not in fields["account_number"]["text"]
    assert "iban" not in fields


def test_statement_account_from_iban_is_masked() -> None:
    """Without an account number label, the statement's IBAN is given masked."""
    fields = extract_fields("Kontoauszug\nIBAN DE89 3704 0044 0532 0130 00", "bank_statement")
    assert fields["account_number"]["value"].endswith("3000")
    assert "3704" not in fields["account_number"]["value"] + fields["account_number"]["text"]


@pytest.mark.parametrize(
    ("doc_type", "currency"), [("tax_document", None), ("letter", None), ("invoice", "EUR")]
)
def test_currency_alone_only_for_documents_about_money(doc_type: str, currency: str | None) -> None:
    """A stray currency sign gives a currency to an invoice, not to a tax form or a letter."""
    text = "€ If a profit, enter on line 12\n€ Attach the schedule\nSee instructions"
    found = extract_fields(text, doc_type).get("currency")
    assert (found and found["value"]) == currency
