"""Supabase behind a durable local outbox: processing never waits on the network.

The embedded SQLite database stays the daemon's own record (``inboxd jobs`` reads it, and
it works offline).  Every state of a job is also queued in the ``outbox`` table of the same
database; a delivery thread sends the queue to Supabase in order, coalescing progress to at
most one request per job per ``progress_interval`` plus the final state, retrying transport
failures with exponential backoff and parking writes Supabase refuses for good.  Queued
writes survive a restart and are delivered by the next daemon; upserts on the job id make
any replay harmless.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from inboxd.errors import StoreRejected, StoreUnavailable
from inboxd.models import Job, JobStatus
from inboxd.store import sql
from inboxd.store.sqlite import SqliteStore
from inboxd.store.supabase import SupabaseStore

log = structlog.get_logger("inboxd.store")
_Q = sql.queries("outbox_queries.sql")
BATCH = 100
IDLE_SECONDS = 30.0  # nothing queued: sleep until an enqueue wakes the thread
FIRST_RETRY_SECONDS = 0.5
FLUSH_SECONDS = 3.0  # on stop, how long to try delivering what waits


@dataclass(frozen=True)
class Entry:
    job_id: str
    version: int
    row: dict[str, Any]
    final: bool


class Outbox:
    """The queue table, on the embedded store's database."""

    def __init__(self, db: SqliteStore) -> None:
        self.db = db

    def enqueue_statement(
        self, job_id: str, row: dict[str, Any], final: bool
    ) -> tuple[str, dict[str, Any]]:
        params = {"job_id": job_id, "row": json.dumps(row, ensure_ascii=False),
                  "final": int(final), "now": time.time()}  # fmt: skip
        return _Q["enqueue"], params

    def waiting(self, limit: int = BATCH) -> list[Entry]:
        rows = self.db.run(_Q["waiting"], {"limit": limit})
        return [
            Entry(r["job_id"], r["version"], json.loads(r["row"]), bool(r["final"])) for r in rows
        ]

    def delivered(self, entry: Entry) -> None:
        self.db.run(_Q["delivered"], {"job_id": entry.job_id, "version": entry.version})

    def failed_attempt(self, entry: Entry) -> None:
        self.db.run(_Q["failed_attempt"], {"job_id": entry.job_id, "version": entry.version})

    def park(self, entry: Entry, reason: str) -> None:
        params = {"job_id": entry.job_id, "version": entry.version, "reason": reason}
        self.db.run(_Q["park"], params)

    def unpark(self) -> None:
        """Give refused writes another chance (at start: the operator may have fixed the cause)."""
        self.db.run(_Q["unpark"], {})

    def counts(self) -> tuple[int, int]:
        """(writes waiting, writes parked)."""
        row = self.db.run(_Q["counts"], {})[0]
        return int(row["waiting"]), int(row["parked"])


class Replicator:
    """Delivers the outbox to Supabase from its own thread."""

    def __init__(
        self,
        outbox: Outbox,
        remote: SupabaseStore,
        progress_interval: float,
        retry_max: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.outbox, self.remote = outbox, remote
        self.progress_interval, self.retry_max = progress_interval, retry_max
        self.clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._sent_at: dict[str, float] = {}
        self._failures = 0
        self._retry_at = 0.0
        self._thread = threading.Thread(target=self._loop, name="inboxd-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, flush_seconds: float = FLUSH_SECONDS) -> None:
        """Stop the thread, then try to deliver what waits for up to ``flush_seconds``."""
        if not self._thread.is_alive():
            return  # never started (a CLI command): the daemon delivers, not us
        self._stopping.set()
        self._wake.set()
        self._thread.join()
        deadline = self.clock() + flush_seconds
        self._retry_at = 0.0
        while self.clock() < deadline and self.outbox.counts()[0]:
            if self.deliver(ignore_interval=True) > 0:
                break  # Supabase is away: the next start delivers the rest

    def _loop(self) -> None:
        while not self._stopping.is_set():
            # The thread's boundary: a failure of the local database (locked, I/O) must not
            # end delivery for good; it is logged and tried again after a pause.
            try:
                wait = self.deliver()
            except Exception as exc:
                log.exception("store.outbox_error", error=f"{type(exc).__name__}: {exc}")
                wait = self.retry_max
            self._wake.wait(timeout=wait)
            self._wake.clear()

    def deliver(self, ignore_interval: bool = False) -> float:
        """Send what is due, in order; returns seconds until something may be due again."""
        now = self.clock()
        if now < self._retry_at:
            return self._retry_at - now
        next_due = IDLE_SECONDS
        entries = self.outbox.waiting()
        for entry in entries:
            last = self._sent_at.get(entry.job_id)
            if not (ignore_interval or entry.final or last is None):
                remaining = self.progress_interval - (now - last)
                if remaining > 0:
                    next_due = min(next_due, remaining)
                    continue
            try:
                self.remote.upsert_row(entry.row)
            except StoreUnavailable as exc:
                self.outbox.failed_attempt(entry)
                return self._back_off(exc)
            except StoreRejected as exc:
                self.outbox.park(entry, exc.message)
                log.error("store.write_parked", job_id=entry.job_id, reason=exc.message)
                continue
            self.outbox.delivered(entry)
            self._recovered()
            if entry.final:
                self._sent_at.pop(entry.job_id, None)
            else:
                self._sent_at[entry.job_id] = now
        return 0.0 if len(entries) == BATCH else next_due

    def _back_off(self, exc: StoreUnavailable) -> float:
        self._failures += 1
        delay = min(self.retry_max, FIRST_RETRY_SECONDS * 2.0 ** (self._failures - 1))
        delay *= random.uniform(0.8, 1.2)  # jitter: many daemons do not retry in step
        self._retry_at = self.clock() + delay
        if self._failures == 1 or self._failures % 10 == 0:
            waiting, parked = self.outbox.counts()
            log.warning("store.unavailable", error=exc.message, writes_waiting=waiting,
                        writes_parked=parked, retry_in_s=round(delay, 1))  # fmt: skip
        return delay

    def _recovered(self) -> None:
        if self._failures:
            log.info("store.recovered", failed_attempts=self._failures,
                     writes_waiting=self.outbox.counts()[0])  # fmt: skip
        self._failures = 0
        self._retry_at = 0.0


class ReplicatedStore:
    """``JobStore`` with the embedded store as the record and Supabase fed by the outbox."""

    def __init__(
        self, local: SqliteStore, remote: SupabaseStore, progress_interval: float,
        retry_max: float,
    ) -> None:  # fmt: skip
        self.local, self.remote = local, remote
        self.outbox = Outbox(local)
        self.replicator = Replicator(self.outbox, remote, progress_interval, retry_max)

    def start(self) -> None:
        """A missing schema is fatal (exit 78); an unreachable Supabase is not: writes wait."""
        self.outbox.unpark()
        try:
            self.remote.check_schema()
        except StoreUnavailable as exc:
            waiting, parked = self.outbox.counts()
            log.warning("store.unavailable", error=exc.message, writes_waiting=waiting,
                        writes_parked=parked)  # fmt: skip
        self.replicator.start()

    def upsert(self, job: Job) -> None:
        # One transaction: a crash can never record the final state locally but not queue it
        # (the recovery at start only revisits rows that are unfinished locally).
        queued = self.outbox.enqueue_statement(job.job_id, self.remote.row_for(job), job.finished)
        self.local.upsert(job, queued)
        self.replicator.wake()

    def get(self, job_id: str) -> Job | None:
        return self.local.get(job_id)

    def list(self, status: JobStatus | None = None, limit: int = 50) -> list[Job]:
        return self.local.list(status, limit)

    def backlog(self) -> int:
        return self.outbox.counts()[0]

    def close(self) -> None:
        self.replicator.stop()
        self.remote.close()
        self.local.close()
