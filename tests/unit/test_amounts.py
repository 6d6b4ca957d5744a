"""amounts: decimal strings from both conventions, currencies, IBAN checks, masking."""

from __future__ import annotations

import pytest

from inboxd.documents.amounts import (
    amounts_in,
    currencies_in,
    iban_valid,
    ibans_in,
    main_currency,
    mask,
    parse_amount,
)


@pytest.mark.parametrize(
    ("line", "values"),
    [
        ("Gesamtbetrag: 1.234,56 EUR", ["1234.56"]),
        ("Total $1,234.56", ["1234.56"]),
        ("Total 1 234,56 €", ["1234.56"]),
        ("Summe CHF 1'234.50", ["1234.50"]),
        ("Total TTC : -233,47 EUR", ["-233.47"]),
        ("Grand Total Rs 1939", ["1939.00"]),  # a whole amount next to its currency
        ("Qty 3 at 12.50 = 37.50", ["12.50", "37.50"]),
        ("VAT 20.00% 63.00", ["63.00"]),  # a percentage is no amount
        ("Invoice 2026-03-15 item 42", []),  # dates and bare numbers are not amounts
        ("Seite 1/2 Artikel 4711", []),
    ],
)
def test_amounts_in_lines(line: str, values: list[str]) -> None:
    """Amounts come out as decimal strings whatever the grouping and decimal convention."""
    assert [value for _, _, value in amounts_in(line)] == values


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("12,00 € and 3.00 EUR", ["EUR", "EUR"]),
        ("$ 4.11 US$ 2.00", ["USD", "USD"]),
        ("£5 and Rs 10 and CHF 3", ["GBP", "INR", "CHF"]),
        ("Try the php tips; rs is no currency", []),  # words are not codes
        ("All amounts in Euro", ["EUR"]),
    ],
)
def test_currencies(text: str, codes: list[str]) -> None:
    """Signs, ISO codes and currency words become ISO 4217 codes; look-alike words do not."""
    assert currencies_in(text) == codes


def test_main_currency_is_the_most_frequent() -> None:
    """The most frequent currency wins; the first mentioned breaks a tie."""
    assert main_currency("$1 EUR 2 EUR 3") == "EUR"
    assert main_currency("GBP 1 EUR 2") == "GBP"
    assert main_currency("no money here") is None


def test_parse_amount_rejects_non_numbers() -> None:
    """Text that is no number is not an amount."""
    assert parse_amount("-") is None and parse_amount("12,5x") is None


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("DE89 3704 0044 0532 0130 00", True),
        ("NL91ABNA0417164300", True),
        ("FR14 2004 1010 0505 0001 3M02 606", True),
        ("DE89 3704 0044 0532 0130 01", False),  # mod-97 fails
        ("DE8937040044053201300", False),  # wrong length for DE
        ("US1234567890", False),
    ],
)
def test_iban_checksum(iban: str, valid: bool) -> None:
    """IBANs are checked by country length and ISO 13616 mod-97."""
    assert iban_valid(iban) is valid


def test_ibans_in_text_stop_before_the_next_word() -> None:
    """An IBAN followed by more characters is cut to its valid length."""
    found = ibans_in("IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX")
    assert [iban for _, _, iban in found] == ["DE89370400440532013000"]


def test_mask_keeps_the_last_four() -> None:
    """Account numbers are masked but for their last four characters."""
    assert mask("DE89 3704 0044 0532 0130 00") == "*" * 18 + "3000"
    assert mask("123") == "123"
