"""The daemon with the Supabase backend, against the real local stack, through outages."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inboxd.settings import Settings
from inboxd.store.outbox import Outbox
from inboxd.store.sqlite import SqliteStore
from tests.conftest import result_of, wait_for
from tests.pdfgen import make_pdf
from tests.supabase_stack import LocalSupabase

INBOXD = str(Path(sys.executable).parent / "inboxd")


@pytest.fixture
def sb_settings(make_settings: Callable[..., Settings], clean_supabase: LocalSupabase) -> Settings:
    return make_settings(store={
        "backend": "supabase", "supabase_url": clean_supabase.url,
        "supabase_key": clean_supabase.service_key, "timeout_seconds": 2,
        "progress_interval": 0.5, "retry_max_seconds": 1.0,
    })  # fmt: skip


def drop(settings: Settings, name: str, files: int) -> Path:
    staging = settings.dirs()["inbox"] / f".{name}"
    staging.mkdir(parents=True)
    for i in range(files):
        make_pdf(staging / f"{i:03d}.pdf", [f"Invoice number INV-{i}", "Total 10.00 EUR"], pages=2)
    staging.rename(staging.with_name(name))
    return staging.with_name(name)


def remote_row(stack: LocalSupabase, job_id: str) -> dict[str, Any] | None:
    out = stack.sql(f"SELECT row_to_json(j) FROM inbox_jobs j WHERE id = '{job_id}'")
    return json.loads(out) if out else None


def waiting_writes(settings: Settings) -> int:
    local = SqliteStore(settings.db_path)
    try:
        return Outbox(local).counts()[0]
    finally:
        local.close()


def local_job(settings: Settings) -> Any:
    local = SqliteStore(settings.db_path)
    try:
        jobs = local.list()
        return jobs[0] if jobs else None
    finally:
        local.close()


def posts(stack: LocalSupabase) -> int:
    return sum(line.startswith("POST /rest/v1/inbox_jobs")
               for line in stack.access_log.read_text().splitlines())  # fmt: skip


def test_outage_mid_job_loses_nothing(
    sb_settings: Settings, clean_supabase: LocalSupabase, start_daemon: Callable[..., Any]
) -> None:
    """PostgREST stops mid-job: processing goes on, writes wait, then the row converges."""
    running = start_daemon(sb_settings)
    drop(sb_settings, "batch", 30)
    wait_for(lambda: (j := local_job(sb_settings)) and j.processed_files >= 1, what="first file")
    clean_supabase.stop_postgrest()
    done = sb_settings.dirs()["done"] / "batch"
    try:
        wait_for(lambda: (done / "inboxd-result.json").exists(), timeout=60, what="job done")
        result = result_of(done)
        assert waiting_writes(sb_settings) >= 1
        row = remote_row(clean_supabase, result["job_id"])
        assert row is None or row["status"] != "completed"
    finally:
        clean_supabase.start_postgrest()
    back = time.monotonic()
    row = wait_for(
        lambda: (r := remote_row(clean_supabase, result["job_id"])) and r["status"] == "completed"
        and r, timeout=30, what="row converged")  # fmt: skip
    print(f"final state in Supabase {time.monotonic() - back:.2f} s after PostgREST came back")
    assert row["processed_files"] == result["processed_files"] == 30
    assert row["result"] == result["result"] and row["file_data"] == result["file_data"]
    assert waiting_writes(sb_settings) == 0
    running.stop()
    assert clean_supabase.sql("SELECT count(*) FROM inbox_jobs") == "1"


@pytest.mark.slow
def test_writes_waiting_survive_sigkill(
    sb_settings: Settings, clean_supabase: LocalSupabase, tmp_path: Path
) -> None:
    """Writes still queued when the daemon is killed are delivered by the next one, once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOXD_", "SUPABASE_"))}
    env.update({
        "INBOXD_ROOT": str(sb_settings.root), "INBOXD_SETTLE_SECONDS": "0",
        "INBOXD_RESCAN_SECONDS": "0.2", "INBOXD_LOG_FORMAT": "json",
        "INBOXD_STORE__BACKEND": "supabase", "SUPABASE_URL": clean_supabase.url,
        "SUPABASE_SERVICE_ROLE_KEY": clean_supabase.service_key,
        "INBOXD_STORE__RETRY_MAX_SECONDS": "1",
    })  # fmt: skip
    log = (tmp_path / "daemon.log").open("w")
    clean_supabase.stop_postgrest()
    try:
        proc = subprocess.Popen([INBOXD, "run"], env=env, stderr=log)
        drop(sb_settings, "offline", 3)
        done = sb_settings.dirs()["done"] / "offline"
        wait_for(lambda: (done / "inboxd-result.json").exists(), timeout=30, what="job done")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert waiting_writes(sb_settings) == 1  # coalesced: one write per job
        jobs = subprocess.run([INBOXD, "jobs"], env=env, capture_output=True, text=True)
        assert "writes waiting for Supabase: 1" in jobs.stdout
    finally:
        clean_supabase.start_postgrest()
    job_id = result_of(done)["job_id"]
    assert remote_row(clean_supabase, job_id) is None
    proc = subprocess.Popen([INBOXD, "run"], env=env, stderr=log)
    try:
        row = wait_for(lambda: remote_row(clean_supabase, job_id), timeout=30, what="delivery")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        log.close()
    logged = (tmp_path / "daemon.log").read_text()
    assert "store.unavailable" in logged and "writes_waiting" in logged
    assert clean_supabase.service_key not in logged
    assert clean_supabase.service_key not in (done / "inboxd-result.json").read_text()
    assert row["status"] == "completed" and row["result"] == result_of(done)["result"]
    assert clean_supabase.sql("SELECT count(*) FROM inbox_jobs") == "1"
    assert waiting_writes(sb_settings) == 0


@pytest.mark.parametrize("files", [1, 50])
def test_round_trips_are_bounded(
    sb_settings: Settings, clean_supabase: LocalSupabase, start_daemon: Callable[..., Any],
    files: int,
) -> None:  # fmt: skip
    """Progress is coalesced: at most one request per progress_interval plus the final one."""
    running = start_daemon(sb_settings)
    started = time.monotonic()
    drop(sb_settings, "rt", files)
    done = sb_settings.dirs()["done"] / "rt"
    wait_for(lambda: (done / "inboxd-result.json").exists(), timeout=60, what="job done")
    job_id = result_of(done)["job_id"]
    wait_for(lambda: (r := remote_row(clean_supabase, job_id)) and r["status"] == "completed")
    elapsed = time.monotonic() - started
    running.stop()
    requests = posts(clean_supabase)
    print(f"{files}-file job: {requests} POSTs to /rest/v1/inbox_jobs in {elapsed:.2f} s")
    assert requests <= math.ceil(elapsed / 0.5) + 2
    if files == 1:
        assert requests <= 3


def test_refused_writes_are_parked_then_retried_at_start(
    sb_settings: Settings, clean_supabase: LocalSupabase, captured: list[dict[str, Any]]
) -> None:
    """A write Supabase refuses for good is parked with the reason, and retried at next start."""
    from inboxd.daemon import Daemon

    clean_supabase.sql("REVOKE INSERT, UPDATE ON inbox_jobs FROM service_role")
    try:
        daemon = Daemon(sb_settings)
        daemon.open()
        drop(sb_settings, "refused", 1)
        daemon.drain()
        wait_for(lambda: any(e["event"] == "store.write_parked" for e in captured))
        daemon.close()
    finally:
        clean_supabase.sql("GRANT INSERT, UPDATE ON inbox_jobs TO service_role")
    parked = next(e for e in captured if e["event"] == "store.write_parked")
    assert "42501" in parked["reason"] and "permission denied" in parked["reason"]
    job_id = result_of(sb_settings.dirs()["done"] / "refused")["job_id"]
    assert remote_row(clean_supabase, job_id) is None
    daemon = Daemon(sb_settings)
    daemon.open()
    try:
        row = wait_for(lambda: remote_row(clean_supabase, job_id), what="parked write retried")
    finally:
        daemon.close()
    assert row["status"] == "completed"


def test_run_refuses_a_missing_schema(clean_supabase: LocalSupabase, tmp_path: Path) -> None:
    """``inboxd run`` with Supabase but no table exits 78 with what is missing, key unsaid."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOXD_", "SUPABASE_"))}
    env.update({"INBOXD_ROOT": str(tmp_path / "tree"), "INBOXD_STORE__BACKEND": "supabase",
                "INBOXD_STORE__SUPABASE_URL": clean_supabase.url,
                "INBOXD_STORE__SUPABASE_KEY": clean_supabase.service_key})  # fmt: skip
    clean_supabase.sql("ALTER TABLE inbox_jobs RENAME TO inbox_jobs_gone")
    clean_supabase.sql("NOTIFY pgrst, 'reload schema'")
    try:
        result = wait_for(lambda: (r := subprocess.run(
            [INBOXD, "run"], env=env, capture_output=True, text=True, timeout=60
        )).returncode == 78 and r, what="exit 78")  # fmt: skip
    finally:
        clean_supabase.sql("ALTER TABLE inbox_jobs_gone RENAME TO inbox_jobs")
        clean_supabase.sql("NOTIFY pgrst, 'reload schema'")
    assert "table public.inbox_jobs is missing" in result.stderr
    assert clean_supabase.service_key not in result.stderr + result.stdout
    wait_for(lambda: subprocess.run([INBOXD, "db", "check"], env=env, capture_output=True,
                                    text=True).returncode == 0, what="schema back")  # fmt: skip


def test_delivery_survives_a_local_database_error(
    sb_settings: Settings, clean_supabase: LocalSupabase, monkeypatch: pytest.MonkeyPatch,
    captured: list[dict[str, Any]],
) -> None:  # fmt: skip
    """One failure of the local outbox database does not end delivery to Supabase for good.

    The failure (a locked or failing SQLite file) is injected once into the outbox read.
    """
    from inboxd.daemon import make_store
    from inboxd.errors import StoreError
    from inboxd.models import Job
    from inboxd.store.outbox import Outbox

    real = Outbox.waiting
    calls = {"n": 0}

    def failing_once(self: Outbox, limit: int = 100) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StoreError("database is locked")
        return real(self, limit)

    monkeypatch.setattr(Outbox, "waiting", failing_once)
    store = make_store(sb_settings)
    store.replicator.retry_max = 0.2  # type: ignore[attr-defined]
    store.start()
    try:
        job = Job(job_id="6c9a1e2f-0000-4000-8000-000000000042", folder="x")
        store.upsert(job)
        wait_for(lambda: remote_row(clean_supabase, job.job_id), what="delivered after error")
    finally:
        store.close()
    assert any(e["event"] == "store.outbox_error" for e in captured)
