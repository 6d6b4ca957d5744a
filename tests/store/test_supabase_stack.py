"""The local Supabase stack is real and behaves as a Supabase project does for inbox_jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import httpx
import pytest
from postgrest import APIError
from supabase import Client, ClientOptions, create_client

from inboxd.models import Job, JobStatus
from inboxd.store.rows import COLUMNS, job_to_row
from tests.conftest import wait_for
from tests.supabase_stack import LocalSupabase, StackError, jwt_hs256

TABLE = "inbox_jobs"
Connect = Callable[[LocalSupabase, str], Client]
REQUEST_TIMEOUT_S = 5.0
JOB_ID = "00000000-0000-0000-0000-000000000001"


@pytest.fixture
def client() -> Iterator[Connect]:
    """Makes supabase-py clients; closes their HTTP connections afterwards."""
    sessions: list[httpx.Client] = []

    def make(stack: LocalSupabase, key: str) -> Client:
        # The timeout goes on our own httpx client: supabase-py 2.34 passes
        # postgrest_client_timeout on with a DeprecationWarning (and truncates it to an int).
        sessions.append(httpx.Client(timeout=REQUEST_TIMEOUT_S))
        return create_client(stack.url, key, ClientOptions(httpx_client=sessions[-1]))

    yield make
    for session in sessions:
        session.close()


def row(**changes: Any) -> dict[str, Any]:
    """A row exactly as the stores write it (``job_to_row``)."""
    created = datetime(2026, 1, 1, tzinfo=UTC)
    job = Job(job_id=JOB_ID, folder="batch", status=JobStatus.PROCESSING,
              created_at=created, updated_at=created)  # fmt: skip
    return {**job_to_row(job), **changes}


def logged(stack: LocalSupabase, request: str) -> str:
    """This test's access log line for ``METHOD /path`` (nginx logs just after responding)."""

    want = request.split()

    def line() -> str | None:
        lines = stack.access_log.read_text(encoding="utf-8").splitlines()
        # "METHOD URI STATUS SECONDS"; the URI may carry a query string.
        return next((x for x in lines if x.partition("?")[0].split()[:2] == want), None)

    found: str = wait_for(line, timeout=5, what=f"{request} in the access log")
    return found


def test_service_key_upserts_and_reads_back_over_http(
    clean_supabase: LocalSupabase, client: Connect
) -> None:
    """supabase-py with the service key writes a store row and reads it back through nginx."""
    db = client(clean_supabase, clean_supabase.service_key)
    db.table(TABLE).upsert(row(), on_conflict="id").execute()
    response = db.table(TABLE).select("*").eq("id", JOB_ID).execute()
    got: list[dict[str, Any]] = response.data  # type: ignore[assignment]  # typed as any JSON
    assert len(got) == 1
    assert got[0]["folder"] == "batch" and got[0]["status"] == "processing"
    assert got[0]["file_data"] == [] and got[0]["host"] is None
    assert logged(clean_supabase, "POST /rest/v1/inbox_jobs").split()[2] == "201"
    assert logged(clean_supabase, "GET /rest/v1/inbox_jobs").split()[2] == "200"


def test_upsert_on_same_id_keeps_one_row(clean_supabase: LocalSupabase, client: Connect) -> None:
    """A second upsert of the same id updates the row instead of adding one."""
    db = client(clean_supabase, clean_supabase.service_key)
    db.table(TABLE).upsert(row(), on_conflict="id").execute()
    db.table(TABLE).upsert(row(status="completed", progress=100), on_conflict="id").execute()
    assert clean_supabase.sql("SELECT count(*), min(status), min(progress) FROM inbox_jobs") == (
        "1|completed|100"
    )


def test_anon_key_cannot_read(clean_supabase: LocalSupabase, client: Connect) -> None:
    """The anon key gets 401 permission denied on reads (the schema revokes its grants)."""
    client(clean_supabase, clean_supabase.service_key).table(TABLE).upsert(row()).execute()
    with pytest.raises(APIError) as caught:
        client(clean_supabase, clean_supabase.anon_key).table(TABLE).select("*").execute()
    assert caught.value.code == "42501"
    assert caught.value.message == "permission denied for table inbox_jobs"
    assert logged(clean_supabase, "GET /rest/v1/inbox_jobs").split()[2] == "401"


def test_anon_key_cannot_insert(clean_supabase: LocalSupabase, client: Connect) -> None:
    """The anon key gets 401 permission denied on writes, and no row is written."""
    with pytest.raises(APIError) as caught:
        client(clean_supabase, clean_supabase.anon_key).table(TABLE).upsert(row()).execute()
    assert caught.value.code == "42501"
    assert caught.value.message == "permission denied for table inbox_jobs"
    assert logged(clean_supabase, "POST /rest/v1/inbox_jobs").split()[2] == "401"
    assert clean_supabase.sql("SELECT count(*) FROM inbox_jobs") == "0"


def test_row_level_security_alone_still_locks_anon_out(
    clean_supabase: LocalSupabase, client: Connect
) -> None:
    """Even with table grants back (a too broad GRANT), RLS without policy hides every row."""
    client(clean_supabase, clean_supabase.service_key).table(TABLE).upsert(row()).execute()
    anon = client(clean_supabase, clean_supabase.anon_key)
    clean_supabase.sql("GRANT SELECT, INSERT ON inbox_jobs TO anon")
    try:
        assert anon.table(TABLE).select("*").execute().data == []
        with pytest.raises(APIError) as caught:
            anon.table(TABLE).insert(row(id="00000000-0000-0000-0000-000000000002")).execute()
    finally:
        clean_supabase.sql("REVOKE ALL ON inbox_jobs FROM anon")
    assert caught.value.code == "42501"
    assert (
        caught.value.message == 'new row violates row-level security policy for table "inbox_jobs"'
    )


def test_a_key_signed_with_another_secret_is_refused(
    clean_supabase: LocalSupabase, client: Connect
) -> None:
    """PostgREST verifies the key's signature: a forged service_role key gets PGRST301."""
    forged = jwt_hs256({"role": "service_role"}, "not-the-project-secret-but-32-chars-long")
    with pytest.raises(APIError) as caught:
        client(clean_supabase, forged).table(TABLE).select("*").execute()
    assert caught.value.code == "PGRST301"


def test_schema_matches_the_store_rows_and_applies_twice(supabase_stack: LocalSupabase) -> None:
    """The schema is idempotent and its columns are the store's COLUMNS plus ``host``."""
    schema = resources.files("inboxd.store.sql").joinpath("supabase_schema.sql")
    supabase_stack.sql(schema.read_text(encoding="utf-8"))
    columns = supabase_stack.sql(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = 'inbox_jobs' ORDER BY ordinal_position"
    ).splitlines()
    assert sorted(columns) == sorted([*COLUMNS, "host"])


def test_nul_characters_are_rejected_by_postgres(
    clean_supabase: LocalSupabase, client: Connect
) -> None:
    """jsonb and text refuse \\u0000 (22P05): the Supabase store must clean NULs before writing."""
    with pytest.raises(StackError, match="unsupported Unicode escape sequence"):
        clean_supabase.sql("""SELECT '{"name": "a\\u0000.pdf"}'::jsonb""")
    db = client(clean_supabase, clean_supabase.service_key)
    for bad in (row(file_data=[{"filename": "a\x00.pdf"}]), row(error="bad\x00byte")):
        with pytest.raises(APIError) as caught:
            db.table(TABLE).upsert(bad, on_conflict="id").execute()
        assert caught.value.code == "22P05"
        assert caught.value.details == "\\u0000 cannot be converted to text."
    assert clean_supabase.sql("SELECT count(*) FROM inbox_jobs") == "0"


def test_postgrest_outage_gives_502_until_restarted(
    clean_supabase: LocalSupabase, client: Connect
) -> None:
    """With PostgREST down the gateway answers 502 (supabase-py: APIError "502"); then recovers."""
    db = client(clean_supabase, clean_supabase.service_key)
    clean_supabase.stop_postgrest()
    try:
        assert httpx.get(f"{clean_supabase.url}/rest/v1/").status_code == 502
        with pytest.raises(APIError) as caught:
            db.table(TABLE).upsert(row(), on_conflict="id").execute()
        assert caught.value.code == "502" and caught.value.message == "Bad Gateway"
    finally:
        clean_supabase.start_postgrest()
    db.table(TABLE).upsert(row(), on_conflict="id").execute()
    assert clean_supabase.sql("SELECT count(*) FROM inbox_jobs") == "1"
