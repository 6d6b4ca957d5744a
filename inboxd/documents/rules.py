"""The classification rules: a TOML file, validated completely before the daemon watches.

Rules are data a user edits, so every mistake (a typo'd key, a regex that does not compile,
a routing that is neither INBOX nor ARCHIVE) is refused at load with a one-line message that
names the place, rather than silently ignored and discovered as misfiled documents later.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from inboxd.errors import RulesError
from inboxd.models import Routing

REGEX_FLAGS = re.IGNORECASE | re.MULTILINE
PACKAGED_RULES = "rules.toml"  # inboxd/data/, shipped as package data
UNKNOWN = "unknown"  # the fallback type; it cannot be defined as a rule

_TOP_KEYS = {"classify", "types", "flags", "route"}
_CLASSIFY_KEYS = {
    "min_confidence",
    "unknown_routing",
    "title_chars",
    "title_weight",
    "first_page_weight",
    "body_weight",
    "max_hits",
    "repeat_damping",
    "filename_weight",
    "score_scale",
}
_TYPE_KEYS = {
    "description",
    "routing",
    "phrases",
    "patterns",
    "negative",
    "negative_patterns",
    "filename_hints",
    "filename_weight",
}
_PATTERN_KEYS = {"pattern", "weight", "label"}
_FLAG_KEYS = {"phrases", "patterns"}
_ROUTE_KEYS = {"name", "doc_type", "signal", "field", "routing", "unless_signal"}


@dataclass(frozen=True)
class Matcher:
    """One phrase or pattern: what it is called in signals, its regex, and its weight."""

    label: str
    regex: re.Pattern[str]
    weight: float
    kind: str = "phrase"  # or "pattern"; only changes how signals name it
    # A lowercase word every match contains: when the lowercased text lacks it, the regex
    # cannot match and is not run (most of ~450 phrases are absent from any document, and
    # a substring test costs a fraction of a case-insensitive regex scan).
    literal: str | None = None


@dataclass(frozen=True)
class DocType:
    name: str
    routing: Routing
    phrases: tuple[Matcher, ...]
    negative: tuple[Matcher, ...]
    filename_hints: tuple[str, ...]
    filename_weight: float
    description: str = ""


@dataclass(frozen=True)
class Thresholds:
    min_confidence: float = 0.40
    unknown_routing: Routing = Routing.INBOX
    title_chars: int = 600
    title_weight: float = 2.0
    first_page_weight: float = 1.5
    body_weight: float = 1.0
    max_hits: int = 3
    repeat_damping: float = 0.5
    filename_weight: float = 2.0
    score_scale: float = 8.0


@dataclass(frozen=True)
class Flag:
    """A named fact found in the text (e.g. "paid"), emitted as signal ``flag:<name>``."""

    name: str
    matchers: tuple[Matcher, ...]


@dataclass(frozen=True)
class Route:
    """Conditional routing: every condition given must hold; the first matching route wins."""

    name: str
    routing: Routing
    doc_types: frozenset[str] = frozenset()
    signal: str | None = None
    field: str | None = None
    unless_signal: str | None = None  # the route does not apply when this signal is present


@dataclass(frozen=True)
class Rules:
    types: tuple[DocType, ...]
    thresholds: Thresholds
    routes: tuple[Route, ...] = ()
    flags: tuple[Flag, ...] = ()

    def type_named(self, name: str) -> DocType | None:
        return next((t for t in self.types if t.name == name), None)


def load_rules(path: Path | None = None) -> Rules:
    """Rules from ``path``, or the packaged defaults when ``path`` is None."""
    if path is None:
        source = resources.files("inboxd").joinpath("data", PACKAGED_RULES)
        where = f"packaged {PACKAGED_RULES}"
        try:
            raw = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError(f"{where}: cannot read: {exc}") from exc
    else:
        where = str(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"{where}: cannot read: {exc}") from exc
    return parse_rules(raw, where)


def parse_rules(raw: str, where: str = "rules") -> Rules:
    """Rules from TOML text; ``where`` prefixes every error message."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{where}: invalid TOML: {exc}") from exc
    try:
        return _build(data)
    except RulesError as exc:
        raise RulesError(f"{where}: {exc.message}") from None


def _build(data: dict[str, Any]) -> Rules:
    _check_keys(data, _TOP_KEYS, "top level")
    thresholds = _thresholds(_table(data, "classify", "top level"))
    types_table = _table(data, "types", "top level")
    if not types_table:
        raise RulesError("no [types.<name>] defined")
    types = tuple(_doc_type(name, spec, thresholds) for name, spec in types_table.items())
    flags = tuple(_flag(name, spec) for name, spec in _table(data, "flags", "top").items())
    routes_raw = data.get("route", [])
    if not isinstance(routes_raw, list):
        raise RulesError("route: must be an array of tables [[route]]")
    known = {t.name for t in types} | {UNKNOWN}
    routes = tuple(_route(i, spec, known) for i, spec in enumerate(routes_raw))
    return Rules(types=types, thresholds=thresholds, routes=routes, flags=flags)


def _thresholds(spec: dict[str, Any]) -> Thresholds:
    _check_keys(spec, _CLASSIFY_KEYS, "[classify]")
    d = Thresholds()
    min_conf = _number(spec, "min_confidence", d.min_confidence, "[classify]")
    if not 0.0 <= min_conf <= 1.0:
        raise RulesError(f"[classify] min_confidence: must be between 0 and 1, got {min_conf}")
    damping = _number(spec, "repeat_damping", d.repeat_damping, "[classify]")
    if damping > 1.0:
        raise RulesError(f"[classify] repeat_damping: must be at most 1, got {damping}")
    return Thresholds(
        min_confidence=min_conf,
        unknown_routing=_routing(spec.get("unknown_routing", "INBOX"), "[classify]"),
        title_chars=int(_number(spec, "title_chars", d.title_chars, "[classify]")),
        title_weight=_number(spec, "title_weight", d.title_weight, "[classify]"),
        first_page_weight=_number(spec, "first_page_weight", d.first_page_weight, "[classify]"),
        body_weight=_number(spec, "body_weight", d.body_weight, "[classify]"),
        max_hits=max(1, int(_number(spec, "max_hits", d.max_hits, "[classify]"))),
        repeat_damping=damping,
        filename_weight=_number(spec, "filename_weight", d.filename_weight, "[classify]"),
        score_scale=max(0.1, _number(spec, "score_scale", d.score_scale, "[classify]")),
    )


def _doc_type(name: str, spec: Any, thresholds: Thresholds) -> DocType:
    where = f"[types.{name}]"
    if name == UNKNOWN:
        raise RulesError(f"{where}: 'unknown' is the fallback and cannot be a rule")
    if not isinstance(spec, dict):
        raise RulesError(f"{where}: must be a table")
    _check_keys(spec, _TYPE_KEYS, where)
    if "routing" not in spec:
        raise RulesError(f"{where}: routing is missing (INBOX or ARCHIVE)")
    phrases = _phrases(_table(spec, "phrases", where), f"{where} phrases")
    patterns = _patterns(spec.get("patterns", []), f"{where} patterns")
    if not phrases and not patterns:
        raise RulesError(f"{where}: needs at least one phrase or pattern")
    negative = _phrases(_table(spec, "negative", where), f"{where} negative")
    negative += _patterns(spec.get("negative_patterns", []), f"{where} negative_patterns")
    hints = spec.get("filename_hints", [])
    if not isinstance(hints, list) or not all(isinstance(h, str) and h for h in hints):
        raise RulesError(f"{where} filename_hints: must be a list of non-empty strings")
    return DocType(
        name=name,
        routing=_routing(spec["routing"], where),
        phrases=phrases + patterns,
        negative=negative,
        filename_hints=tuple(h.lower() for h in hints),
        filename_weight=_number(spec, "filename_weight", thresholds.filename_weight, where),
        description=str(spec.get("description", "")),
    )


def _flag(name: str, spec: Any) -> Flag:
    where = f"[flags.{name}]"
    if not isinstance(spec, dict):
        raise RulesError(f"{where}: must be a table")
    _check_keys(spec, _FLAG_KEYS, where)
    phrases = spec.get("phrases", [])
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p for p in phrases):
        raise RulesError(f"{where} phrases: must be a list of non-empty strings")
    matchers = tuple(
        Matcher(p, phrase_regex(p, where), 1.0, literal=literal_of(p)) for p in phrases
    )
    matchers += _patterns(spec.get("patterns", []), f"{where} patterns")
    if not matchers:
        raise RulesError(f"{where}: needs at least one phrase or pattern")
    return Flag(name=name, matchers=matchers)


def _route(index: int, spec: Any, known_types: set[str]) -> Route:
    where = f"[[route]] #{index + 1}"
    if not isinstance(spec, dict):
        raise RulesError(f"{where}: must be a table")
    _check_keys(spec, _ROUTE_KEYS, where)
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise RulesError(f"{where}: name is missing")
    where = f"[[route]] {name}"
    doc_types = spec.get("doc_type", [])
    doc_types = [doc_types] if isinstance(doc_types, str) else doc_types
    if not isinstance(doc_types, list) or not all(isinstance(t, str) for t in doc_types):
        raise RulesError(f"{where} doc_type: must be a type name or a list of them")
    for doc_type in doc_types:
        if doc_type not in known_types:
            raise RulesError(f"{where} doc_type: unknown type {doc_type!r}")
    for key in ("signal", "field", "unless_signal"):
        if key in spec and not (isinstance(spec[key], str) and spec[key]):
            raise RulesError(f"{where} {key}: must be a non-empty string")
    if "routing" not in spec:
        raise RulesError(f"{where}: routing is missing (INBOX or ARCHIVE)")
    return Route(
        name=name,
        routing=_routing(spec["routing"], where),
        doc_types=frozenset(doc_types),
        signal=spec.get("signal"),
        field=spec.get("field"),
        unless_signal=spec.get("unless_signal"),
    )


def phrase_regex(phrase: str, where: str) -> re.Pattern[str]:
    """A phrase as a whole-word regex; a ``*`` at either end also matches longer words.

    ``rechnungs*`` matches "Rechnungsnummer", ``*rechnung`` matches "Teilrechnung": German
    builds compounds, and listing every one would be endless.  Spaces match any run of
    whitespace because extracted PDF text breaks lines and columns unpredictably.
    """
    text = phrase.strip()
    words = text.strip("*").split()
    if not words:
        raise RulesError(f"{where}: empty phrase {phrase!r}")
    body = r"\s+".join(re.escape(w) for w in words)
    head = r"(?<!\w)\w*" if text.startswith("*") else r"(?<!\w)"
    tail = r"\w*" if text.endswith("*") else r"(?!\w)"
    return re.compile(f"{head}{body}{tail}", REGEX_FLAGS)


def literal_of(phrase: str) -> str | None:
    """The longest word of a phrase, lowercased: a substring of every text it matches.

    ``str.lower()`` and ``re.IGNORECASE`` agree on every letter a document plausibly holds
    (the exception, U+017F long s matching "s", is left to old German print).
    """
    words = phrase.strip().strip("*").split()
    return max(words, key=len).lower() if words else None


def _phrases(table: dict[str, Any], where: str) -> tuple[Matcher, ...]:
    out = []
    for phrase, weight in table.items():
        w = _weight(weight, f"{where} {phrase!r}")
        regex = phrase_regex(phrase, where)
        out.append(Matcher(phrase.strip("* ").lower(), regex, w, literal=literal_of(phrase)))
    return tuple(out)


def _patterns(items: Any, where: str) -> tuple[Matcher, ...]:
    if not isinstance(items, list):
        raise RulesError(f"{where}: must be an array of {{pattern, weight}} tables")
    out = []
    for i, spec in enumerate(items):
        at = f"{where} #{i + 1}"
        if not isinstance(spec, dict) or not isinstance(spec.get("pattern"), str):
            raise RulesError(f"{at}: must be a table with a 'pattern' string")
        _check_keys(spec, _PATTERN_KEYS, at)
        try:
            regex = re.compile(spec["pattern"], REGEX_FLAGS)
        except re.error as exc:
            raise RulesError(f"{at}: bad regex {spec['pattern']!r}: {exc}") from None
        label = str(spec.get("label") or spec["pattern"])[:40]
        out.append(Matcher(label, regex, _weight(spec.get("weight", 1.0), at), "pattern"))
    return tuple(out)


def _weight(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(f"{where}: weight must be a number, got {value!r}")
    if value <= 0:
        # Negative evidence has its own tables; a negative weight here is almost surely a
        # mistake that would silently invert the rule.
        raise RulesError(f"{where}: weight must be positive, got {value}")
    return float(value)


def _number(spec: dict[str, Any], key: str, default: float, where: str) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RulesError(f"{where} {key}: must be a non-negative number, got {value!r}")
    return float(value)


def _routing(value: Any, where: str) -> Routing:
    try:
        return Routing(value)
    except ValueError:
        raise RulesError(f"{where} routing: must be INBOX or ARCHIVE, got {value!r}") from None


def _table(spec: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = spec.get(key, {})
    if not isinstance(value, dict):
        raise RulesError(f"{where} {key}: must be a table")
    return value


def _check_keys(spec: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise RulesError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )
