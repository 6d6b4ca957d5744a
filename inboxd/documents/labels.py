"""Values next to their labels, wherever PDF text extraction put them.

pypdf keeps a label and its value on one line in reading order ("Invoice date: 3 May
2026"), but right-aligned or tabular layouts come out differently, and all three shapes
below are common in real invoices:

* after the label on the same line:      ``Rechnungsnummer: RE-117``
* before the label on the same line:     ``993548900Factuurnummer:`` (value drawn first)
* on the next line(s), label alone:      ``Invoice Date:`` / ``03/20/2023``

``find_labelled`` tries them in that order for each label occurrence, first occurrence
first.  A value function turns a piece of text into a value (or None) and says where it
ended, so callers decide what a value looks like (a date, an amount, a number).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

SNIPPET_CHARS = 80
AFTER_CHARS = 60  # a value further right than this on the label's line belongs to a column
NEXT_LINES = 2  # non-empty lines looked at below a label that ends its line
# What may stand between a label and its value: "Invoice No.: # 123", "Datum :", "N°".
# A "-" right before a digit is a minus sign, not a separator ("Total: -233,47").
_SEPARATORS = re.compile(
    r"^(?:[\s:#.\u2013=]|-(?!\d))*(?:n[°ºo]\.?\s*)?(?:[\s:#.\u2013=]|-(?!\d))*", re.IGNORECASE
)
_LABEL_ENDS_LINE = re.compile(r"^[\s:#.\-\u2013=()]*$")
# What may precede a value at the start of a line below its label: "# 123", "$ 279.84".
_LEAD = re.compile(r"[\s:#]*(?:[$€£¥₹]|Rs\.?|[A-Z]{3})?[\s:#]*")

# (value, start, end) of the value in the piece of text given; None when there is none.
ValueFinder = Callable[[str], tuple[object, int, int] | None]


@dataclass(frozen=True)
class Labelled:
    value: object
    snippet: str
    where: str  # "after", "before" or "below": how the value stood to its label
    position: int


def snippet(text: str) -> str:
    return " ".join(text.split())[:SNIPPET_CHARS]


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, end if end >= 0 else len(text)


def find_labelled(
    text: str,
    label: re.Pattern[str],
    first_value: ValueFinder,
    last_value: ValueFinder | None = None,
    *,
    below: int = NEXT_LINES,
    gap: int = 2,
    slack: int = 0,
) -> Labelled | None:
    """The first value found beside an occurrence of ``label``.

    ``first_value`` finds the value nearest the start of a piece of text (used after and
    below the label); ``last_value`` the one nearest its end (used before it), defaulting
    to ``first_value``.  After the label, the value must start within ``gap`` characters
    (past separators such as ":" or "No."), so a label is not paired with a far-off column;
    before it, at most ``slack`` characters may stand between the value and the label
    ("29.99 € TTC" before "Somme à payer").
    """
    last_value = last_value or first_value
    for match in label.finditer(text):
        found = _beside(text, match, (first_value, last_value), below, (gap, slack))
        if found is not None:
            return found
    return None


def _beside(
    text: str,
    match: re.Match[str],
    finders: tuple[ValueFinder, ValueFinder],
    below: int,
    limits: tuple[int, int],
) -> Labelled | None:
    first_value, last_value = finders
    gap, slack = limits
    line_start, line_end = line_bounds(text, match.start())
    rest = text[match.end() : line_end]
    lead = _SEPARATORS.match(rest)
    skip = lead.end() if lead else 0
    after = rest[skip : skip + AFTER_CHARS]
    if after.strip():
        hit = first_value(after)
        if hit is not None and hit[1] <= gap:
            line = text[line_start:line_end]
            return Labelled(hit[0], snippet(line), "after", match.end() + skip + hit[1])
    if not _LABEL_ENDS_LINE.match(rest):
        return None
    before = text[line_start : match.start()]
    if before.strip():
        hit = last_value(before)
        if hit is not None and len(before[hit[2] :].strip(" :\t")) <= slack:
            return Labelled(hit[0], snippet(text[line_start:line_end]), "before", line_start)
    if before.strip():
        return None  # a column header ("Qty Price Total"), not a label above its value
    return _below(text, line_end, first_value, below, match.start())


def _below(
    text: str, pos: int, first_value: ValueFinder, lines: int, label_pos: int
) -> Labelled | None:
    """A value at the start of one of the next ``lines`` non-empty lines."""
    seen = 0
    while seen < lines and pos < len(text):
        start = pos + 1
        end = text.find("\n", start)
        end = end if end >= 0 else len(text)
        line = text[start:end]
        pos = end
        if not line.strip(" \t:") or _LEAD.fullmatch(line):
            continue  # blank, or a currency sign alone ("$" above "279.84")
        seen += 1
        hit = first_value(line)
        if hit is not None and _LEAD.fullmatch(line[: hit[1]]):
            label_line = text[line_bounds(text, label_pos)[0] : start]
            return Labelled(hit[0], snippet(f"{label_line} {line}"), "below", start + hit[1])
    return None
