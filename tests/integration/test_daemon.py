"""The daemon against a real filesystem: folders in, one job each, results and moves out."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from inboxd.daemon import Daemon
from inboxd.inbox.scan import RESULT_FILE, STATE_FILE
from inboxd.settings import Settings
from tests.conftest import result_of, rows, wait_for
from tests.pdfgen import corrupt_pdf, invoice_pdf, letter_pdf, receipt_pdf


def make_folder(parent: Path, name: str, kinds: tuple[str, ...] = ("invoice",)) -> Path:
    writers = {"invoice": invoice_pdf, "receipt": receipt_pdf, "letter": letter_pdf,
               "corrupt": corrupt_pdf}  # fmt: skip
    folder = parent / name
    folder.mkdir(parents=True)
    for i, kind in enumerate(kinds):
        writers[kind](folder / f"{i:02d}-{kind}.pdf")
    return folder


def by_path(result: dict) -> dict[str, dict]:
    return {r["path"]: r for r in result["result"]["results"]}


def test_folder_becomes_one_classified_job(
    daemon: Daemon, tree: dict[str, Path], settings: Settings
) -> None:
    """A folder of an invoice, a receipt and a letter becomes one completed job in done/."""
    make_folder(tree["inbox"], "batch", ("invoice", "receipt", "letter"))
    assert daemon.drain() == 1
    done = tree["done"] / "batch"
    result = result_of(done)
    assert result["status"] == "completed"
    assert (result["total_files"], result["processed_files"], result["progress"]) == (3, 3, 100)
    files = by_path(result)
    assert files["00-invoice.pdf"]["doc_type"] == "invoice"
    assert files["00-invoice.pdf"]["routing"] == "INBOX"
    assert files["01-receipt.pdf"]["doc_type"] == "receipt"
    assert files["01-receipt.pdf"]["routing"] == "ARCHIVE"
    assert files["02-letter.pdf"]["doc_type"] == "letter"
    for entry in files.values():
        assert entry["kind"] == "pdf" and entry["pages"] == 1 and len(entry["sha256"]) == 64
        assert entry["error"] is None and entry["signals"]
    [row] = rows(settings)
    assert row.job_id == result["job_id"] and row.status.value == "completed"
    assert row.to_json()["result"] == result["result"]
    assert [f.sha256 for f in row.file_data] == [f["sha256"] for f in files.values()]
    assert not any(tree["inbox"].iterdir()) and not list(tree["processing"].glob("[!.]*"))


@pytest.mark.slow
def test_folder_copied_file_by_file_is_one_job(
    make_settings: Callable[..., Settings], start_daemon: Callable[..., object]
) -> None:
    """A folder whose files arrive one by one over seconds yields one job with every file."""
    settings = make_settings(settle_seconds=1.0)
    running = start_daemon(settings)
    inbox = settings.dirs()["inbox"]
    src = make_folder(settings.root / "src", "scan", ("invoice", "receipt", "letter", "invoice"))
    (inbox / "scan").mkdir()
    for pdf in sorted(src.iterdir()):
        shutil.copyfile(pdf, inbox / "scan" / pdf.name)
        time.sleep(0.7)  # slower than the 0.2 s rescan, faster than the 1 s settle time
    done = settings.dirs()["done"] / "scan"
    wait_for(lambda: (done / RESULT_FILE).exists(), what="job finished")
    assert result_of(done)["total_files"] == 4
    assert len(rows(settings)) == 1
    running.stop()  # type: ignore[attr-defined]


def test_folder_renamed_into_inbox(
    daemon: Daemon, tree: dict[str, Path], settings: Settings
) -> None:
    """A folder prepared elsewhere on the filesystem and renamed into the inbox is a job."""
    src = make_folder(settings.root / "staging-area", "moved", ("invoice", "letter"))
    os.rename(src, tree["inbox"] / "moved")
    daemon.drain()
    assert result_of(tree["done"] / "moved")["processed_files"] == 2


def test_temporary_files_and_folders_are_waited_for(daemon: Daemon, tree: dict[str, Path]) -> None:
    """Partial files keep their folder waiting; hidden or temp-named folders are no jobs."""
    folder = make_folder(tree["inbox"], "copying", ("invoice",))
    invoice_pdf(folder / "big.pdf.part")
    make_folder(tree["inbox"], ".hidden-upload", ("invoice",))
    make_folder(tree["inbox"], "upload.tmp", ("invoice",))
    assert daemon.drain() == 0
    assert folder.exists() and not any(tree["done"].iterdir())
    (folder / "big.pdf.part").rename(folder / "big.pdf")
    (tree["inbox"] / "upload.tmp").rename(tree["inbox"] / "upload")
    assert daemon.drain() == 2
    assert result_of(tree["done"] / "copying")["total_files"] == 2
    assert (tree["done"] / "upload").is_dir()
    assert (tree["inbox"] / ".hidden-upload").is_dir()


def test_junk_is_ignored_and_kept(daemon: Daemon, tree: dict[str, Path]) -> None:
    """Desktop and NAS junk is never a document, never fails a job, and moves along."""
    folder = make_folder(tree["inbox"], "mac", ("invoice",))
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "._00-invoice.pdf").write_bytes(b"\x00\x05\x16\x07")
    (folder / "@eaDir").mkdir()
    (folder / "@eaDir" / "thumb.jpg").write_bytes(b"\xff\xd8\xff")
    daemon.drain()
    done = tree["done"] / "mac"
    result = result_of(done)
    assert result["status"] == "completed" and result["total_files"] == 1
    ignored = {i["path"] for i in result["result"]["ignored"]}
    assert ignored == {".DS_Store", "Thumbs.db", "._00-invoice.pdf", "@eaDir/"}
    assert (done / "@eaDir" / "thumb.jpg").exists() and (done / ".DS_Store").exists()


def test_name_taken_in_done_gets_a_suffix(daemon: Daemon, tree: dict[str, Path]) -> None:
    """A second folder with a name already in done/ lands beside it; nothing is overwritten."""
    make_folder(tree["inbox"], "scans", ("invoice",))
    daemon.drain()
    first = result_of(tree["done"] / "scans")
    make_folder(tree["inbox"], "scans", ("receipt", "letter"))
    daemon.drain()
    [second_dir] = [p for p in tree["done"].iterdir() if p.name != "scans"]
    assert second_dir.name == f"scans-{result_of(second_dir)['job_id'][:8]}"
    assert result_of(tree["done"] / "scans") == first
    assert result_of(second_dir)["total_files"] == 2
    assert result_of(second_dir)["job_id"] != first["job_id"]


def test_bad_pdf_beside_good_ones(daemon: Daemon, tree: dict[str, Path]) -> None:
    """A corrupt PDF gets its own error; the others are classified; the folder goes to failed/."""
    folder = make_folder(tree["inbox"], "mixed", ("invoice", "corrupt", "letter"))
    originals = {p.name: p.read_bytes() for p in folder.iterdir()}
    daemon.drain()
    failed = tree["failed"] / "mixed"
    result = result_of(failed)
    assert result["status"] == "failed" and result["processed_files"] == 3
    files = by_path(result)
    assert files["01-corrupt.pdf"]["error"]["code"] == "corrupt"
    assert files["01-corrupt.pdf"]["routing"] == "INBOX"
    assert files["00-invoice.pdf"]["doc_type"] == "invoice" and not files["00-invoice.pdf"]["error"]
    assert "01-corrupt.pdf" in result["error"]
    assert {p.name: p.read_bytes() for p in failed.iterdir() if p.suffix == ".pdf"} == originals


def test_partial_failure_done_setting(make_settings: Callable[..., Settings]) -> None:
    """With partial_failure = "done", a folder with some failed files goes to done/."""
    settings = make_settings(partial_failure="done")
    d = Daemon(settings)
    d.open()
    try:
        make_folder(settings.dirs()["inbox"], "mixed", ("invoice", "corrupt"))
        d.drain()
    finally:
        d.close()
    result = result_of(settings.dirs()["done"] / "mixed")
    assert result["status"] == "completed" and result["failed_files"] == 1


def test_empty_file(daemon: Daemon, tree: dict[str, Path]) -> None:
    """An empty file is that file's clear error, not the job's end."""
    folder = make_folder(tree["inbox"], "withempty", ("invoice",))
    (folder / "blank.pdf").write_bytes(b"")
    daemon.drain()
    files = by_path(result_of(tree["failed"] / "withempty"))
    assert files["blank.pdf"]["error"]["code"] == "empty"
    assert files["00-invoice.pdf"]["error"] is None


def test_loose_file_becomes_its_own_job(daemon: Daemon, tree: dict[str, Path]) -> None:
    """A file dropped directly into the inbox is wrapped in a folder named after it."""
    invoice_pdf(tree["inbox"] / "invoice.pdf")
    daemon.drain()
    result = result_of(tree["done"] / "invoice.pdf")
    assert [r["path"] for r in result["result"]["results"]] == ["invoice.pdf"]


def test_loose_files_can_be_left_alone(make_settings: Callable[..., Settings]) -> None:
    """With wrap_loose_files off, a loose file stays where it is."""
    settings = make_settings(wrap_loose_files=False)
    d = Daemon(settings)
    d.open()
    invoice_pdf(settings.dirs()["inbox"] / "invoice.pdf")
    assert d.drain() == 0
    d.close()
    assert (settings.dirs()["inbox"] / "invoice.pdf").is_file()


def test_marker_mode(make_settings: Callable[..., Settings]) -> None:
    """In marker mode a folder waits for its marker file, which is not a document."""
    settings = make_settings(marker_file=".ready")
    d = Daemon(settings)
    d.open()
    folder = make_folder(settings.dirs()["inbox"], "marked", ("invoice",))
    assert d.drain() == 0
    (folder / ".ready").touch()
    assert d.drain() == 1
    d.close()
    assert result_of(settings.dirs()["done"] / "marked")["total_files"] == 1


def test_subfolders_and_stable_order(daemon: Daemon, tree: dict[str, Path]) -> None:
    """Files in subfolders are processed, named by relative path, in a stable order."""
    folder = make_folder(tree["inbox"], "nested", ("invoice",))
    make_folder(folder, "sub", ("receipt", "letter"))
    os.symlink("/etc/passwd", folder / "link.pdf")
    daemon.drain()
    result = result_of(tree["done"] / "nested")
    assert [r["path"] for r in result["result"]["results"]] == [
        "00-invoice.pdf", "sub/00-receipt.pdf", "sub/01-letter.pdf",
    ]  # fmt: skip
    assert {"path": "link.pdf", "reason": "symlink (not followed)"} in result["result"]["ignored"]


def test_undecodable_file_name(daemon: Daemon, tree: dict[str, Path]) -> None:
    """A file name that is not UTF-8 is kept losslessly in the result and the store."""
    folder = make_folder(tree["inbox"], "latin1", ("invoice",))
    raw = os.path.join(os.fsencode(folder), b"Rechnung-M\xfcller.pdf")
    invoice_pdf(Path(os.fsdecode(raw)))
    daemon.drain()
    done = tree["done"] / "latin1"
    names = {r["path"] for r in result_of(done)["result"]["results"]}
    assert "Rechnung-M\\xfcller.pdf" in names
    assert os.path.exists(os.path.join(os.fsencode(done), b"Rechnung-M\xfcller.pdf"))


def test_restart_resumes_same_job(settings: Settings, tree: dict[str, Path]) -> None:
    """A folder left in processing/ by a stopped daemon resumes under the same job id."""
    folder = make_folder(tree["processing"], "interrupted", ("invoice", "letter"))
    first = Daemon(settings)
    first.drain()  # recovery runs the leftover job
    first.close()
    result = result_of(tree["done"] / "interrupted")
    job_id = result["job_id"]
    # Now the same situation after a crash mid-job: state file written, row recorded.
    shutil.move(tree["done"] / "interrupted", folder)
    (folder / RESULT_FILE).unlink()
    second = Daemon(settings)
    second.drain()
    second.close()
    assert result_of(tree["done"] / "interrupted")["job_id"] == job_id
    assert [r.job_id for r in rows(settings)] == [job_id]


def test_retry_moves_failed_job_back(
    daemon: Daemon, tree: dict[str, Path], settings: Settings
) -> None:
    """``retry`` sends a failed folder back to the inbox as the same job's next attempt."""
    from inboxd.recovery import retry_job

    make_folder(tree["inbox"], "oops", ("corrupt",))
    daemon.drain()
    job_id = result_of(tree["failed"] / "oops")["job_id"]
    bad = tree["failed"] / "oops" / "00-corrupt.pdf"
    bad.unlink()
    invoice_pdf(bad.with_name("00-fixed.pdf"))
    assert daemon.ctx is not None
    retry_job(daemon.ctx.store.get(job_id), tree, daemon.ctx.store)  # type: ignore[arg-type]
    assert (tree["inbox"] / "oops" / STATE_FILE).exists()
    assert daemon.ctx.store.get(job_id).status.value == "pending"  # type: ignore[union-attr]
    daemon.drain()
    result = result_of(tree["done"] / "oops")
    assert result["job_id"] == job_id and result["attempt"] == 2
    assert [r.job_id for r in rows(settings)] == [job_id]


def test_resume_reuses_only_unchanged_files(
    settings: Settings, tree: dict[str, Path], captured: list[dict]
) -> None:
    """A resumed job keeps results of files whose bytes are unchanged, and re-reads the rest."""
    import hashlib

    from inboxd.inbox import folders
    from inboxd.models import FileResult, Job, JobResult, JobStatus
    from inboxd.store.sqlite import SqliteStore

    folder = make_folder(tree["processing"], "half", ("invoice", "letter"))
    job_id = "5b1c0f3e-0000-4000-8000-00000000000a"
    folders.write_state(folder, {"job_id": job_id, "folder": "half", "attempt": 1})
    same = folder / "00-invoice.pdf"
    store = SqliteStore(settings.db_path)
    store.upsert(Job(job_id=job_id, folder="half", status=JobStatus.PROCESSING, result=JobResult(
        results=[
            FileResult(filename=same.name, path=same.name, size=same.stat().st_size,
                       sha256=hashlib.sha256(same.read_bytes()).hexdigest(),
                       doc_type="invoice", signals=["from the first run"]),
            FileResult(filename="01-letter.pdf", path="01-letter.pdf", sha256="0" * 64,
                       size=(folder / "01-letter.pdf").stat().st_size, doc_type="receipt"),
        ])))  # fmt: skip
    store.close()
    daemon = Daemon(settings)
    daemon.drain()
    daemon.close()
    files = by_path(result_of(tree["done"] / "half"))
    assert files["00-invoice.pdf"]["signals"] == ["from the first run"]
    assert files["01-letter.pdf"]["doc_type"] == "letter"  # changed bytes: read again
    assert [e["path"] for e in captured if e["event"] == "file.reused"] == ["00-invoice.pdf"]
