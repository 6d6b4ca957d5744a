"""Listing the inbox and snapshotting candidates on a real filesystem."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inboxd.inbox.scan import (
    STATE_FILE,
    folder_contents,
    is_junk,
    is_partial,
    list_candidates,
    snapshot,
)


@pytest.mark.parametrize(
    ("name", "partial"),
    [("a.pdf", False), ("a.pdf.part", True), ("x.tmp", True), ("dl.crdownload", True),
     ("~$report.docx", True), (".~lock.report.odt#", True), (".hidden", True),
     ("report.partial.pdf", False)],
)  # fmt: skip
def test_partial_names(name: str, partial: bool) -> None:
    """Temporary and hidden names mark a folder as still being written."""
    assert is_partial(name) is partial


@pytest.mark.parametrize(
    ("name", "is_dir", "junk"),
    [(".DS_Store", False, True), ("Thumbs.db", False, True), ("desktop.ini", False, True),
     ("._scan.pdf", False, True), ("@eaDir", True, True), ("scan.pdf", False, False),
     ("@eaDir", False, False)],
)  # fmt: skip
def test_junk_names(name: str, is_dir: bool, junk: bool) -> None:
    """Desktop and NAS droppings are recognised as junk."""
    assert is_junk(name, is_dir) is junk


def test_candidates_skip_hidden_temp_and_symlinks(tmp_path: Path) -> None:
    """Only visible folders and loose files are candidates; links are never followed."""
    for name in ["b", "a", ".hidden", "up.tmp", "@eaDir"]:
        (tmp_path / name).mkdir()
    (tmp_path / "loose.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "Thumbs.db").write_bytes(b"x")
    os.symlink(tmp_path / "a", tmp_path / "link")
    names = [(c.name, c.loose_file) for c in list_candidates(tmp_path)]
    assert names == [("a", False), ("b", False), ("loose.pdf", True)]
    assert [c.name for c in list_candidates(tmp_path, wrap_loose_files=False)] == ["a", "b"]


def test_snapshot_sees_changes_at_any_depth(tmp_path: Path) -> None:
    """A file growing in a subfolder changes the folder's snapshot."""
    (tmp_path / "job" / "sub").mkdir(parents=True)
    target = tmp_path / "job" / "sub" / "a.pdf"
    target.write_bytes(b"1")
    [cand] = list_candidates(tmp_path)
    before = snapshot(cand)
    target.write_bytes(b"12")
    after = snapshot(cand)
    assert before != after and after.files == 1 and not after.partial


def test_own_files_are_not_documents_or_partial(tmp_path: Path) -> None:
    """The daemon's state and result files neither block readiness nor count as documents."""
    job = tmp_path / "job"
    job.mkdir()
    (job / STATE_FILE).write_text("{}")
    (job / "inboxd-result.json").write_text("{}")
    (job / "a.pdf").write_bytes(b"%PDF")
    [cand] = list_candidates(tmp_path)
    snap = snapshot(cand)
    assert snap.files == 1 and snap.partial == ()
    assert [rel for rel, _ in folder_contents(job).documents] == ["a.pdf"]


def test_fifo_is_listed_as_ignored_not_opened(tmp_path: Path) -> None:
    """A FIFO in a folder is reported, never opened (opening one blocks forever)."""
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    os.mkfifo(tmp_path / "pipe")
    contents = folder_contents(tmp_path)
    assert [rel for rel, _ in contents.documents] == ["a.pdf"]
    assert contents.ignored == [("pipe", "not a regular file (never opened)")]
