"""One claimed folder end to end: job row, files with progress, result JSON, finish."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import structlog

from inboxd.errors import DocumentError, FolderError, InboxdError, StoreError
from inboxd.failpoints import failpoint
from inboxd.inbox import folders
from inboxd.inbox.scan import folder_contents
from inboxd.models import FileInfo, FileResult, Job, JobResult, JobStatus, utcnow
from inboxd.pipeline import hash_and_head
from inboxd.store import JobStore

log = structlog.get_logger("inboxd.worker")


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    PARKED = "parked"  # stopped between files; resumes under the same job id
    STUCK = "stuck"  # the filesystem failed even the failure path; tried again later
    UNSETTLED = "unsettled"  # a file changed while read: back in the inbox to settle


class FolderUnsettled(Exception):
    """A file of the folder changed while it was being processed."""


class PublishFailed(Exception):
    """The decided job could not be moved into done/ or failed/ (yet)."""


@dataclass
class WorkContext:
    store: JobStore
    # One file to its result; in the daemon, in a parser process with a timeout and a cap.
    process: Callable[[Path, str], FileResult]
    done_dir: Path | None  # None: process in place, no move (``inboxd process``)
    failed_dir: Path | None
    inbox_dir: Path | None = None
    max_attempts: int = 5
    partial_failure: str = "failed"
    marker: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    on_progress: Callable[[Job], None] | None = None


def job_for(folder: Path) -> tuple[Job, dict[str, Any]]:
    """The job of a folder and its state: the id in its state file, or a new one recorded there.

    Writing the id into the folder right after the claim is what lets a restarted daemon
    (or ``inboxd retry``) resume the same job instead of creating a second row.  Each run
    is counted there too, so a folder that keeps failing (or keeps killing the daemon) is
    given up after ``max_attempts`` instead of looping forever.
    """
    state = folders.read_state(folder) or {
        "job_id": str(uuid.uuid4()),
        "folder": folder.name,
        "attempt": 1,
        "created_at": utcnow().isoformat(),
    }
    # A state file is data from disk: a wrong type in it must not make the job unfailable.
    state["attempt"] = _count(state.get("attempt"), 1)
    state["runs"] = _count(state.get("runs"), 0) + 1
    folders.write_state(folder, state)
    created = state.get("created_at")
    job = Job(
        job_id=state["job_id"],
        folder=str(state.get("folder") or folder.name),
        attempt=state["attempt"],
        created_at=created if isinstance(created, str) and created else utcnow(),
    )
    return job, state


def _count(value: Any, default: int) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
    )


def run_job(folder: Path, ctx: WorkContext) -> tuple[Job, Outcome, Path]:
    """Process every document of a claimed folder; returns the job, outcome and location."""
    try:
        job, state = job_for(folder)
    except Exception as exc:  # cannot even record the job id (disk full, share gone)
        log.exception("job.stuck", folder=folder.name, error=f"{type(exc).__name__}: {exc}")
        return Job(job_id="", folder=folder.name), Outcome.STUCK, folder
    with structlog.contextvars.bound_contextvars(job_id=job.job_id, folder=job.folder):
        started = time.monotonic()
        # The job boundary, one of the three broad catches: one bad job never stops the
        # daemon.  If even failing the job fails (disk full, share gone), the folder stays
        # in processing/ under its job id and is tried again later (see ``max_attempts``).
        try:
            if state["runs"] > ctx.max_attempts:
                last = state.get("last_error") or "interrupted each time"
                reason = f"given up after {ctx.max_attempts} attempts: {last}"
                return _fail_job(folder, job, ctx, reason, started)
            outcome = _resume_finished(folder, job, ctx, started) or _run(folder, job, ctx, started)
            if outcome[1] is Outcome.PARKED:  # a clean stop is not a failed attempt
                folders.write_state(folder, {**state, "runs": state["runs"] - 1})
            return outcome
        except FolderUnsettled as exc:
            return _unsettle_or_stick(folder, job, state, ctx, exc)
        except PublishFailed as exc:
            # The job's outcome is decided and written; only the move failed (a share
            # outage). Never re-decide it: keep it and try the same move again later.
            log.warning("job.stuck", error=str(exc))
            _remember_error(folder, state, str(exc))
            return job, Outcome.STUCK, folder
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.exception("job.error", error=reason)
        try:
            return _fail_job(folder, job, ctx, reason, started)
        except Exception as exc:
            log.exception("job.stuck", error=f"{type(exc).__name__}: {exc}")
            _remember_error(folder, state, reason)
            return job, Outcome.STUCK, folder


def _unsettle_or_stick(
    folder: Path, job: Job, state: dict[str, Any], ctx: WorkContext, exc: FolderUnsettled
) -> tuple[Job, Outcome, Path]:
    try:
        return _unsettle(folder, job, ctx, exc)
    except InboxdError:
        raise  # ``inboxd process``: reported to the user
    except Exception as err:  # cannot send it back (disk full, share gone): later
        log.exception("job.stuck", error=f"{type(err).__name__}: {err}")
        _remember_error(folder, state, str(exc))
        return job, Outcome.STUCK, folder


def _remember_error(folder: Path, state: dict[str, Any], reason: str) -> None:
    with contextlib.suppress(Exception):  # the filesystem just failed us; best effort
        folders.write_state(folder, {**state, "last_error": reason})


def _resume_finished(
    folder: Path, job: Job, ctx: WorkContext, started: float
) -> tuple[Job, Outcome, Path] | None:
    """A result JSON already written for this job: only the move (and final row) are left."""
    written = folders.read_result(folder)
    if not written or written.get("job_id") != job.job_id:
        return None
    done = Job.from_json(written)
    if not done.finished or done.attempt != job.attempt:
        return None
    log.info("job.recovered", stage="publish")
    outcome = Outcome.FAILED if done.status is JobStatus.FAILED else Outcome.DONE
    return _publish(folder, done, ctx, outcome, started)


def _unsettle(
    folder: Path, job: Job, ctx: WorkContext, exc: FolderUnsettled
) -> tuple[Job, Outcome, Path]:
    """A file changed while it was read: the folder was not complete; back to waiting."""
    log.warning("job.unsettled", reason=str(exc))
    if ctx.inbox_dir is None:
        raise InboxdError(f"{exc}: the folder is still being written") from None
    state = folders.read_state(folder) or {"job_id": job.job_id, "folder": job.folder}
    # Keep this job id at the claim; it starts afresh, this was not a failed attempt.
    folders.write_state(folder, {**state, "queued": True, "runs": 0})
    location = folders.move_unique(folder, ctx.inbox_dir, job.job_id)
    job.status, job.updated_at = JobStatus.PENDING, utcnow()
    ctx.store.upsert(job)
    return job, Outcome.UNSETTLED, location


def _run(folder: Path, job: Job, ctx: WorkContext, started: float) -> tuple[Job, Outcome, Path]:
    contents = folder_contents(folder, ctx.marker)
    done_before = _results_so_far(job, ctx.store)
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
    failpoint("after_row_insert")
    log.info("job.started", total_files=job.total_files, attempt=job.attempt)
    for index, (rel, path) in enumerate(contents.documents):
        if ctx.stop.is_set():
            log.info("job.parked", processed_files=job.processed_files)
            return job, Outcome.PARKED, folder
        before = _fingerprint(path)
        result = _reuse(done_before.get(rel), path) or ctx.process(path, rel)
        if _fingerprint(path) != before:
            raise FolderUnsettled(f"{rel} changed while it was being read")
        log.info(
            "file.classified", path=rel, kind=result.kind, doc_type=result.doc_type,
            confidence=result.confidence, routing=str(result.routing),
            error=result.error.code if result.error else None,
        )  # fmt: skip
        _record(job, index, result)
        ctx.store.upsert(job)
        failpoint("mid_file")
        if ctx.on_progress:
            ctx.on_progress(job)
    if not contents.documents:
        return _fail_job(folder, job, ctx, "the folder holds no documents", started)
    return _finish(folder, job, ctx, started)


def _results_so_far(job: Job, store: JobStore) -> dict[str, FileResult]:
    """Files an interrupted run of this same attempt already finished, by relative path."""
    previous = store.get(job.job_id) if job.job_id else None
    if previous is None or previous.status is not JobStatus.PROCESSING:
        return {}
    if previous.attempt != job.attempt or previous.result is None:
        return {}
    return {r.path: r for r in previous.result.results}


def _reuse(previous: FileResult | None, path: Path) -> FileResult | None:
    """A result from the interrupted run, if the file still has the same bytes (sha256).

    Hashing is a plain read; parsing is what a resumed 500-file job must not do twice.
    """
    if previous is None or previous.sha256 is None or previous.size != _size(path):
        return None
    try:
        digest, _head = hash_and_head(path)  # the pipeline's own hashing: same bytes, same sum
    except DocumentError:
        return None
    if digest != previous.sha256:
        return None
    log.info("file.reused", path=previous.path)
    return previous


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
        more = f" and {len(names) - 10} more" if len(names) > 10 else ""
        listed = ", ".join(names[:10])
        job.error = f"{job.failed_files} of {job.total_files} files failed: {listed}{more}"
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
    # The result JSON is the record of intent for the move: a daemon that dies after this
    # line finds it at start and only moves the folder (``_resume_finished``).
    folders.write_result(folder, job.to_json())
    failpoint("after_result")
    return _publish(folder, job, ctx, outcome, started)


def _publish(
    folder: Path, job: Job, ctx: WorkContext, outcome: Outcome, started: float
) -> tuple[Job, Outcome, Path]:
    """The rename into done/ or failed/ (the commit point), then the final row."""
    dest_dir = ctx.failed_dir if outcome is Outcome.FAILED else ctx.done_dir
    try:
        location = folder if dest_dir is None else folders.move_unique(folder, dest_dir, job.job_id)
    except FolderError as exc:
        raise PublishFailed(exc.message) from exc
    failpoint("mid_move")
    try:
        ctx.store.upsert(job)
    except StoreError as exc:
        # The folder is published (the commit point); the next start takes the row's final
        # state from the result JSON beside it (recovery.reconcile_rows).
        log.error("store.write_failed", error=exc.message)
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


def _fingerprint(path: Path) -> tuple[int, int] | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0
