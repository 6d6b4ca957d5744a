"""Job rows and folders brought back in line: after a crash at start, and on ``retry``."""

from __future__ import annotations

from pathlib import Path

import structlog

from inboxd.errors import JobNotFound
from inboxd.inbox import folders
from inboxd.models import Job, JobStatus, utcnow
from inboxd.store import JobStore

log = structlog.get_logger("inboxd.recovery")


def reconcile_rows(store: JobStore, dirs: dict[str, Path], resumed: set[str]) -> None:
    """Settle every unfinished row whose job is neither resumed nor waiting in the inbox.

    A row left ``processing`` by a daemon that died after its folder reached done/ or
    failed/ takes its final state from the result JSON there; a row whose folder is nowhere
    is marked failed with the reason.
    """
    # Rows first, then the inbox: an upload published in between is then seen in the inbox.
    unfinished = [
        job
        for status in (JobStatus.PROCESSING, JobStatus.PENDING)
        for job in store.list(status, limit=100_000)
        if job.job_id not in resumed
    ]
    # Jobs in the inbox, or still being uploaded into a hidden staging folder there.
    waiting = {s["job_id"] for s in folders.states(dirs["inbox"], hidden=True)}
    for job in unfinished:
        if job.job_id not in waiting:
            _settle_row(store, dirs, job)


def _settle_row(store: JobStore, dirs: dict[str, Path], job: Job) -> None:
    for place in ("done", "failed"):
        folder = folders.find_job_folder(dirs[place], job.job_id, job.folder)
        written = folders.read_result(folder) if folder else None
        if written and written.get("job_id") == job.job_id:
            log.info("job.recovered", stage="row", job_id=job.job_id, location=str(folder))
            store.upsert(Job.from_json(written))
            return
    log.warning("job.recovered", stage="lost", job_id=job.job_id, folder=job.folder)
    job.status, job.finished_at, job.updated_at = JobStatus.FAILED, utcnow(), utcnow()
    job.error = "folder not found at start in processing/, done/, failed/ or the inbox"
    store.upsert(job)


def retry_job(job: Job, dirs: dict[str, Path], store: JobStore) -> Path:
    """Move a failed job's folder back into the inbox as the next attempt of the same job."""
    folder = folders.find_job_folder(dirs["failed"], job.job_id, job.folder)
    if folder is None:
        raise JobNotFound(f"job {job.job_id} has no folder in {dirs['failed']}")
    if folders.read_state(folder) is None:
        folders.write_state(folder, {"job_id": job.job_id, "folder": job.folder})
    # queued: the claim keeps this job id (folders.adopt); complete: it needs no settling,
    # it arrives in one rename.
    state = folders.next_attempt(folder, queued=True, complete=True)
    assert state is not None
    target = folders.move_unique(folder, dirs["inbox"], job.job_id)
    job.status, job.attempt, job.updated_at = JobStatus.PENDING, state["attempt"], utcnow()
    job.finished_at = None
    store.upsert(job)
    log.info("job.retried", job_id=job.job_id, attempt=job.attempt, folder=target.name)
    return target
