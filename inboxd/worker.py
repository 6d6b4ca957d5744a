"""One claimed folder end to end: job row, files with progress, result JSON, finish."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import structlog

from inboxd.documents.extract import ExtractLimits
from inboxd.documents.rules import Rules
from inboxd.inbox import folders
from inboxd.inbox.scan import folder_contents
from inboxd.models import FileInfo, FileResult, Job, JobResult, JobStatus, utcnow
from inboxd.pipeline import process_file
from inboxd.store import JobStore

log = structlog.get_logger("inboxd.worker")


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    PARKED = "parked"  # stopped between files; resumes under the same job id


@dataclass
class WorkContext:
    store: JobStore
    rules: Rules
    limits: ExtractLimits
    done_dir: Path | None  # None: process in place, no move (``inboxd process``)
    failed_dir: Path | None
    partial_failure: str = "failed"
    marker: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    on_progress: Callable[[Job], None] | None = None


def job_for(folder: Path) -> Job:
    """The job of a folder: the id in its state file, or a new one recorded there.

    Writing the id into the folder right after the claim is what lets a restarted daemon
    (or ``inboxd retry``) resume the same job instead of creating a second row.
    """
    state = folders.read_state(folder)
    if state is None:
        state = {
            "job_id": str(uuid.uuid4()),
            "folder": folder.name,
            "attempt": 1,
            "created_at": utcnow().isoformat(),
        }
        folders.write_state(folder, state)
    return Job(
        job_id=state["job_id"],
        folder=state.get("folder") or folder.name,
        attempt=int(state.get("attempt", 1)),
        created_at=state.get("created_at") or utcnow(),
    )


def run_job(folder: Path, ctx: WorkContext) -> tuple[Job, Outcome, Path]:
    """Process every document of a claimed folder; returns the job, outcome and location."""
    job = job_for(folder)
    with structlog.contextvars.bound_contextvars(job_id=job.job_id, folder=job.folder):
        started = time.monotonic()
        # The job boundary, one of the three broad catches: one bad job never stops the
        # daemon.  If even failing the job fails (disk full, share gone), the folder stays
        # in processing/ under its job id and is resumed at the next start.
        try:
            return _run(folder, job, ctx, started)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.exception("job.error", error=reason)
        try:
            return _fail_job(folder, job, ctx, reason, started)
        except Exception as exc:
            log.exception("job.stuck", error=f"{type(exc).__name__}: {exc}")
            return job, Outcome.PARKED, folder


def _run(folder: Path, job: Job, ctx: WorkContext, started: float) -> tuple[Job, Outcome, Path]:
    contents = folder_contents(folder, ctx.marker)
    job.status = JobStatus.PROCESSING
    job.started_at = job.updated_at = utcnow()
    job.total_files = len(contents.documents)
    job.processed_files = job.failed_files = job.progress = 0
    job.file_data = [
        FileInfo(filename=path.name, path=rel, size=_size(path)) for rel, path in contents.documents
    ]
    job.result = JobResult(ignored=[{"path": p, "reason": r} for p, r in contents.ignored])
    job.error = None
    ctx.store.upsert(job)
    log.info("job.started", total_files=job.total_files, attempt=job.attempt)
    for index, (rel, path) in enumerate(contents.documents):
        if ctx.stop.is_set():
            log.info("job.parked", processed_files=job.processed_files)
            return job, Outcome.PARKED, folder
        _record(job, index, process_file(path, rel, ctx.rules, ctx.limits))
        ctx.store.upsert(job)
        if ctx.on_progress:
            ctx.on_progress(job)
    if not contents.documents:
        return _fail_job(folder, job, ctx, "the folder holds no documents", started)
    return _finish(folder, job, ctx, started)


def _record(job: Job, index: int, result: FileResult) -> None:
    assert job.result is not None
    job.result.results.append(result)
    job.file_data[index].sha256 = result.sha256
    job.processed_files += 1
    job.failed_files += result.error is not None
    job.progress = job.processed_files * 100 // max(job.total_files, 1)
    job.updated_at = utcnow()


def _finish(folder: Path, job: Job, ctx: WorkContext, started: float) -> tuple[Job, Outcome, Path]:
    failed = job.failed_files > 0 and ctx.partial_failure == "failed"
    if job.failed_files:
        assert job.result is not None
        names = [f"{r.path} ({r.error.code})" for r in job.result.results if r.error]
        job.error = f"{job.failed_files} of {job.total_files} files failed: " + ", ".join(
            names[:10]
        )
    return _complete(folder, job, ctx, Outcome.FAILED if failed else Outcome.DONE, started)


def _fail_job(
    folder: Path, job: Job, ctx: WorkContext, reason: str, started: float
) -> tuple[Job, Outcome, Path]:
    job.error = reason
    return _complete(folder, job, ctx, Outcome.FAILED, started)


def _complete(
    folder: Path, job: Job, ctx: WorkContext, outcome: Outcome, started: float
) -> tuple[Job, Outcome, Path]:
    """Publish: result JSON first, then the rename into done/ or failed/ (the commit point)."""
    job.status = JobStatus.FAILED if outcome is Outcome.FAILED else JobStatus.COMPLETED
    job.finished_at = job.updated_at = utcnow()
    if job.status is JobStatus.COMPLETED:
        job.progress = 100
    folders.write_result(folder, job.to_json())
    dest_dir = ctx.failed_dir if outcome is Outcome.FAILED else ctx.done_dir
    location = folder if dest_dir is None else folders.move_unique(folder, dest_dir, job.job_id)
    ctx.store.upsert(job)
    log.info(
        "job.finished",
        status=str(job.status),
        total_files=job.total_files,
        processed_files=job.processed_files,
        failed_files=job.failed_files,
        duration_s=round(time.monotonic() - started, 3),
        location=str(location),
        error=job.error,
    )
    return job, outcome, location


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0
