"""Hostile and changing files: a killed parse is that file's error; the daemon goes on."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inboxd.daemon import Daemon
from inboxd.settings import Settings
from tests.conftest import result_of, rows, wait_for
from tests.hostile import balloon_pdf, slow_pdf
from tests.pdfgen import invoice_pdf


def by_path(folder: Path) -> dict[str, Any]:
    return {r["path"]: r for r in result_of(folder)["result"]["results"]}


@pytest.mark.slow
def test_runaway_parse_is_stopped(make_settings: Callable[..., Settings]) -> None:
    """A PDF that keeps the parser busy past the time limit gets ``timeout``; others pass."""
    settings = make_settings(file_timeout_seconds=1.5)
    inbox = settings.dirs()["inbox"]
    (inbox / "mixed").mkdir(parents=True)
    slow_pdf(inbox / "mixed" / "slow.pdf")
    invoice_pdf(inbox / "mixed" / "zz-invoice.pdf")
    (inbox / "next").mkdir()
    invoice_pdf(inbox / "next" / "invoice.pdf")
    daemon = Daemon(settings)
    daemon.open()
    assert daemon.drain() == 2
    daemon.close()
    files = by_path(settings.dirs()["failed"] / "mixed")
    assert files["slow.pdf"]["error"]["code"] == "timeout"
    assert "1.5 s" in files["slow.pdf"]["error"]["message"]
    assert files["zz-invoice.pdf"]["doc_type"] == "invoice"
    assert result_of(settings.dirs()["done"] / "next")["status"] == "completed"


@pytest.mark.slow
def test_memory_bomb_is_capped(make_settings: Callable[..., Settings]) -> None:
    """A small PDF that inflates past the memory cap gets ``too_large``; the job goes on."""
    settings = make_settings(file_memory_mb=200, file_timeout_seconds=30)
    folder = settings.dirs()["inbox"] / "bomb"
    folder.mkdir(parents=True)
    balloon_pdf(folder / "bomb.pdf", megabytes=60)
    invoice_pdf(folder / "invoice.pdf")
    daemon = Daemon(settings)
    daemon.open()
    daemon.drain()
    daemon.close()
    files = by_path(settings.dirs()["failed"] / "bomb")
    assert files["bomb.pdf"]["error"]["code"] == "too_large"
    assert "200 MiB" in files["bomb.pdf"]["error"]["message"]
    assert files["invoice.pdf"]["error"] is None


@pytest.mark.slow
def test_file_changing_while_read_sends_folder_back(
    make_settings: Callable[..., Settings], start_daemon: Callable[..., Any]
) -> None:
    """A file rewritten while it is parsed means the folder was not ready: it waits again."""
    settings = make_settings(file_timeout_seconds=2)
    inbox = settings.dirs()["inbox"]
    staging = inbox / ".scan"
    staging.mkdir(parents=True)
    slow_pdf(staging / "scan.pdf")
    staging.rename(inbox / "scan")
    running = start_daemon(settings)
    processing = settings.dirs()["processing"] / "scan" / "scan.pdf"
    wait_for(lambda: processing.exists(), what="claimed")
    with processing.open("ab") as f:  # the scanner appends a page
        f.write(b"\n% one more page\n")
    done = settings.dirs()["failed"] / "scan"
    wait_for(lambda: (done / "inboxd-result.json").exists(), timeout=30, what="second run")
    running.stop()
    result = result_of(done)
    [row] = rows(settings)
    assert row.job_id == result["job_id"]  # the same job, not a second one
    events = running.daemon.counts
    assert events["unsettled"] == 1 and events["failed"] == 1
    assert os.path.getsize(done / "scan.pdf") > 0


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:  # the thread or process ended while we looked
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_no_parser_outlives_a_killed_daemon(tmp_path: Path) -> None:
    """SIGKILL of the daemon mid-parse takes its parser processes with it (no orphans)."""
    import signal
    import subprocess
    import sys

    root = tmp_path / "tree"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOXD_")}
    env.update({"INBOXD_ROOT": str(root), "INBOXD_SETTLE_SECONDS": "0"})
    (root / "inbox" / "slow").mkdir(parents=True)
    slow_pdf(root / "inbox" / "slow" / "slow.pdf", operators=2_000_000)
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "inboxd"), "run"], env=env,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        # fork server, its resource tracker and the parser itself
        helpers = wait_for(lambda: len(d := _descendants(daemon.pid)) >= 3 and d,
                           what="fork server and parser")  # fmt: skip
    finally:
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
    # slow.pdf keeps a parser busy for well over 10 s: only being killed ends it this soon
    wait_for(lambda: not any(_alive(pid) for pid in helpers), timeout=5, what="orphans gone")
