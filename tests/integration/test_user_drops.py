"""What users really drop: odd names, copies of old results, read-only and hidden things."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from inboxd.daemon import Daemon
from inboxd.inbox.scan import RESULT_FILE, WRAP_PREFIX
from inboxd.settings import Settings
from tests.conftest import result_of, rows
from tests.pdfgen import invoice_pdf, letter_pdf


def fs_path(parent: Path, raw_name: bytes) -> Path:
    return Path(os.fsdecode(os.path.join(os.fsencode(parent), raw_name)))


def test_folder_and_loose_file_with_undecodable_names(daemon: Daemon, tree: dict[str, Path],
                                                      settings: Settings) -> None:  # fmt: skip
    """Folder and loose-file names that are not UTF-8 become jobs; nothing crashes."""
    folder = fs_path(tree["inbox"], b"caf\xe9-docs")
    folder.mkdir()
    invoice_pdf(folder / "a.pdf")
    letter_pdf(fs_path(tree["inbox"], b"r\xe9sum\xe9.pdf"))
    assert daemon.drain() == 2
    names = sorted(os.fsencode(p.name) for p in tree["done"].iterdir())
    assert names == [b"caf\xe9-docs", b"r\xe9sum\xe9.pdf"]
    folders = {r.folder for r in rows(settings)}
    assert folders == {"caf\\xe9-docs", "r\\xe9sum\\xe9.pdf"}
    state = json.loads((fs_path(tree["done"], b"caf\xe9-docs") / ".inboxd-job.json").read_text())
    assert state["folder"] == "caf\\xe9-docs"


def test_users_own_result_file_is_kept(daemon: Daemon, tree: dict[str, Path]) -> None:
    """A file named like our result is kept aside under another name, never overwritten."""
    folder = tree["inbox"] / "mine"
    folder.mkdir()
    invoice_pdf(folder / "a.pdf")
    (folder / RESULT_FILE).write_text('{"my": "own data"}')
    daemon.drain()
    done = tree["done"] / "mine"
    assert (done / f"{RESULT_FILE}.orig").read_text() == '{"my": "own data"}'
    assert result_of(done)["status"] in ("completed", "failed")


def test_copy_of_a_finished_folder_is_a_new_job(daemon: Daemon, tree: dict[str, Path],
                                                settings: Settings) -> None:  # fmt: skip
    """Dropping a copy of a done folder again makes a second job, not a replay of the first."""
    folder = tree["inbox"] / "letters"
    folder.mkdir()
    letter_pdf(folder / "letter.pdf")
    daemon.drain()
    first = result_of(tree["done"] / "letters")
    shutil.copytree(tree["done"] / "letters", tree["inbox"] / "letters-again")
    daemon.drain()
    again = result_of(tree["done"] / "letters-again")
    assert again["job_id"] != first["job_id"] and again["processed_files"] == 1
    ignored = {"path": f"{RESULT_FILE}.orig", "reason": "an earlier result file, kept aside"}
    assert ignored in again["result"]["ignored"]
    assert len(rows(settings)) == 2
    kept = json.loads((tree["done"] / "letters-again" / f"{RESULT_FILE}.orig").read_text())
    assert kept["job_id"] == first["job_id"]


def test_hidden_file_delays_but_never_blocks(make_settings: Callable[..., Settings]) -> None:
    """A folder holding ``.gitkeep`` waits the longer hidden-file quiet time, then is a job."""
    settings = make_settings(hidden_settle_seconds=0.6)
    daemon = Daemon(settings)
    folder = settings.dirs()["inbox"] / "kept"
    folder.mkdir(parents=True)
    invoice_pdf(folder / "a.pdf")
    (folder / ".gitkeep").touch()
    assert daemon.drain() == 0
    import time

    time.sleep(0.7)
    assert daemon.drain() == 1
    daemon.close()
    result = result_of(settings.dirs()["done"] / "kept")
    assert {"path": ".gitkeep", "reason": "hidden"} in result["result"]["ignored"]


def test_leftover_wrap_folder_and_new_loose_file(daemon: Daemon, tree: dict[str, Path]) -> None:
    """A half-done wrap from a crash and a new loose file of the same name both survive."""
    leftover = tree["inbox"] / f"{WRAP_PREFIX}dupe.pdf"
    leftover.mkdir()
    invoice_pdf(leftover / "dupe.pdf")
    letter_pdf(tree["inbox"] / "dupe.pdf")
    daemon.drain()
    done = sorted(p.name for p in tree["done"].iterdir())
    assert len(done) == 2 and all(name.startswith("dupe.pdf") for name in done)


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """chattr +i: a folder nobody, not even root, may rename (like a read-only share)."""
    marked: list[Path] = []

    def mark(path: Path) -> None:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"chattr +i not supported here: {done.stderr.strip()}")
        marked.append(path)

    yield mark
    for path in marked:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_unmovable_folder_does_not_stop_the_others(
    daemon: Daemon, tree: dict[str, Path], immutable: Callable[[Path], None],
    captured: list[dict[str, Any]],
) -> None:  # fmt: skip
    """A folder that cannot be claimed is skipped with the reason; the rest are processed."""
    stuck = tree["inbox"] / "a-readonly"
    stuck.mkdir()
    invoice_pdf(stuck / "a.pdf")
    immutable(stuck)
    (tree["inbox"] / "b-fine").mkdir()
    invoice_pdf(tree["inbox"] / "b-fine" / "b.pdf")
    assert daemon.drain() == 1
    assert (tree["done"] / "b-fine").is_dir() and stuck.is_dir()
    [failure] = [e for e in captured if e["event"] == "folder.claim_failed"]
    assert failure["folder"] == "a-readonly" and "Operation not permitted" in failure["error"]


def test_state_file_name_taken_by_a_folder(daemon: Daemon, tree: dict[str, Path]) -> None:
    """A dropped folder holding a *directory* named like our state file never stops the daemon."""
    odd = tree["inbox"] / "odd"
    (odd / ".inboxd-job.json").mkdir(parents=True)
    invoice_pdf(odd / "a.pdf")
    (tree["inbox"] / "fine").mkdir()
    invoice_pdf(tree["inbox"] / "fine" / "b.pdf")
    daemon.drain()
    daemon.recover()  # a restart's recovery too
    assert (tree["done"] / "fine").is_dir()
    assert (tree["processing"] / "odd" / "a.pdf").exists()  # kept, retried later, not lost


def test_loose_file_with_a_very_long_name(daemon: Daemon, tree: dict[str, Path]) -> None:
    """A loose file whose name is near the 255-byte limit is still wrapped and processed."""
    name = "r" * 240 + ".pdf"
    invoice_pdf(tree["inbox"] / name)
    daemon.drain()
    assert result_of(tree["done"] / name)["total_files"] == 1
