"""Job stores: one ``JobStore`` seam, an embedded SQLite default and Supabase."""

from __future__ import annotations

from typing import Protocol

from inboxd.models import Job, JobStatus


class JobStore(Protocol):
    """Where jobs are recorded.  Every write is an idempotent upsert on the job id."""

    def start(self) -> None:
        """Check the backend and begin background delivery (the daemon calls it once)."""

    def upsert(self, job: Job) -> None:
        """Record the job's current state (create or replace by ``job_id``)."""

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""

    def list(self, status: JobStatus | None = None, limit: int = 50) -> list[Job]:
        """Most recently created jobs first, optionally of one status."""

    def backlog(self) -> int:
        """Writes accepted but not yet delivered to the backend (0 when writes are direct)."""

    def close(self) -> None:
        """Release connections."""
