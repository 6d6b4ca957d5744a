"""File name sanitising and staging clean-up: pure functions, no server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inboxd.api.uploads import MAX_NAME_BYTES, sanitise, sweep_stale


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("invoice.pdf", "invoice.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\scan.pdf", "scan.pdf"),
        ("a\x00b\nc\td.pdf", "abcd.pdf"),
        ("\u202etxt.exe", "txt.exe"),  # a bidi override would show this as exe.txt
        (".hidden.pdf", "hidden.pdf"),
        ("...", "file"),
        ("", "file"),
        ("~$report.docx", "report.docx"),
        ("copy.part", "copy.part_"),
        ("Thumbs.db", "_Thumbs.db"),
        ("inboxd-result.json", "_inboxd-result.json"),
        ('what?*"<>|.pdf', "what______.pdf"),
        ("name. ", "name"),
        ("caf\u0065\u0301.pdf", "caf\u00e9.pdf"),  # NFC: one name, however it was typed
    ],
)
def test_sanitise(raw: str, expected: str) -> None:
    """Client file names become one plain, visible, non-temporary path component."""
    assert sanitise(raw, set()) == expected


def test_sanitise_keeps_duplicates_apart() -> None:
    """The same name twice (in any case) gets -2, -3 before the extension."""
    taken: set[str] = set()
    names = [sanitise(n, taken) for n in ["a.pdf", "A.pdf", "a.pdf", "b"]]
    assert names == ["a.pdf", "A-2.pdf", "a-3.pdf", "b"]


def test_sanitise_bounds_the_length_in_bytes() -> None:
    """Long names, multi-byte ones too, are cut to the limit keeping the extension."""
    taken: set[str] = set()
    first = sanitise("\u00e9" * 300 + ".pdf", taken)
    second = sanitise("\u00e9" * 300 + ".pdf", taken)
    for name in (first, second):
        assert len(name.encode()) <= MAX_NAME_BYTES and name.endswith(".pdf")
    assert second.endswith("-2.pdf") and first != second


def test_sanitise_avoids_the_marker() -> None:
    """In marker mode an uploaded file may not pose as the marker."""
    assert sanitise("READY", set(), marker="READY") == "_READY"


def test_sweep_removes_only_stale_staging(tmp_path: Path) -> None:
    """Staging folders untouched for long are removed; fresh ones and job folders stay."""
    stale, fresh, job = tmp_path / ".upload-old", tmp_path / ".upload-new", tmp_path / "job"
    for folder in (stale, fresh, job):
        folder.mkdir()
        (folder / "a.pdf").write_bytes(b"%PDF-")
    for path in (stale, stale / "a.pdf", job):
        os.utime(path, (1000.0, 1000.0))
    now = fresh.stat().st_mtime + 1
    assert sweep_stale(tmp_path, 3600, now) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".upload-new", "job"]
