"""Filesystem mutations: atomic, never overwriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxd.errors import ConfigError
from inboxd.inbox import folders


def test_rename_noreplace_refuses_existing_target(tmp_path: Path) -> None:
    """Even an empty directory at the target is never replaced."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()  # plain os.rename would silently replace this one
    with pytest.raises(FileExistsError):
        folders.rename_noreplace(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a").is_dir()


def test_move_unique_suffixes(tmp_path: Path) -> None:
    """A taken name gets the job id's prefix, then the full id, then a counter."""
    dest = tmp_path / "done"
    dest.mkdir()
    names = []
    for _ in range(4):
        (tmp_path / "x").mkdir()
        names.append(folders.move_unique(tmp_path / "x", dest, "0123456789abcdef").name)
    assert names == ["x", "x-01234567", "x-0123456789abcdef", "x-2"]


def test_wrap_loose_file(tmp_path: Path) -> None:
    """A loose file ends up alone in a folder carrying its name."""
    (tmp_path / "scan.pdf").write_bytes(b"%PDF")
    folder = folders.wrap_loose_file(tmp_path / "scan.pdf")
    assert folder == tmp_path / "scan.pdf" and folder.is_dir()
    assert (folder / "scan.pdf").read_bytes() == b"%PDF"


def test_state_roundtrip_and_torn_state(tmp_path: Path) -> None:
    """The state file round-trips; a torn one reads as absent instead of crashing."""
    folders.write_state(tmp_path, {"job_id": "abc", "attempt": 2})
    assert folders.read_state(tmp_path) == {"job_id": "abc", "attempt": 2}
    (tmp_path / ".inboxd-job.json").write_text('{"job_')
    assert folders.read_state(tmp_path) is None


def test_result_write_is_atomic(tmp_path: Path) -> None:
    """The result JSON is complete on disk and no temp file is left behind."""
    path = folders.write_result(tmp_path, {"job_id": "a", "text": "Zürich"})
    assert path.read_text(encoding="utf-8").count("Zürich") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["inboxd-result.json"]


def test_prepare_tree_refuses_two_filesystems(tmp_path: Path) -> None:
    """Directories on different filesystems are refused (renames could not be atomic)."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on a filesystem other than the temp dir")
    other = Path(__import__("tempfile").mkdtemp(dir=shm))
    try:
        with pytest.raises(ConfigError, match="different filesystems"):
            folders.prepare_tree({"inbox": tmp_path / "in", "done": other / "done"})
    finally:
        __import__("shutil").rmtree(other)
