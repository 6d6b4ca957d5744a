"""Crash consistency: SIGKILL at each named point of the job life cycle, then a restart."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from inboxd.failpoints import ENV, POINTS
from tests.conftest import result_of, wait_for
from tests.pdfgen import invoice_pdf, letter_pdf, receipt_pdf

INBOXD = str(Path(sys.executable).parent / "inboxd")


def env_for(root: Path, failpoint: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOXD_", "SUPABASE_"))}
    env.update({"INBOXD_ROOT": str(root), "INBOXD_SETTLE_SECONDS": "0",
                "INBOXD_RESCAN_SECONDS": "0.2", "INBOXD_LOG_FORMAT": "json"})  # fmt: skip
    if failpoint:
        env[ENV] = failpoint
    return env


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def drop(root: Path, name: str) -> dict[str, str]:
    staging = root / "inbox" / f".{name}"
    staging.mkdir(parents=True)
    invoice_pdf(staging / "a-invoice.pdf")
    receipt_pdf(staging / "b-receipt.pdf")
    letter_pdf(staging / "c-letter.pdf")
    hashes = {p.name: sha(p) for p in staging.iterdir()}
    staging.rename(root / "inbox" / name)
    return hashes


def check_invariants(root: Path, originals: dict[str, dict[str, str]]) -> None:
    """Every folder in done/ or failed/ exactly once, one matching row each, bytes intact."""
    finished = [p for place in ("done", "failed") for p in (root / place).iterdir()]
    assert sorted(p.name for p in finished) == sorted(originals)
    assert not [p for p in (root / "processing").iterdir() if not p.name.startswith(".")]
    assert not list((root / "inbox").iterdir())
    command = [INBOXD, "jobs", "list", "--json", "--limit", "1000"]
    listing = subprocess.run(command, env=env_for(root), capture_output=True, text=True, check=True)
    rows = {r["job_id"]: r for r in map(json.loads, listing.stdout.splitlines())}
    assert len(rows) == len(originals)
    for folder in finished:
        result = result_of(folder)
        row = rows[result["job_id"]]
        assert (row["status"], row["processed_files"]) == (result["status"], 3)
        assert row["result"] == result["result"]
        assert {n: sha(folder / n) for n in originals[folder.name]} == originals[folder.name]


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_sigkill_at_each_point_then_restart(tmp_path: Path, point: str) -> None:
    """Killed at any point of a job, a restarted daemon ends in one folder, one row, no loss."""
    root = tmp_path / "tree"
    log = (tmp_path / "daemon.log").open("w")
    crashing = subprocess.Popen([INBOXD, "run"], env=env_for(root, point), stderr=log)
    wait_for(lambda: (root / "processing").is_dir(), what="daemon started")
    originals = {"batch": drop(root, "batch")}
    assert crashing.wait(timeout=60) == -signal.SIGKILL
    restarted = subprocess.Popen([INBOXD, "run"], env=env_for(root), stderr=log)
    try:
        wait_for(lambda: any((root / p / "batch").is_dir() for p in ("done", "failed"))
                 and not list((root / "processing").glob("[!.]*")), timeout=60,
                 what=lambda: (tmp_path / "daemon.log").read_text()[-3000:])  # fmt: skip
        originals["second"] = drop(root, "second")  # and it carries on with new folders
        wait_for(lambda: (root / "done" / "second" / "inboxd-result.json").exists(), timeout=60)
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=30) == 0
        log.close()
    check_invariants(root, originals)
