"""Logging: one chain for structlog and stdlib records, secrets redacted everywhere."""

from __future__ import annotations

import io
import json
import logging

import structlog

from inboxd import logs


def test_json_lines_and_redaction_for_both_sources() -> None:
    """Off a terminal, structlog and stdlib records become JSON lines with the key redacted."""
    stream = io.StringIO()
    logs.configure(level="info", fmt="auto", secrets=["s3cr3t-key"], stream=stream)
    try:
        structlog.get_logger("t").info("store.unavailable", url="http://x", detail="k=s3cr3t-key")
        logging.getLogger("httpx").warning("GET http://x?apikey=s3cr3t-key failed")
    finally:
        logging.getLogger().handlers.clear()
        structlog.reset_defaults()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == [
        "store.unavailable",
        "GET http://x?apikey=********** failed",
    ]
    assert lines[0]["detail"] == "k=**********" and lines[0]["level"] == "info"
    assert "s3cr3t-key" not in stream.getvalue()


def test_job_lines_carry_job_id_and_folder(tmp_path, captured) -> None:  # type: ignore[no-untyped-def]
    """Every log line inside a job carries its job_id and folder."""
    from inboxd.daemon import Daemon
    from inboxd.settings import load_settings
    from tests.pdfgen import invoice_pdf

    settings = load_settings(None, root=tmp_path, settle_seconds=0)
    (settings.dirs()["inbox"] / "batch").mkdir(parents=True)
    invoice_pdf(settings.dirs()["inbox"] / "batch" / "a.pdf")
    daemon = Daemon(settings)
    daemon.open()
    daemon.drain()
    daemon.close()
    in_job = [e for e in captured if e["event"] in ("job.started", "file.classified",
                                                     "job.finished")]  # fmt: skip
    assert [e["event"] for e in in_job] == ["job.started", "file.classified", "job.finished"]
    assert len({e["job_id"] for e in in_job}) == 1 and {e["folder"] for e in in_job} == {"batch"}
    finished = in_job[-1]
    assert finished["status"] == "completed" and finished["total_files"] == 1
    assert finished["duration_s"] >= 0
