"""route: type routing, conditional routes, fallback."""

from __future__ import annotations

from typing import Any

import pytest

from inboxd.documents.route import route
from inboxd.documents.rules import Rules, load_rules, parse_rules
from inboxd.models import Routing

RULES = load_rules(None)


@pytest.mark.parametrize(
    ("doc_type", "fields", "signals", "routing", "rule"),
    [
        ("invoice", {}, [], Routing.INBOX, "type:invoice"),
        ("credit_note", {}, [], Routing.INBOX, "type:credit_note"),
        ("reminder", {}, [], Routing.INBOX, "type:reminder"),
        ("receipt", {}, [], Routing.ARCHIVE, "type:receipt"),
        ("bank_statement", {}, [], Routing.ARCHIVE, "type:bank_statement"),
        ("credit_card_statement", {}, [], Routing.ARCHIVE, "type:credit_card_statement"),
        ("payslip", {}, [], Routing.ARCHIVE, "type:payslip"),
        ("contract", {}, [], Routing.INBOX, "type:contract"),
        ("tax_document", {}, [], Routing.INBOX, "type:tax_document"),
        ("letter", {}, [], Routing.INBOX, "type:letter"),
        ("order_confirmation", {}, [], Routing.ARCHIVE, "type:order_confirmation"),
        ("delivery_note", {}, [], Routing.ARCHIVE, "type:delivery_note"),
        ("other", {}, [], Routing.ARCHIVE, "type:other"),
        ("unknown", {}, [], Routing.INBOX, "type:unknown"),
        ("no_such_type", {}, [], Routing.INBOX, "type:unknown"),
        ("invoice", {}, ["flag:paid"], Routing.ARCHIVE, "route:invoice-paid"),
        ("invoice", {}, ["flag:direct_debit"], Routing.ARCHIVE, "route:invoice-direct-debit"),
        ("reminder", {}, ["flag:paid"], Routing.INBOX, "type:reminder"),
        # "Montant déjà payé :" on a bill that says "NET A PAYER": still to be paid
        ("invoice", {}, ["flag:paid", "flag:payable"], Routing.INBOX, "type:invoice"),
    ],
)
def test_default_routing(
    doc_type: str, fields: dict[str, Any], signals: list[str], routing: Routing, rule: str
) -> None:
    """Each type routes as the packaged rules say, and a paid invoice is archived."""
    assert route(doc_type, fields, signals, RULES) == (routing, rule)


def _rules_with_field_route() -> Rules:
    return parse_rules(
        """
        [types.invoice]
        routing = "INBOX"
        phrases = { "invoice" = 3 }
        [[route]]
        name = "with-iban"
        doc_type = "invoice"
        field = "iban"
        signal = "phrase:invoice"
        routing = "ARCHIVE"
        """
    )


@pytest.mark.parametrize(
    ("fields", "signals", "routing"),
    [
        ({"iban": {"value": "DE89370400440532013000"}}, ["phrase:invoice(+6.0, title)"], "ARCHIVE"),
        ({"iban": {"value": "DE89370400440532013000"}}, [], "INBOX"),
        ({}, ["phrase:invoice(+6.0, title)"], "INBOX"),
    ],
)
def test_route_needs_every_condition(
    fields: dict[str, Any], signals: list[str], routing: str
) -> None:
    """A route fires only when its doc_type, field and signal conditions all hold."""
    assert route("invoice", fields, signals, _rules_with_field_route())[0] == routing
