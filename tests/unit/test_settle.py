"""The readiness decision, table-driven with an injected clock."""

from __future__ import annotations

import pytest

from inboxd.inbox.scan import Snapshot
from inboxd.inbox.settle import Settler


def snap(*files: tuple[str, int], partial: tuple[str, ...] = (), marker: bool = False) -> Snapshot:
    entries = frozenset((name, size, 1, False) for name, size in files)
    return Snapshot(entries, len(files), partial, marker)


A = snap(("a.pdf", 10))
A_GROWN = snap(("a.pdf", 20))
AB = snap(("a.pdf", 10), ("b.pdf", 5))


@pytest.mark.parametrize(
    ("observations", "ready", "reason"),
    [
        ([(0.0, A)], False, "still settling"),
        ([(0.0, A), (4.9, A)], False, "still settling"),
        ([(0.0, A), (5.0, A)], True, "ready"),
        ([(0.0, A), (4.0, A_GROWN), (8.0, A_GROWN)], False, "still settling"),
        ([(0.0, A), (4.0, A_GROWN), (9.0, A_GROWN)], True, "ready"),
        ([(0.0, A), (3.0, AB), (6.0, AB)], False, "still settling"),
        ([(0.0, snap()), (10.0, snap())], False, "no files yet"),
        ([(0.0, snap(("a.pdf", 1), partial=("b.part",))), (60.0, snap(("a.pdf", 1),
          partial=("b.part",)))], False, "temporary files present: b.part"),
    ],
)  # fmt: skip
def test_quiet_period(observations: list[tuple[float, Snapshot]], ready: bool, reason: str) -> None:
    """A folder is ready only after its snapshot stayed the same for settle_seconds."""
    settler = Settler(5.0)
    verdict = None
    for now, snapshot in observations:
        verdict = settler.observe("f", snapshot, now)
    assert verdict is not None
    assert (verdict.ready, verdict.reason) == (ready, reason)


def test_marker_mode_waits_for_marker() -> None:
    """In marker mode a quiet folder still waits until the marker exists."""
    settler = Settler(0.0, marker=".ready")
    assert settler.observe("f", A, 0.0).reason == "waiting for marker .ready"
    with_marker = snap(("a.pdf", 10), marker=True)
    assert settler.observe("f", with_marker, 1.0).ready


def test_wait_seconds_tells_when_to_look_again() -> None:
    """A settling folder says how long until it can be ready."""
    settler = Settler(5.0)
    verdict = settler.observe("f", A, 10.0)
    assert verdict.wait_seconds == pytest.approx(5.0)
    assert settler.observe("f", A, 12.0).wait_seconds == pytest.approx(3.0)


def test_forgotten_folder_settles_again() -> None:
    """A name seen again after ``forget`` starts a new quiet period."""
    settler = Settler(5.0)
    settler.observe("f", A, 0.0)
    settler.forget("f")
    assert not settler.observe("f", A, 6.0).ready


def test_folder_inboxd_published_whole_needs_no_settling() -> None:
    """An upload or a retry arrives in one rename by inboxd itself: ready at first sight."""
    settler = Settler(5.0)
    published = Snapshot(frozenset({("a.pdf", 1, 1, False)}), 1, (), False, complete=True)
    assert settler.observe("upload-1", published, 0.0).ready
