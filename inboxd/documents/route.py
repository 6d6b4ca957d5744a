"""Where a classified document goes: a pure function of its type, fields, signals and rules."""

from __future__ import annotations

from typing import Any

from inboxd.documents.rules import UNKNOWN, Route, Rules
from inboxd.models import Routing


def route(
    doc_type: str, fields: dict[str, Any], signals: list[str], rules: Rules
) -> tuple[Routing, str]:
    """The routing and the name of the rule that decided it.

    The first ``[[route]]`` whose conditions all hold wins (``route:<name>``); otherwise the
    type's own routing (``type:<name>``); an unknown or undefined type gets the fallback
    (``type:unknown``), which by default sends it to a person.
    """
    for candidate in rules.routes:
        if _matches(candidate, doc_type, fields, signals):
            return candidate.routing, f"route:{candidate.name}"
    doc = rules.type_named(doc_type)
    if doc is None:
        return rules.thresholds.unknown_routing, f"type:{UNKNOWN}"
    return doc.routing, f"type:{doc.name}"


def signal_name(signal: str) -> str:
    """``phrase:paid(+3.0, title)`` -> ``phrase:paid``: routes name signals without details."""
    return signal.split("(", 1)[0]


def _matches(candidate: Route, doc_type: str, fields: dict[str, Any], signals: list[str]) -> bool:
    if candidate.doc_types and doc_type not in candidate.doc_types:
        return False
    names = {signal_name(s) for s in signals}
    if candidate.signal is not None and candidate.signal not in names:
        return False
    if candidate.unless_signal is not None and candidate.unless_signal in names:
        return False
    return candidate.field is None or fields.get(candidate.field) is not None
