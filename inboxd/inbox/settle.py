"""The readiness decision: pure, with the clock passed in.

A folder is ready when it holds at least one file, no temporary file, (in marker mode) the
marker, and its snapshot has stayed identical for ``settle_seconds`` of our own clock, or
for ``hidden_settle_seconds`` when it holds hidden files (a copier's temporary ".name.X" is
rewritten while it copies; one that stays unchanged that long is a ".gitkeep", not a copy).

File mtimes are not trusted for this: copiers preserve old mtimes (``cp -p``, ``rsync -t``)
and network shares skew clocks, so only an unchanged snapshot observed over time proves a
copy has finished.
"""

from __future__ import annotations

from dataclasses import dataclass

from inboxd.inbox.scan import Snapshot


@dataclass(frozen=True)
class Verdict:
    ready: bool
    reason: str  # why not (or "ready"), for debug logs
    wait_seconds: float | None = None  # when to look again, if a timer would help


@dataclass
class _Seen:
    snapshot: Snapshot
    since: float


class Settler:
    """Remembers each candidate's last snapshot and when it last changed."""

    def __init__(
        self, settle_seconds: float, marker: str | None = None, hidden_settle_seconds: float = 0.0
    ) -> None:
        self.settle_seconds = settle_seconds
        self.marker = marker
        self.hidden_settle_seconds = max(hidden_settle_seconds, settle_seconds)
        self._seen: dict[str, _Seen] = {}

    def observe(self, name: str, snap: Snapshot, now: float) -> Verdict:
        seen = self._seen.get(name)
        if seen is None or seen.snapshot != snap:
            seen = self._seen[name] = _Seen(snap, now)
        if snap.empty:
            return Verdict(False, "no files yet")
        if snap.complete:  # inboxd published it whole (an upload, a retry)
            return Verdict(True, "ready")
        if snap.partial:
            return Verdict(False, f"temporary files present: {', '.join(snap.partial[:3])}")
        if self.marker is not None and not snap.has_marker:
            return Verdict(False, f"waiting for marker {self.marker}")
        quiet = now - seen.since
        needed = self.hidden_settle_seconds if snap.hidden else self.settle_seconds
        if quiet < needed:
            if snap.hidden:
                names = ", ".join(snap.hidden[:3])
                return Verdict(False, f"hidden files present: {names}", needed - quiet)
            return Verdict(False, "still settling", needed - quiet)
        return Verdict(True, "ready")

    def forget(self, name: str) -> None:
        self._seen.pop(name, None)

    def retain(self, names: set[str]) -> None:
        """Drop memory of candidates that are gone from the inbox."""
        for name in list(self._seen):
            if name not in names:
                del self._seen[name]
