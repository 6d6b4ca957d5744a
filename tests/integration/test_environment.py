"""The environment misbehaves: a full disk, a vanishing inbox, flaky renames on a share."""

from __future__ import annotations

import errno
import hashlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from inboxd.inbox import folders
from inboxd.settings import Settings
from tests.conftest import result_of, rows, wait_for
from tests.pdfgen import invoice_pdf, letter_pdf


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs, so the disk really fills up."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the filesystem refuses another byte."""
    filler = directory / "filler.bin"
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_disk_full_loses_nothing_and_retries(
    small_fs: Path, tmp_path: Path, make_settings: Callable[..., Settings],
    start_daemon: Callable[..., Any], captured: list[dict[str, Any]],
) -> None:  # fmt: skip
    """With the disk full the job waits in processing/; once space returns it completes."""
    settings = make_settings(root=small_fs / "tree", stuck_retry_seconds=0.3,
                             store={"sqlite_path": str(tmp_path / "db" / "inboxd.db")})  # fmt: skip
    running = start_daemon(settings)
    staging = settings.dirs()["inbox"] / ".batch"
    staging.mkdir()
    invoice_pdf(staging / "invoice.pdf")
    letter_pdf(staging / "letter.pdf")
    hashes = {p.name: sha(p) for p in staging.iterdir()}
    filler = fill(small_fs)
    staging.rename(staging.with_name("batch"))
    wait_for(lambda: any(e["event"] == "job.stuck" for e in captured), what="job.stuck")
    stuck = settings.dirs()["processing"] / "batch"
    assert {p.name: sha(p) for p in stuck.iterdir() if p.suffix == ".pdf"} == hashes
    assert running.thread.is_alive()
    filler.unlink()
    done = settings.dirs()["done"] / "batch"
    wait_for(lambda: (done / "inboxd-result.json").exists(), timeout=30, what="retried job")
    running.stop()
    assert result_of(done)["processed_files"] == 2
    assert {p.name: sha(p) for p in done.iterdir() if p.suffix == ".pdf"} == hashes
    assert len(rows(settings)) == 1


@pytest.mark.slow
def test_inbox_vanishes_and_returns(
    make_settings: Callable[..., Settings], start_daemon: Callable[..., Any],
    captured: list[dict[str, Any]],
) -> None:  # fmt: skip
    """An unmounted inbox is logged and retried, never read as deleted jobs; work resumes."""
    settings = make_settings(observer="inotify")
    running = start_daemon(settings)
    inbox = settings.dirs()["inbox"]
    aside = inbox.with_name("inbox-unmounted")
    inbox.rename(aside)
    wait_for(lambda: any(e["event"] == "inbox.unreadable" for e in captured), timeout=30)
    assert not running.daemon.healthy and running.thread.is_alive()
    (aside / "after").mkdir()
    invoice_pdf(aside / "after" / "invoice.pdf")
    aside.rename(inbox)
    wait_for(lambda: (settings.dirs()["done"] / "after").is_dir(), timeout=30, what="resumed")
    assert running.daemon.healthy
    running.stop()
    assert any(e["event"] == "inbox.readable" for e in captured)


def test_transient_rename_errors_are_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, captured: list[dict[str, Any]]
) -> None:
    """EBUSY/ESTALE-style errors on a share are retried with backoff, then succeed.

    Such errnos cannot be produced on a local filesystem, so the first two renames are made
    to fail the way an SMB mount fails them; the third is the real rename.
    """
    real = folders._rename_once
    failures = iter([errno.EBUSY, errno.ESTALE])

    def flaky(src: Path, dst: Path) -> None:
        code = next(failures, None)
        if code is not None:
            raise OSError(code, "simulated share error")
        real(src, dst)

    monkeypatch.setattr(folders, "_rename_once", flaky)
    monkeypatch.setattr(folders, "RENAME_RETRY_SECONDS", 0.01)
    (tmp_path / "a").mkdir()
    (tmp_path / "done").mkdir()
    assert folders.move_unique(tmp_path / "a", tmp_path / "done") == tmp_path / "done" / "a"
    retries = [e for e in captured if e["event"] == "fs.retry"]
    assert [e["attempt"] for e in retries] == [1, 2]


def test_persistent_rename_error_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A transient-looking error that does not go away is reported after the retries."""

    def broken(src: Path, dst: Path) -> None:
        raise OSError(errno.EIO, "simulated I/O error")

    monkeypatch.setattr(folders, "_rename_once", broken)
    monkeypatch.setattr(folders, "RENAME_RETRY_SECONDS", 0.001)
    (tmp_path / "a").mkdir()
    with pytest.raises(Exception, match="I/O error"):
        folders.move_unique(tmp_path / "a", tmp_path)
    assert (tmp_path / "a").is_dir()


def test_given_up_after_max_attempts(make_settings: Callable[..., Settings]) -> None:
    """A folder that has failed its runs too often goes to failed/ with the reason."""
    from inboxd.daemon import Daemon

    settings = make_settings(max_attempts=3)
    folder = settings.dirs()["processing"] / "cursed"
    folder.mkdir(parents=True)
    invoice_pdf(folder / "invoice.pdf")
    state = {"job_id": "7b0c2a54-0000-4000-8000-000000000001", "folder": "cursed", "runs": 3,
             "last_error": "OSError: [Errno 5] Input/output error"}  # fmt: skip
    folders.write_state(folder, state)
    daemon = Daemon(settings)
    daemon.drain()
    daemon.close()
    result = result_of(settings.dirs()["failed"] / "cursed")
    assert result["error"].startswith("given up after 3 attempts: OSError")
    assert shutil.disk_usage(settings.root).free > 0


@pytest.mark.slow
def test_disk_fills_while_the_job_runs(
    small_fs: Path, tmp_path: Path, make_settings: Callable[..., Settings],
    start_daemon: Callable[..., Any], captured: list[dict[str, Any]],
) -> None:  # fmt: skip
    """The disk fills mid-job, so the result JSON cannot be written: retried, not lost."""
    from tests.hostile import slow_pdf

    settings = make_settings(root=small_fs / "tree", stuck_retry_seconds=0.3,
                             file_timeout_seconds=1.5,
                             store={"sqlite_path": str(tmp_path / "db" / "inboxd.db")})  # fmt: skip
    running = start_daemon(settings)
    staging = settings.dirs()["inbox"] / ".batch"
    staging.mkdir()
    invoice_pdf(staging / "a-invoice.pdf")
    slow_pdf(staging / "b-slow.pdf")  # keeps the job busy while the disk fills
    staging.rename(staging.with_name("batch"))
    wait_for(lambda: any(e["event"] == "job.started" for e in captured), what="job.started")
    filler = fill(small_fs)
    wait_for(lambda: any(e["event"] == "job.stuck" for e in captured), what="job.stuck")
    assert not (settings.dirs()["processing"] / "batch" / "inboxd-result.json").exists()
    filler.unlink()
    failed = settings.dirs()["failed"] / "batch"  # b-slow.pdf times out: a file error
    wait_for(lambda: (failed / "inboxd-result.json").exists(), timeout=30, what="retried job")
    running.stop()
    result = result_of(failed)
    assert result["processed_files"] == 2 and result["attempt"] == 1
    assert [r["error"] and r["error"]["code"] for r in result["result"]["results"]] == [
        None, "timeout"]  # fmt: skip
    assert len(rows(settings)) == 1


def test_failed_move_keeps_the_decided_outcome(
    monkeypatch: pytest.MonkeyPatch, make_settings: Callable[..., Settings]
) -> None:
    """A share outage during the move into done/ does not turn a completed job into a failed one.

    The outage is injected into the move (a local filesystem does not fail it); the job waits
    in processing/ and the same move is made when it is tried again.
    """
    from inboxd.daemon import Daemon
    from inboxd.errors import FolderError

    settings = make_settings(stuck_retry_seconds=0.01)
    real = folders.move_unique
    outage = {"on": True}

    def flaky(src: Path, dest_dir: Path, job_id: str | None = None) -> Path:
        if outage["on"] and dest_dir == settings.dirs()["done"]:
            raise FolderError("cannot move: Input/output error")
        return real(src, dest_dir, job_id)

    monkeypatch.setattr(folders, "move_unique", flaky)
    (settings.dirs()["inbox"] / "good").mkdir(parents=True)
    invoice_pdf(settings.dirs()["inbox"] / "good" / "a.pdf")
    daemon = Daemon(settings)
    daemon.drain()
    assert (settings.dirs()["processing"] / "good").is_dir()
    assert result_of(settings.dirs()["processing"] / "good")["status"] == "completed"
    outage["on"] = False
    import time

    time.sleep(0.05)
    daemon._retry_stuck()
    daemon.close()
    assert result_of(settings.dirs()["done"] / "good")["status"] == "completed"
    assert not (settings.dirs()["failed"] / "good").exists()
