"""The ``inboxd`` command in a subprocess, as a user or systemd runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import result_of, wait_for
from tests.pdfgen import invoice_pdf, letter_pdf, make_pdf, receipt_pdf

INBOXD = str(Path(sys.executable).parent / "inboxd")


def env_for(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOXD_", "SUPABASE_"))}
    env.update({"INBOXD_ROOT": str(root), "INBOXD_SETTLE_SECONDS": "0",
                "INBOXD_RESCAN_SECONDS": "0.2", "INBOXD_LOG_FORMAT": "json"})  # fmt: skip
    env.update(extra)
    return env


def inboxd(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([INBOXD, *args], env=env_for(root, **extra), cwd=root.parent,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def events(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def start(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([INBOXD, "run"], env=env_for(root), cwd=root.parent,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def stop(proc: subprocess.Popen[str]) -> tuple[int, list[dict[str, Any]]]:
    """SIGTERM the daemon; its exit code and the events it logged after what was read."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    assert proc.stderr is not None
    rest = events(proc.stderr.read())
    proc.stderr.close()
    return code, rest


def wait_event(proc: subprocess.Popen[str], name: str, seen: list[dict[str, Any]]) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith("{"):
            seen.append(json.loads(line))
            if seen[-1]["event"] == name:
                return
    raise AssertionError(f"no {name} event; saw {[e['event'] for e in seen]}")


@pytest.mark.slow
def test_sigterm_mid_job_parks_and_resumes(tmp_path: Path) -> None:
    """SIGTERM during a job exits 0 and leaves it resumable; a restart finishes the same job."""
    root = tmp_path / "tree"
    proc = start(root)
    seen: list[dict[str, Any]] = []
    wait_event(proc, "daemon.ready", seen)
    staging = root / "inbox" / ".big"
    staging.mkdir()
    for i in range(150):
        make_pdf(staging / f"{i:03d}.pdf", [f"Invoice number {i}", "Total 10.00 EUR"], pages=3)
    staging.rename(root / "inbox" / "big")
    wait_event(proc, "file.classified", seen)
    code, rest = stop(proc)
    assert code == 0
    seen += rest
    parked = [e for e in seen if e["event"] == "job.parked"]
    assert parked and 0 < parked[0]["processed_files"] < 150
    job_id = parked[0]["job_id"]
    assert (root / "processing" / "big" / ".inboxd-job.json").exists()

    proc = start(root)
    wait_for(lambda: (root / "done" / "big" / "inboxd-result.json").exists(), timeout=60)
    code, resumed = stop(proc)
    assert code == 0
    # the files finished before the stop are not parsed again (same bytes, same attempt)
    reused = [e for e in resumed if e["event"] == "file.reused"]
    assert len(reused) == parked[0]["processed_files"]
    result = result_of(root / "done" / "big")
    assert result["job_id"] == job_id and result["processed_files"] == 150
    listing = inboxd(root, "jobs", "list", "--json")
    assert [json.loads(line)["job_id"] for line in listing.stdout.splitlines()] == [job_id]


def test_run_processes_a_folder_and_jobs_lists_it(tmp_path: Path) -> None:
    """``inboxd run`` turns a dropped folder into a job that ``inboxd jobs`` shows."""
    root = tmp_path / "tree"
    (root / "inbox" / "batch").mkdir(parents=True)
    invoice_pdf(root / "inbox" / "batch" / "invoice.pdf")
    receipt_pdf(root / "inbox" / "batch" / "receipt.pdf")
    proc = start(root)
    try:
        wait_for(lambda: (root / "done" / "batch" / "inboxd-result.json").exists())
    finally:
        code, logged = stop(proc)
    assert code == 0
    finished = [e for e in logged if e["event"] == "job.finished"]
    assert len(finished) == 1 and finished[0]["status"] == "completed"
    assert finished[0]["folder"] == "batch" and finished[0]["total_files"] == 2
    job_id = result_of(root / "done" / "batch")["job_id"]
    listing = inboxd(root, "jobs")
    assert listing.returncode == 0 and job_id in listing.stdout and "completed" in listing.stdout
    shown = inboxd(root, "jobs", "show", job_id[:8])
    assert json.loads(shown.stdout)["job_id"] == job_id
    assert inboxd(root, "jobs", "show", "nope").returncode == 1


def test_second_daemon_on_same_tree_is_refused(tmp_path: Path) -> None:
    """Only one daemon works on a tree; a second exits 69 with a one-line reason."""
    root = tmp_path / "tree"
    first = start(root)
    seen: list[dict[str, Any]] = []
    try:
        wait_event(first, "daemon.ready", seen)
        second = inboxd(root, "run")
        assert second.returncode == 69
        assert "another inboxd already works on" in second.stderr
    finally:
        stop(first)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INBOXD_DONE_DIR": "{root}/inbox/done"}, "overlap or nest"),
        ({"INBOXD_SETTLE_SECONDS": "soon"}, "settle_seconds"),
        ({"INBOXD_OBSERVER": "magic"}, "observer"),
    ],
)
def test_bad_configuration_exits_78(tmp_path: Path, env: dict[str, str], message: str) -> None:
    """A bad configuration stops the daemon before it touches a folder, exit 78, one line."""
    root = tmp_path / "tree"
    result = inboxd(root, "run", **{k: v.format(root=root) for k, v in env.items()})
    assert result.returncode == 78
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (root / "processing").exists()


def test_bad_rules_file_exits_78(tmp_path: Path) -> None:
    """A broken rules file is refused at start with the reason."""
    rules = tmp_path / "rules.toml"
    rules.write_text("[types.invoice]\nrouting = 'SHRED'\n")
    result = inboxd(tmp_path / "tree", "run", INBOXD_RULES_PATH=str(rules))
    assert result.returncode == 78 and "invoice" in result.stderr


def test_config_masks_the_key(tmp_path: Path) -> None:
    """``inboxd config`` prints the effective configuration with the key masked."""
    result = inboxd(tmp_path / "tree", "config", SUPABASE_SERVICE_ROLE_KEY="sb-secret-123")
    assert result.returncode == 0 and "sb-secret-123" not in result.stdout
    assert json.loads(result.stdout)["store"]["supabase_key"] == "**********"


def test_classify_is_a_dry_run(tmp_path: Path) -> None:
    """``inboxd classify`` prints each file's result and touches neither store nor files."""
    invoice_pdf(tmp_path / "a.pdf")
    letter_pdf(tmp_path / "b.pdf")
    result = inboxd(tmp_path / "tree", "classify", str(tmp_path / "a.pdf"), str(tmp_path / "b.pdf"))
    assert result.returncode == 0
    docs = json.loads(result.stdout)
    assert [d["doc_type"] for d in docs] == ["invoice", "letter"]
    assert not (tmp_path / "tree").exists()


def test_process_one_folder_in_place(tmp_path: Path) -> None:
    """``inboxd process`` writes the result into the folder and records the job."""
    folder = tmp_path / "stack"
    folder.mkdir()
    invoice_pdf(folder / "invoice.pdf")
    result = inboxd(tmp_path / "tree", "process", str(folder))
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == result_of(folder) and printed["status"] == "completed"
    assert printed["job_id"] in inboxd(tmp_path / "tree", "jobs").stdout


def test_process_keeps_a_users_result_file_and_refuses_the_daemons_tree(tmp_path: Path) -> None:
    """``process`` keeps a foreign inboxd-result.json aside and leaves the inbox to the daemon."""
    folder = tmp_path / "stack"
    folder.mkdir()
    invoice_pdf(folder / "invoice.pdf")
    (folder / "inboxd-result.json").write_text('{"my": "notes"}')
    assert inboxd(tmp_path / "tree", "process", str(folder)).returncode == 0
    assert (folder / "inboxd-result.json.orig").read_text() == '{"my": "notes"}'
    again = inboxd(tmp_path / "tree", "process", str(folder))  # our own result: replaced
    assert again.returncode == 0 and not (folder / "inboxd-result.json.orig-2").exists()
    inside = tmp_path / "tree" / "inbox" / "queued"
    inside.mkdir(parents=True)
    refused = inboxd(tmp_path / "tree", "process", str(inside))
    assert refused.returncode == 64 and "daemon's inbox/" in refused.stderr


def test_bad_command_line_exits_64(tmp_path: Path) -> None:
    """A command line argparse refuses exits 64 (EX_USAGE), as documented."""
    result = inboxd(tmp_path / "tree", "jobs", "--status", "bogus")
    assert result.returncode == 64 and "invalid choice" in result.stderr


def test_process_twice_reads_the_folder_afresh(tmp_path: Path) -> None:
    """A second ``process`` of a folder sees a file added since, under the same job id."""
    folder = tmp_path / "stack"
    folder.mkdir()
    invoice_pdf(folder / "a.pdf")
    first = json.loads(inboxd(tmp_path / "tree", "process", str(folder)).stdout)
    letter_pdf(folder / "b.pdf")
    second = json.loads(inboxd(tmp_path / "tree", "process", str(folder)).stdout)
    assert second["job_id"] == first["job_id"] and second["attempt"] == first["attempt"] + 1
    assert [r["path"] for r in second["result"]["results"]] == ["a.pdf", "b.pdf"]
    for _ in range(5):  # never "given up": each run is a new attempt, not a failed one
        assert inboxd(tmp_path / "tree", "process", str(folder)).returncode == 0
