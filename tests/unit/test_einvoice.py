"""einvoice: CII, ZUGFeRD 1 and UBL invoices read exactly; other XML and unsafe XML refused."""

from __future__ import annotations

import pytest

from inboxd.documents.einvoice import UnsafeXml, parse_einvoice, xml_amount, xml_date

CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
  xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocument>
    <ram:ID>RE-2026/17</ram:ID>
    <ram:TypeCode>{code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260131</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Lieferant GmbH</ram:Name>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">201/113/40209</ram:ID>
        </ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Kunde AG</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>GBP</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:PayeePartyCreditorFinancialAccount>
          <ram:IBANID>DE89 3704 0044 0532 0130 00</ram:IBANID>
        </ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20260228</udt:DateTimeString>
        </ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>1000.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">220.00</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="GBP">190.00</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>1190.00</ram:GrandTotalAmount>
        <ram:TotalPrepaidAmount>190.00</ram:TotalPrepaidAmount>
        <ram:DuePayableAmount>1000.00</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""

ZUGFERD1 = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:HeaderExchangedDocument>
    <ram:ID>2014-03</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20140711</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Kraxi GmbH</ram:Name></ram:SellerTradeParty>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:TaxTotalAmount currencyID="EUR">160.55</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">1005.55</ram:GrandTotalAmount>
        <ram:DuePayableAmount currencyID="EUR">1005.55</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
"""

UBL = """<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>INV/2023/03/0008</cbc:ID>
  <cbc:IssueDate>2023-03-20</cbc:IssueDate>
  <cbc:DueDate>2023-04-04</cbc:DueDate>
  <cbc:{root}TypeCode>{code}</cbc:{root}TypeCode>
  <cbc:DocumentCurrencyCode>USD</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>Azure Interior</cbc:Name></cac:PartyName>
    <cac:PartyTaxScheme><cbc:CompanyID>NL810433941B01</cbc:CompanyID></cac:PartyTaxScheme>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyName><cbc:Name>Customer Inc</cbc:Name></cac:PartyName>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans><cac:PayeeFinancialAccount><cbc:ID>NL50INGB0683251309</cbc:ID>
  </cac:PayeeFinancialAccount></cac:PaymentMeans>
  <cac:TaxTotal><cbc:TaxAmount currencyID="USD">16.94</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:TaxExclusiveAmount currencyID="USD">262.90</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="USD">279.84</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="USD">279.84</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
</{root}>
"""

ORDER_X = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:SCRDMCCBDACIOMessageStructure
 xmlns:rsm="urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:128">
  <rsm:ExchangedDocument><ram:ID>PO123456789</ram:ID><ram:TypeCode>220</ram:TypeCode>
  </rsm:ExchangedDocument>
</rsm:SCRDMCCBDACIOMessageStructure>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>&secret;</cbc:ID>
</Invoice>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<CrossIndustryInvoice>&lol9;</CrossIndustryInvoice>
"""


def values(xml: str) -> dict[str, object]:
    found = parse_einvoice(xml.encode())
    assert found is not None
    return {name: field["value"] for name, field in found.fields.items()}


def test_cii_fields_are_taken_exactly_from_the_xml() -> None:
    """A Factur-X/ZUGFeRD 2 invoice yields every field, each marked source xml."""
    found = parse_einvoice(CII.format(code="380").encode())
    assert found is not None and found.doc_type == "invoice" and found.syntax == "CII"
    assert {n: f["value"] for n, f in found.fields.items()} == {
        "invoice_number": "RE-2026/17",
        "issue_date": "2026-01-31",
        "due_date": "2026-02-28",
        "currency": "GBP",
        "sender": "Lieferant GmbH",
        "iban": "DE89370400440532013000",
        "total_amount": "1190.00",
        "amount_due": "1000.00",
        "vat_amount": "190.00",  # in the invoice currency, not the EUR tax currency
        "vat_id": "DE123456789",  # the VA scheme, not the tax office number (FC)
    }
    assert all(f["source"] == "xml" and f["text"] for f in found.fields.values())


@pytest.mark.parametrize(
    ("code", "doc_type"),
    [("380", "invoice"), ("381", "credit_note"), ("389", "invoice"), ("396", "credit_note")],
)
def test_type_code_decides_invoice_or_credit_note(code: str, doc_type: str) -> None:
    """UNTDID 1001 type 381 (and other credit codes) is a credit note."""
    found = parse_einvoice(CII.format(code=code).encode())
    assert found is not None and (found.doc_type, found.type_code) == (doc_type, code)


def test_zugferd1_cross_industry_document() -> None:
    """ZUGFeRD 1.0's CrossIndustryDocument is read; an equal amount due is left out."""
    assert values(ZUGFERD1) == {
        "invoice_number": "2014-03",
        "issue_date": "2014-07-11",
        "currency": "EUR",
        "sender": "Kraxi GmbH",
        "total_amount": "1005.55",
        "vat_amount": "160.55",
    }


def test_ubl_invoice() -> None:
    """A UBL Invoice yields its fields from the supplier party and the monetary total."""
    assert values(UBL.format(root="Invoice", code="380")) == {
        "invoice_number": "INV/2023/03/0008",
        "issue_date": "2023-03-20",
        "due_date": "2023-04-04",
        "currency": "USD",
        "sender": "Azure Interior",
        "iban": "NL50INGB0683251309",
        "total_amount": "279.84",
        "vat_amount": "16.94",
        "vat_id": "NL810433941B01",
    }


def test_ubl_credit_note_root_is_a_credit_note() -> None:
    """A UBL CreditNote document is a credit note whatever its type code."""
    found = parse_einvoice(UBL.format(root="CreditNote", code="381").encode())
    assert found is not None and found.doc_type == "credit_note" and found.syntax == "UBL"


@pytest.mark.parametrize("xml", [ORDER_X, "<report><status>valid</status></report>", "no xml"])
def test_other_xml_is_not_an_invoice(xml: str) -> None:
    """An Order-X purchase order, a validation report or non-XML yield no e-invoice."""
    assert parse_einvoice(xml.encode()) is None


@pytest.mark.parametrize("xml", [XXE, BILLION_LAUGHS])
def test_entities_are_refused_without_expansion(xml: str) -> None:
    """External entities (XXE) and entity bombs are refused before anything is expanded."""
    with pytest.raises(UnsafeXml):
        parse_einvoice(xml.encode())


@pytest.mark.parametrize(
    ("raw", "iso"),
    [("20260131", "2026-01-31"), ("202003311232", "2020-03-31"), ("2023-03-20", "2023-03-20"),
     ("2023-03-20T10:00:00", "2023-03-20"), ("31.01.2026", None)],
)  # fmt: skip
def test_xml_dates(raw: str, iso: str | None) -> None:
    """CII date formats 102 and 203 and ISO dates become ISO dates."""
    assert xml_date(raw) == iso


@pytest.mark.parametrize(
    ("raw", "value"), [("571.04", "571.04"), ("571.0400", "571.04"), ("-233.47", "-233.47"),
                       ("10", "10.00"), ("0.125", "0.125"), ("abc", None), ("NaN", None)]
)  # fmt: skip
def test_xml_amounts(raw: str, value: str | None) -> None:
    """XML decimals keep their value, with at least two decimals."""
    assert xml_amount(raw) == value
