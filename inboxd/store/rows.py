"""The ``inbox_jobs`` row as a flat mapping, shared by the stores."""

from __future__ import annotations

from typing import Any

from inboxd.models import Job

JSON_COLUMNS = ("file_data", "result")
COLUMNS = (
    "id", "status", "folder", "total_files", "processed_files", "failed_files", "progress",
    "file_data", "result", "error", "attempt", "created_at", "started_at", "updated_at",
    "finished_at",
)  # fmt: skip


def job_to_row(job: Job) -> dict[str, Any]:
    """The row for a job: JSON-ready values, ``job_id`` stored as ``id``."""
    data = job.to_json()
    data["id"] = data.pop("job_id")
    return {column: data[column] for column in COLUMNS}


def row_to_job(row: dict[str, Any]) -> Job:
    data = dict(row)
    data["job_id"] = data.pop("id")
    return Job.from_json(data)
