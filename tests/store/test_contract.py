"""The JobStore contract, run against every backend that can run here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inboxd.models import FileResult, Job, JobResult, JobStatus
from inboxd.store import JobStore
from inboxd.store.sqlite import SqliteStore
from inboxd.store.supabase import SupabaseStore


@pytest.fixture(params=["sqlite", "supabase"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    """The same tests against the embedded store and a real local Supabase stack."""
    s: JobStore
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "jobs.db")
    else:
        stack = request.getfixturevalue("clean_supabase")
        s = SupabaseStore(stack.url, stack.service_key, timeout_seconds=5)
    s.start()
    yield s
    s.close()


def job(n: int, status: JobStatus = JobStatus.PROCESSING) -> Job:
    created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    return Job(job_id=f"00000000-0000-0000-0000-{n:012d}", folder=f"f{n}", status=status,
               created_at=created, updated_at=created)  # fmt: skip


def test_upsert_is_idempotent(store: JobStore) -> None:
    """Writing the same job twice leaves one row with the latest state."""
    j = job(1)
    store.upsert(j)
    j.processed_files, j.total_files = 1, 2
    store.upsert(j)
    store.upsert(j)
    assert store.list() == [j]


def test_full_result_round_trips(store: JobStore) -> None:
    """The result, file data and text with NULs come back exactly (NULs cleaned)."""
    j = job(2, JobStatus.COMPLETED)
    j.result = JobResult(results=[FileResult(filename="a\x00.pdf", path="a.pdf",
                                             fields={"total": {"value": "1.00"}})])  # fmt: skip
    store.upsert(j)
    got = store.get(j.job_id)
    assert got == j and got is not None and got.result is not None
    assert got.result.results[0].filename == "a.pdf"


def test_list_filters_and_orders(store: JobStore) -> None:
    """Listing is newest first, limited, and filtered by status."""
    for n in range(5):
        store.upsert(job(n, JobStatus.FAILED if n % 2 else JobStatus.COMPLETED))
    assert [j.folder for j in store.list(limit=3)] == ["f4", "f3", "f2"]
    assert [j.folder for j in store.list(JobStatus.FAILED)] == ["f3", "f1"]
    assert store.get("missing") is None


def test_sqlite_reopens_existing_database(tmp_path: Path) -> None:
    """A second store on the same file sees the first one's jobs (schema kept)."""
    first = SqliteStore(tmp_path / "jobs.db")
    first.upsert(job(7))
    first.close()
    second = SqliteStore(tmp_path / "jobs.db")
    assert second.get(job(7).job_id) == job(7)
    second.close()
