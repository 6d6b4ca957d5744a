"""The Supabase store against a real PostgREST over a real PostgreSQL (the local stack)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from inboxd.errors import SchemaMissing, StoreRejected, StoreUnavailable
from inboxd.models import FileResult, Job, JobResult, JobStatus
from inboxd.store.supabase import SupabaseStore, is_transient
from tests.conftest import wait_for
from tests.supabase_stack import LocalSupabase


def job(n: int = 1) -> Job:
    return Job(job_id=f"11111111-0000-0000-0000-{n:012d}", folder=f"folder-{n}")


@pytest.fixture
def store(clean_supabase: LocalSupabase) -> Iterator[SupabaseStore]:
    s = SupabaseStore(clean_supabase.url, clean_supabase.service_key, timeout_seconds=5)
    yield s
    s.close()


def requests_logged(stack: LocalSupabase, method: str) -> list[str]:
    return [line for line in stack.access_log.read_text().splitlines() if line.startswith(method)]


def test_upsert_is_a_real_http_request_and_idempotent(
    store: SupabaseStore, clean_supabase: LocalSupabase
) -> None:
    """Writing a job twice makes two real POSTs through the gateway and leaves one row."""
    j = job()
    store.upsert(j)
    j.status, j.processed_files = JobStatus.COMPLETED, 3
    store.upsert(j)
    query = "SELECT count(*), max(status), max(processed_files), bool_and(host IS NOT NULL)"
    assert clean_supabase.sql(query + " FROM inbox_jobs") == "1|completed|3|t"
    posts = requests_logged(clean_supabase, "POST /rest/v1/inbox_jobs")
    assert len(posts) == 2 and all(" 201 " in p or " 200 " in p for p in posts), posts


def test_text_with_nul_is_stored(store: SupabaseStore, clean_supabase: LocalSupabase) -> None:
    """Extracted text with NUL characters is cleaned before PostgreSQL (which refuses it)."""
    j = job(2)
    entry = FileResult(filename="a.pdf", path="a.pdf", fields={"sender": {"text": "ACME\x00 Ltd"}})
    j.result = JobResult(results=[entry])
    store.upsert(j)
    got = store.get(j.job_id)
    assert got is not None and got.result is not None
    assert got.result.results[0].fields["sender"]["text"] == "ACME Ltd"


def test_anon_key_can_neither_read_nor_write(
    store: SupabaseStore, clean_supabase: LocalSupabase
) -> None:
    """Row level security with no policy: the anon key sees nothing and cannot insert."""
    store.upsert(job(3))
    anon = SupabaseStore(clean_supabase.url, clean_supabase.anon_key, timeout_seconds=5)
    try:
        with pytest.raises(StoreRejected):
            anon.upsert(job(4))
        with pytest.raises(StoreRejected):
            anon.list()
    finally:
        anon.close()
    assert clean_supabase.sql("SELECT count(*) FROM inbox_jobs") == "1"


def test_timeout_comes_from_settings() -> None:
    """A server that never answers costs the configured timeout, then StoreUnavailable."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])  # accept, never answer
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    store = SupabaseStore(url, "k", timeout_seconds=0.5)
    try:
        assert store._http.timeout.read == 0.5
        start = time.monotonic()
        with pytest.raises(StoreUnavailable, match="ReadTimeout"):
            store.upsert(job(5))
        assert 0.4 < time.monotonic() - start < 3
    finally:
        store.close()
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def test_outage_is_unavailable_not_rejected(
    store: SupabaseStore, clean_supabase: LocalSupabase
) -> None:
    """With PostgREST down the gateway answers 502: a retryable StoreUnavailable."""
    clean_supabase.stop_postgrest()
    try:
        with pytest.raises(StoreUnavailable, match="502"):
            store.upsert(job(6))
    finally:
        clean_supabase.start_postgrest()
    store.upsert(job(6))


def _reload_schema(stack: LocalSupabase) -> None:
    stack.sql("NOTIFY pgrst, 'reload schema'")


def test_check_names_a_missing_table_and_columns(
    store: SupabaseStore, clean_supabase: LocalSupabase
) -> None:
    """``check_schema`` says exactly what is missing: the table, or which columns."""
    store.check_schema()
    try:
        clean_supabase.sql("ALTER TABLE inbox_jobs RENAME COLUMN host TO host_old")
        clean_supabase.sql("ALTER TABLE inbox_jobs RENAME COLUMN attempt TO attempt_old")
        _reload_schema(clean_supabase)
        err = wait_for(lambda: _schema_error(store), what="schema reload")
        assert "lacks column(s) attempt, host" in err
        clean_supabase.sql("ALTER TABLE inbox_jobs RENAME TO inbox_jobs_old")
        _reload_schema(clean_supabase)
        err = wait_for(lambda: "missing" in (_schema_error(store) or "") and _schema_error(store))
        assert "table public.inbox_jobs is missing" in err and "inboxd db schema" in err
    finally:
        clean_supabase.sql("ALTER TABLE IF EXISTS inbox_jobs_old RENAME TO inbox_jobs")
        clean_supabase.sql("ALTER TABLE inbox_jobs RENAME COLUMN host_old TO host")
        clean_supabase.sql("ALTER TABLE inbox_jobs RENAME COLUMN attempt_old TO attempt")
        _reload_schema(clean_supabase)
        wait_for(lambda: _schema_error(store) is None, what="schema restored")


def _schema_error(store: SupabaseStore) -> str | None:
    try:
        store.check_schema()
    except SchemaMissing as exc:
        return exc.message
    return None


class _Err:
    def __init__(self, code: str | None) -> None:
        self.code = code


@pytest.mark.parametrize(
    ("code", "transient"),
    [("502", True), ("503", True), ("429", True), ("PGRST001", True), ("08006", True),
     ("40001", True), ("57P01", True), (None, True), ("401", False), ("PGRST301", False),
     ("42501", False), ("23514", False), ("22P02", False), ("PGRST205", False)],
)  # fmt: skip
def test_error_classification(code: str | None, transient: bool) -> None:
    """Transport-like failures are retried; refusals that retrying cannot fix are not."""
    assert is_transient(_Err(code)) is transient  # type: ignore[arg-type]


def test_schema_check_is_one_request_when_all_is_there(
    store: SupabaseStore, clean_supabase: LocalSupabase
) -> None:
    """Every start checks the schema; with nothing missing that costs a single request."""
    store.check_schema()
    assert len(requests_logged(clean_supabase, "GET /rest/v1/inbox_jobs")) == 1
