"""Which type a document is, from its text and file name, as a pure function of the rules.

Scoring (weights come from the rules file):

* each phrase or pattern of a type contributes ``weight * zone_factor`` per match, where the
  zone factor is ``title_weight`` in the first ``title_chars`` characters,
  ``first_page_weight`` on the rest of the first page and ``body_weight`` after it;
* a phrase counts at most ``max_hits`` times, best zones first, each repeat multiplied by
  ``repeat_damping`` again (so 1, 0.5, 0.25 of the weight with the defaults);
* a filename hint adds the type's ``filename_weight`` once; negative phrases subtract the
  same way phrases add.

Confidence of the winner, with ``s1`` its score and ``s2`` the runner-up's (both >= 0)::

    strength   = 1 - exp(-s1 / score_scale)
    margin     = (s1 - s2) / s1
    confidence = strength * (0.5 + 0.5 * margin)

so evidence saturates (a tenth "invoice" adds little) and a close runner-up halves the
confidence at worst.  Below ``min_confidence`` the result is ``unknown``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from inboxd.documents.rules import UNKNOWN, DocType, Matcher, Rules, Thresholds

# Text files have no page breaks: treat this many characters as their "first page".
FIRST_PAGE_CHARS_WITHOUT_BREAKS = 3000
PAGE_BREAK = "\f"  # what extract puts between pages
MAX_SIGNALS_PER_TYPE = 12  # the result JSON should explain, not list every hit

_NON_WORD = re.compile(r"[\W_]+")
# "R E C H N U N G": headings set with letter spacing come out of PDFs one letter at a time.
_LETTER_SPACED = re.compile(r"(?<!\w)(?:\w ){3,}\w(?!\w)")


@dataclass(frozen=True)
class Classification:
    """The decided type, its confidence in 0..1, and the evidence as readable signals.

    For ``unknown`` the confidence is that of the best (rejected) guess, named in the signal
    ``best_guess:<type>``, so a reviewer can see how close it was.
    """

    doc_type: str
    confidence: float
    signals: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Zones:
    """Where the title and first page end, and the lowercased text for literal prefilters."""

    title_end: int
    first_page_end: int
    lowered: str = ""

    def factor(self, pos: int, t: Thresholds) -> tuple[float, str]:
        if pos < self.title_end:
            return t.title_weight, "title"
        if pos < self.first_page_end:
            return t.first_page_weight, "first_page"
        return t.body_weight, "body"


def classify(text: str, filename: str, rules: Rules) -> Classification:
    """The document type of ``text`` (and ``filename``) under ``rules``."""
    t = rules.thresholds
    flags = flag_signals(text, rules)
    if not text.strip():
        return Classification(UNKNOWN, 0.0, ["no_text", *flags])
    text = _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)
    zones = _zones(text, t)
    stem = _NON_WORD.sub(" ", PurePath(filename).stem.lower())
    scored = [(_score_type(dt, text, stem, zones, t), dt.name) for dt in rules.types]
    scored.sort(key=lambda item: item[0][0], reverse=True)  # stable: file order breaks ties
    (best, best_signals), best_name = scored[0]
    runner_up = max(scored[1][0][0], 0.0) if len(scored) > 1 else 0.0
    if best <= 0:
        return Classification(UNKNOWN, 0.0, ["no_evidence", *flags])
    confidence = round(confidence_of(best, runner_up, t.score_scale), 3)
    summary = f"score:{best_name}={best:.1f},runner_up={runner_up:.1f}"
    signals = [*best_signals, summary, *flags]
    if confidence < t.min_confidence:
        reason = f"below_threshold:{confidence:.2f}<{t.min_confidence:.2f}"
        return Classification(UNKNOWN, confidence, [f"best_guess:{best_name}", reason, *signals])
    return Classification(best_name, confidence, signals)


def confidence_of(best: float, runner_up: float, scale: float) -> float:
    """The formula of the module docstring; 0 without positive evidence."""
    if best <= 0:
        return 0.0
    strength = 1.0 - math.exp(-best / scale)
    margin = (best - max(runner_up, 0.0)) / best
    return max(0.0, min(1.0, strength * (0.5 + 0.5 * margin)))


def flag_signals(text: str, rules: Rules) -> list[str]:
    """``flag:<name>`` for every rules flag whose phrases or patterns occur in ``text``."""
    lowered = text.lower()
    return [
        f"flag:{flag.name}"
        for flag in rules.flags
        if any(_may_match(m, lowered) and m.regex.search(text) for m in flag.matchers)
    ]


def _may_match(matcher: Matcher, lowered: str) -> bool:
    """False when the matcher's literal word is absent, so its regex cannot match."""
    return matcher.literal is None or matcher.literal in lowered


def _zones(text: str, t: Thresholds) -> _Zones:
    page_end = text.find(PAGE_BREAK)
    if page_end < 0:
        page_end = min(len(text), FIRST_PAGE_CHARS_WITHOUT_BREAKS)
    return _Zones(
        title_end=t.title_chars,
        first_page_end=max(page_end, t.title_chars),
        lowered=text.lower(),
    )


def _score_type(
    dt: DocType, text: str, stem: str, zones: _Zones, t: Thresholds
) -> tuple[float, list[str]]:
    """The type's score and the signals that explain it, strongest first."""
    evidence: list[tuple[float, str]] = []
    for matcher in dt.phrases:
        points, zone = _matcher_points(matcher, text, zones, t)
        if points:
            evidence.append((points, f"{matcher.kind}:{matcher.label}(+{points:.1f}, {zone})"))
    for matcher in dt.negative:
        points, _zone = _matcher_points(matcher, text, zones, t)
        if points:
            evidence.append((-points, f"negative:{matcher.label}(-{points:g})"))
    hint = next((h for h in dt.filename_hints if h in stem), None)
    if hint is not None:
        evidence.append((dt.filename_weight, f"filename:{hint}"))
    evidence.sort(key=lambda item: abs(item[0]), reverse=True)
    score = sum(points for points, _ in evidence)
    return score, [signal for _, signal in evidence[:MAX_SIGNALS_PER_TYPE]]


def _matcher_points(matcher: Matcher, text: str, zones: _Zones, t: Thresholds) -> tuple[float, str]:
    """Dampened points of one matcher's best hits, and the zone of its best hit."""
    if not _may_match(matcher, zones.lowered):
        return 0.0, ""
    factors: list[tuple[float, str]] = []
    for match in matcher.regex.finditer(text):
        factors.append(zones.factor(match.start(), t))
        # Hits come in text order and zones only get weaker, so the first max_hits are
        # the best ones; stop before scanning a long document to its end.
        if len(factors) >= t.max_hits:
            break
    if not factors:
        return 0.0, ""
    points = sum(
        matcher.weight * factor * t.repeat_damping**i for i, (factor, _) in enumerate(factors)
    )
    return round(points, 2), factors[0][1]
