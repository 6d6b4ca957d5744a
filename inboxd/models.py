"""The job shape, as the HTTP design's ``GET /job/{id}`` returned it.

A job is one dropped folder.  Its JSON (``Job.to_json``) is what ``inboxd-result.json``
holds and what the store keeps, so a client that knew the HTTP API recognises both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

# NUL is rejected by PostgreSQL text/jsonb; lone surrogates (from undecodable file names
# read with surrogateescape) cannot be encoded as UTF-8 and would crash a JSON write.
_NUL_AND_SURROGATES = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Text safe for JSON and for any store: NULs dropped, lone surrogates escaped."""
    if not _NUL_AND_SURROGATES.search(value):
        return value
    out = []
    for ch in value:
        code = ord(ch)
        if code == 0:
            continue
        if 0xDC80 <= code <= 0xDCFF:  # a byte smuggled in by surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def clean_json(value: Any) -> Any:
    """``clean_text`` applied to every string (keys too) of a JSON-like value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class Routing(StrEnum):
    INBOX = "INBOX"  # needs a person's action
    ARCHIVE = "ARCHIVE"  # file away


class _Clean(BaseModel):
    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_json(value)


class FileError(_Clean):
    code: str
    message: str


class FileInfo(_Clean):
    """What is known of a file before it is processed (the row's ``file_data``)."""

    filename: str
    path: str
    size: int
    sha256: str | None = None


class FileResult(_Clean):
    """One entry of ``result.results[]``."""

    filename: str
    path: str
    sha256: str | None = None
    size: int = 0
    kind: str = "unknown"
    pages: int | None = None
    pages_read: int | None = None
    doc_type: str = "unknown"
    confidence: float = 0.0
    routing: Routing = Routing.INBOX
    routing_rule: str | None = None
    signals: list[str] = Field(default_factory=list)
    fields: dict[str, Any] = Field(default_factory=dict)
    needs_ocr: bool = False
    warnings: list[str] = Field(default_factory=list)
    error: FileError | None = None


class JobResult(_Clean):
    results: list[FileResult] = Field(default_factory=list)
    # Entries that moved with the folder but are not documents: {"path", "reason"}.
    ignored: list[dict[str, str]] = Field(default_factory=list)


class Job(_Clean):
    """One folder's job: the row in ``inbox_jobs`` and the content of the result JSON."""

    job_id: str
    status: JobStatus = JobStatus.PENDING
    folder: str
    total_files: int = 0
    processed_files: int = 0
    failed_files: int = 0
    progress: int = 0
    file_data: list[FileInfo] = Field(default_factory=list)
    result: JobResult | None = None
    error: str | None = None
    attempt: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.COMPLETED, JobStatus.FAILED)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        return cls.model_validate(data)
