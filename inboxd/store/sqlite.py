"""The embedded job store: stdlib sqlite3 in WAL mode, one file beside the directories."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from inboxd.errors import StoreError, StoreUnavailable
from inboxd.models import Job, JobStatus
from inboxd.store import sql
from inboxd.store.rows import JSON_COLUMNS, job_to_row, row_to_job

SCHEMA_VERSION = 2  # 2: the outbox table
BUSY_TIMEOUT_SECONDS = 10.0  # the CLI reads while the daemon writes
_Q = sql.queries("sqlite_queries.sql")


class SqliteStore:
    """``JobStore`` on one SQLite database; safe to share between the daemon's threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False,
                isolation_level=None,
            )  # fmt: skip
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open the job database {path}: {exc}") from exc

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}; this inboxd knows {SCHEMA_VERSION}"
            )
        if version < SCHEMA_VERSION:
            self._db.executescript(sql.read("sqlite_schema.sql"))
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _run(self, query: str, params: dict[str, Any]) -> list[sqlite3.Row]:
        return self.run(_Q[query], params)

    def run(self, statement: str, params: dict[str, Any]) -> list[sqlite3.Row]:
        """Execute one statement on this database (shared with the outbox)."""
        try:
            with self._lock:
                return self._db.execute(statement, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"job database {self.path}: {exc}") from exc

    def start(self) -> None:
        """Nothing to start: the database was opened and migrated in the constructor."""

    def upsert(self, job: Job, *also: tuple[str, dict[str, Any]]) -> None:
        """Record the job; ``also`` statements commit in the same transaction, or none does."""
        row = job_to_row(job)
        for column in JSON_COLUMNS:
            if row[column] is not None:
                row[column] = json.dumps(row[column], ensure_ascii=False)
        if not also:
            self._run("upsert", row)
            return
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.execute(_Q["upsert"], row)
                    for statement, params in also:
                        self._db.execute(statement, params)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"job database {self.path}: {exc}") from exc

    def get(self, job_id: str) -> Job | None:
        rows = self._run("get", {"id": job_id})
        return _job(rows[0]) if rows else None

    def list(self, status: JobStatus | None = None, limit: int = 50) -> list[Job]:
        if status is None:
            rows = self._run("list_all", {"limit": limit})
        else:
            rows = self._run("list_by_status", {"status": str(status), "limit": limit})
        return [_job(r) for r in rows]

    def backlog(self) -> int:
        return 0

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _job(row: sqlite3.Row) -> Job:
    data = dict(row)
    for column in JSON_COLUMNS:
        if data[column] is not None:
            data[column] = json.loads(data[column])
    return row_to_job(data)
