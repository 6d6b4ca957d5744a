"""rules: the packaged file loads; every mistake is a RulesError naming its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxd.documents.rules import load_rules, parse_rules
from inboxd.errors import RulesError
from inboxd.models import Routing

VALID = """
[classify]
min_confidence = 0.4

[types.invoice]
routing = "INBOX"
filename_hints = ["invoice"]
patterns = [{ pattern = 'total\\s+due', weight = 2 }]
[types.invoice.phrases]
"invoice" = 3
[types.invoice.negative]
"quotation" = 4
"""

EXPECTED_TYPES = {
    "invoice", "credit_note", "receipt", "bank_statement", "credit_card_statement", "payslip",
    "contract", "tax_document", "letter", "reminder", "order_confirmation", "delivery_note",
    "other",
}  # fmt: skip


def test_packaged_rules_define_all_types() -> None:
    """The packaged rules define every required type and no rule named unknown."""
    rules = load_rules(None)
    assert {t.name for t in rules.types} == EXPECTED_TYPES
    assert rules.thresholds.unknown_routing is Routing.INBOX


def test_rules_load_from_a_path(tmp_path: Path) -> None:
    """A user's rules file is loaded with its phrases, patterns and negatives compiled."""
    path = tmp_path / "rules.toml"
    path.write_text(VALID, encoding="utf-8")
    invoice = load_rules(path).types[0]
    assert invoice.routing is Routing.INBOX
    assert [m.label for m in invoice.phrases] == ["invoice", "total\\s+due"]
    assert invoice.phrases[0].regex.search("INVOICE no. 1")
    assert [m.label for m in invoice.negative] == ["quotation"]


@pytest.mark.parametrize(
    ("replace", "by", "named"),
    [
        ("'total\\s+due'", "'total(due'", "bad regex"),
        ('routing = "INBOX"', 'routing = "TRASH"', "routing"),
        ('"invoice" = 3', '"invoice" = -3', "'invoice'"),
        ('"invoice" = 3', '"invoice" = "three"', "weight must be a number"),
        ("filename_hints", "filename_hint", "unknown key 'filename_hint'"),
        ("min_confidence = 0.4", "min_confidense = 0.4", "unknown key 'min_confidense'"),
        ("min_confidence = 0.4", "min_confidence = 4", "min_confidence"),
        ('routing = "INBOX"', "", "routing is missing"),
        ("[types.invoice]", "[types.unknown]", "fallback"),
        ("[classify]", "[clasify]", "unknown key 'clasify'"),
        ("weight = 2 }", "weight = 2, wieght = 1 }", "unknown key 'wieght'"),
        ('"invoice" = 3', '"invoice" = 3\n"invoice" = 4', "invalid TOML"),
    ],
)
def test_mistakes_are_refused_by_name(replace: str, by: str, named: str) -> None:
    """A bad regex, routing, weight or a typo'd key raises RulesError naming it."""
    assert replace in VALID
    broken = VALID.replace(replace, by)
    with pytest.raises(RulesError, match=named) as info:
        parse_rules(broken, "my-rules.toml")
    assert info.value.message.startswith("my-rules.toml")
    assert "\n" not in info.value.message


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[classify]\nmin_confidence = 0.5\n", "no \\[types"),
        ('[types.a]\nrouting = "INBOX"\n', "at least one phrase"),
        (
            VALID + '[[route]]\nname = "x"\ndoc_type = "nope"\nrouting = "ARCHIVE"\n',
            "unknown type 'nope'",
        ),
        (VALID + '[[route]]\ndoc_type = "invoice"\nrouting = "ARCHIVE"\n', "name is missing"),
        (VALID + '[flags.paid]\nphrases = ["paid"]\ncolour = 1\n', "unknown key 'colour'"),
    ],
)
def test_structural_mistakes_are_refused(text: str, named: str) -> None:
    """Missing types, empty types and routes to undefined types are refused."""
    with pytest.raises(RulesError, match=named):
        parse_rules(text)


def test_missing_file_is_a_rules_error(tmp_path: Path) -> None:
    """A rules path that does not exist is a RulesError, not an OSError."""
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("rechnungs*", "Die Rechnungsnummer lautet", True),
        ("*rechnung", "W A R E N Teilrechnung", True),
        ("rechnung", "Rechnungsnummer", False),
        ("amount due", "Amount\n  due: 12.00", True),
        ("vat", "private", False),
    ],
)
def test_phrase_matching(phrase: str, text: str, found: bool) -> None:
    """Phrases match whole words, any whitespace, and a * end matches compounds."""
    rules = parse_rules(f'[types.t]\nrouting = "INBOX"\nphrases = {{ "{phrase}" = 1 }}\n')
    assert bool(rules.types[0].phrases[0].regex.search(text)) is found
