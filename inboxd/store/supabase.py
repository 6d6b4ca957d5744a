"""The Supabase job store: ``inbox_jobs`` through PostgREST with supabase-py.

One client, reused.  Every write is an upsert on the job id the daemon made, so a retried
or replayed write never adds a row.  Driver errors become ``StoreUnavailable`` (worth
retrying: transport errors, timeouts, 5xx, a database that is restarting) or
``StoreRejected`` (it will never succeed: bad key, missing table, a constraint).
"""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from postgrest.exceptions import APIError
from supabase import Client, ClientOptions, SupabaseException, create_client

from inboxd.errors import ConfigError, SchemaMissing, StoreRejected, StoreUnavailable
from inboxd.models import Job, JobStatus
from inboxd.store import sql
from inboxd.store.rows import COLUMNS, job_to_row, row_to_job

TABLE = "inbox_jobs"
SUPABASE_COLUMNS = (*COLUMNS, "host")
SCHEMA_FILE = "supabase_schema.sql"
# SQLSTATE classes that pass: connection (08), resources (53), operator intervention (57),
# system (58), transaction rollback such as serialization failures and deadlocks (40).
_TRANSIENT_SQLSTATE = re.compile(r"^(08|53|57|58|40)[0-9A-Z]{3}$")
# PostgREST's own codes for "cannot reach or use the database right now".
_TRANSIENT_PGRST = frozenset({"PGRST000", "PGRST001", "PGRST002", "PGRST003"})
_MISSING_TABLE = frozenset({"42P01", "PGRST205", "PGRST200"})
_MISSING_COLUMN = frozenset({"42703", "PGRST204"})

T = TypeVar("T")


def schema_sql() -> str:
    return sql.read(SCHEMA_FILE)


def is_transient(exc: APIError) -> bool:
    code = str(exc.code or "")
    if not code or code in _TRANSIENT_PGRST or _TRANSIENT_SQLSTATE.match(code):
        return True
    # Non-PostgREST answers (a gateway's error page) carry the HTTP status as the code.
    return code.isdigit() and len(code) == 3 and (code.startswith("5") or code == "429")


class SupabaseStore:
    """``JobStore`` on a Supabase project's ``inbox_jobs`` table."""

    def __init__(self, url: str, key: str, timeout_seconds: float) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds
        self.host = socket.gethostname()
        # Our own HTTP client: the timeout is exactly the setting (postgrest-py would round a
        # float timeout down to whole seconds), and retries are the outbox's job, not the
        # driver's (its retries sleep up to 30 s inside a call).
        self._http = httpx.Client(timeout=timeout_seconds, follow_redirects=True)
        options = ClientOptions(
            schema="public", httpx_client=self._http, postgrest_client_retry=False
        )
        try:
            self._client: Client = create_client(url, key, options=options)
        except SupabaseException as exc:  # supabase-py validates the url and key shape
            raise ConfigError(f"store.supabase_url {url!r}: {exc}") from None

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except APIError as exc:
            reason = f"{what}: {exc.code or ''} {exc.message or ''}".strip()
            if is_transient(exc):
                raise StoreUnavailable(f"Supabase unavailable ({reason})") from None
            raise StoreRejected(f"Supabase refused {reason}") from None
        except (httpx.TransportError, OSError) as exc:
            raise StoreUnavailable(
                f"Supabase unreachable at {self.url} ({what}: {type(exc).__name__}: {exc})"
            ) from None

    def start(self) -> None:
        self.check_schema()

    def upsert_row(self, row: dict[str, Any]) -> None:
        """Send one prepared row (as queued by the outbox)."""
        query = self._client.table(TABLE).upsert(row, on_conflict="id", returning="minimal")  # type: ignore[arg-type]
        self._call(f"upsert {row.get('id')}", query.execute)

    def row_for(self, job: Job) -> dict[str, Any]:
        return {**job_to_row(job), "host": self.host}

    def upsert(self, job: Job) -> None:
        self.upsert_row(self.row_for(job))

    def get(self, job_id: str) -> Job | None:
        try:
            uuid.UUID(job_id)
        except ValueError:
            return None  # the column is a uuid: PostgreSQL would refuse the query
        query = self._client.table(TABLE).select(",".join(COLUMNS)).eq("id", job_id).limit(1)
        rows = self._call(f"get {job_id}", query.retry(False).execute).data
        return row_to_job(rows[0]) if rows else None  # type: ignore[arg-type]

    def list(self, status: JobStatus | None = None, limit: int = 50) -> list[Job]:
        query = self._client.table(TABLE).select(",".join(COLUMNS))
        if status is not None:
            query = query.eq("status", str(status))
        query = query.order("created_at", desc=True).order("id").limit(limit)
        rows = self._call("list", query.retry(False).execute).data
        return [row_to_job(r) for r in rows]  # type: ignore[arg-type]

    def check_schema(self) -> None:
        """Raise ``SchemaMissing`` naming exactly what is missing, or StoreUnavailable.

        One request when all is well (every start runs this); column by column only to
        name what is missing.
        """
        try:
            self._probe(",".join(SUPABASE_COLUMNS))
            return
        except StoreRejected as exc:
            if not any(code in str(exc) for code in _MISSING_TABLE | _MISSING_COLUMN):
                raise
        try:
            self._probe("id")
        except StoreRejected as exc:
            if any(code in str(exc) for code in _MISSING_TABLE):
                raise SchemaMissing(
                    f"table public.{TABLE} is missing in {self.url}: apply the schema "
                    "(`inboxd db schema` prints it; paste it into the Supabase SQL editor)"
                ) from None
            raise
        missing = [c for c in SUPABASE_COLUMNS if not self._has_column(c)]
        if missing:
            raise SchemaMissing(
                f"table public.{TABLE} lacks column(s) {', '.join(missing)}: apply the "
                "current schema (`inboxd db schema`)"
            )

    def _has_column(self, column: str) -> bool:
        try:
            self._probe(column)
        except StoreRejected as exc:
            if any(code in str(exc) for code in _MISSING_COLUMN):
                return False
            raise
        return True

    def _probe(self, column: str) -> None:
        query = self._client.table(TABLE).select(column).limit(0)
        self._call(f"check {column}", query.retry(False).execute)

    def backlog(self) -> int:
        return 0

    def close(self) -> None:
        self._http.close()
