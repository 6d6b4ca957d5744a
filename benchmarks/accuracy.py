"""Accuracy: the pipeline over the labelled corpus, scored against its MANIFEST.csv.

Prints accuracy per manifest label (all documents, and those with a text layer), the
confusion matrix (label x doc_type), exact-match rates of the fields the manifest provides,
and files/s of the pipeline itself (no daemon, no store).

    .venv/bin/python benchmarks/accuracy.py [--corpus DIR] [--all] [--misses]

``--all`` adds the ``odd/`` files (scans, broken and encrypted PDFs) to ``docs/``;
``--misses`` lists every wrong type and every wrong or missing field.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

CORPUS = Path(
    os.environ.get("CORPUS_DIR") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)

# Manifest label -> the doc_types that count as right (the mapping of the issue).
ACCEPTED = {
    "invoice": {"invoice"},
    "einvoice": {"invoice", "credit_note"},
    "receipt": {"receipt"},
    "statement": {"bank_statement", "credit_card_statement"},
    "contract": {"contract"},
    "letter": {"letter"},
    "payslip": {"payslip"},
    "tax_form": {"tax_document"},
    "other": {"other", "letter", "order_confirmation", "delivery_note", "contract", "unknown"},
    "unknown": {"unknown"},
}
# Manifest expected_fields key -> our field name.
FIELD_MAP = {
    "invoice_number": "invoice_number",
    "total": "total_amount",
    "date": "issue_date",
    "currency": "currency",
    "iban": "iban",
    "amount_due": "amount_due",
    "vendor": "sender",
}
_LOOSE = re.compile(r"[\W_]+")
_LEGAL_FORMS = {"gmbh", "ag", "bv", "b", "v", "ltd", "inc", "llc", "sa", "sas", "sarl", "co"}


@dataclass
class Row:
    path: str
    label: str
    text_layer: bool
    expected: dict[str, str]


@dataclass
class Score:
    types: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (label, right)
    text_types: Counter[tuple[str, bool]] = field(default_factory=Counter)
    confusion: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    fields: Counter[tuple[str, bool]] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)


def read_manifest(corpus: Path, include_odd: bool) -> list[Row]:
    rows = []
    with (corpus / "MANIFEST.csv").open(newline="", encoding="utf-8") as f:
        for raw in csv.DictReader(f):
            if not include_odd and not raw["path"].startswith("docs/"):
                continue
            expected = json.loads(raw["expected_fields"]) if raw["expected_fields"] else {}
            rows.append(Row(raw["path"], raw["label"], raw["has_text_layer"] == "yes", expected))
    return rows


def field_matches(key: str, expected: str, got: Any) -> bool:
    """The issue's comparison: exact, except IBAN (spaces ignored) and vendor (loosely)."""
    if got is None:
        return False
    got = str(got)
    if key == "iban":
        return expected.replace(" ", "").upper() == got.replace(" ", "").upper()
    if key in ("total", "amount_due"):
        try:
            return Decimal(expected) == Decimal(got)
        except InvalidOperation:
            return False
    if key == "vendor":
        return _loose(expected, got)
    return expected.strip() == got.strip()


def _loose(expected: str, got: str) -> bool:
    """Same company: one name's significant words contain the other's (case, punctuation)."""
    a = set(_LOOSE.sub(" ", expected.casefold()).split()) - _LEGAL_FORMS
    b = set(_LOOSE.sub(" ", got.casefold()).split()) - _LEGAL_FORMS
    return bool(a and b) and (a <= b or b <= a)


def score(corpus: Path, rows: list[Row]) -> tuple[Score, float, int]:
    from inboxd.documents.extract import ExtractLimits
    from inboxd.documents.rules import load_rules
    from inboxd.pipeline import process_file

    rules, limits = load_rules(None), ExtractLimits()
    s = Score()
    started = time.perf_counter()
    for row in rows:
        result = process_file(corpus / row.path, row.path, rules, limits)
        right = result.doc_type in ACCEPTED.get(row.label, {row.label})
        s.types[(row.label, right)] += 1
        if row.text_layer:
            s.text_types[(row.label, right)] += 1
        s.confusion[row.label][result.doc_type] += 1
        if not right:
            s.misses.append(f"type  {row.path}: {row.label} -> {result.doc_type}")
        for key, expected in row.expected.items():
            if key not in FIELD_MAP:
                continue
            found = result.fields.get(FIELD_MAP[key])
            got = found.get("value") if isinstance(found, dict) else None
            ok = field_matches(key, expected, got)
            s.fields[(key, ok)] += 1
            if not ok:
                s.misses.append(f"field {row.path}: {key} expected {expected!r} got {got!r}")
    return s, time.perf_counter() - started, len(rows)


def _rate(counter: Counter[tuple[str, bool]], key: str) -> tuple[int, int]:
    return counter[(key, True)], counter[(key, True)] + counter[(key, False)]


def report(s: Score, seconds: float, files: int, show_misses: bool) -> None:
    labels = sorted({label for label, _ in s.types})
    print(f"{'label':<10} {'all':>9} {'text layer':>11}")
    for label in labels:
        r, n = _rate(s.types, label)
        tr, tn = _rate(s.text_types, label)
        print(f"{label:<10} {r:>4}/{n:<4} {tr:>5}/{tn:<5}")
    right = sum(c for (_, ok), c in s.types.items() if ok)
    t_right = sum(c for (_, ok), c in s.text_types.items() if ok)
    t_all = sum(s.text_types.values())
    print(f"{'TOTAL':<10} {right:>4}/{files:<4} {t_right:>5}/{t_all:<5}", end="  ")
    print(f"types right: {right / files:.1%} all, {t_right / max(t_all, 1):.1%} with text layer")

    types = sorted({t for counts in s.confusion.values() for t in counts})
    short = {t: t[:8] for t in types}
    print("\nconfusion (rows: manifest label, columns: doc_type)")
    print(f"{'':<10}" + "".join(f"{short[t]:>9}" for t in types))
    for label in labels:
        cells = "".join(f"{s.confusion[label][t] or '.':>9}" for t in types)
        print(f"{label:<10}{cells}")

    print("\nfields (exact match where the manifest has a value)")
    f_right = f_all = 0
    for key in FIELD_MAP:
        r, n = _rate(s.fields, key)
        if n:
            print(f"  {key:<15} -> {FIELD_MAP[key]:<15} {r:>3}/{n:<3} {r / n:.0%}")
            f_right, f_all = f_right + r, f_all + n
    print(f"  {'ALL':<34} {f_right:>3}/{f_all:<3} {f_right / max(f_all, 1):.1%}")
    print(f"\n{files} files in {seconds:.2f} s: {files / seconds:.1f} files/s")
    if show_misses:
        print("\nmisses")
        for line in s.misses:
            print(f"  {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--all", action="store_true", help="also score the odd/ files")
    parser.add_argument("--misses", action="store_true", help="list wrong types and fields")
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.csv").is_file():
        print(f"no MANIFEST.csv under {args.corpus}", file=sys.stderr)
        return 2
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # repairs are not the point here
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=False,
    )
    rows = read_manifest(args.corpus, args.all)
    s, seconds, files = score(args.corpus, rows)
    report(s, seconds, files, args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
