"""``inboxd serve`` in a subprocess, as a user or systemd runs it."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.test_cli import INBOXD, env_for, events
from tests.api.conftest import free_port
from tests.conftest import wait_for
from tests.pdfgen import invoice_pdf

STREAM_MB = 64
# A server that buffered the upload would grow by all of it; one that streams, by a few
# socket buffers and a chunk or two.
STREAM_RSS_GROWTH_MAX_MB = 24


class Serve:
    def __init__(self, root: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: a pipe nobody reads would block the server once it is full.
        self.log = root.parent / f"serve-{self.port}.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [INBOXD, "serve", "--port", str(self.port), *args], env=env_for(root, **env),
                cwd=root.parent, stderr=log, text=True,
            )  # fmt: skip

    def ready(self) -> Serve:
        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.stderr()}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, 30, what="inboxd serve to answer /healthz")
        return self

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def stderr(self) -> str:
        return self.log.read_text()

    def vm_hwm_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def follow(url: str, job_id: str) -> dict[str, object]:
    def done() -> dict[str, object] | None:
        job: dict[str, object] = httpx.get(f"{url}/job/{job_id}").json()
        return job if job["status"] in ("completed", "failed") else None

    finished: dict[str, object] = wait_for(done, 30, what=f"job {job_id}")
    return finished


def test_serve_processes_an_upload_and_sigterm_exits_0(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    """One process serves and watches: an upload completes; SIGTERM stops both, exit 0."""
    root = tmp_path / "tree"
    server = Serve(root)
    processes.append(server.proc)
    server.ready()
    pdf = invoice_pdf(tmp_path / "doc1.pdf").read_bytes()
    response = httpx.post(f"{server.url}/classify-documents-async",
                          files=[("files", ("doc1.pdf", pdf, "application/pdf"))])  # fmt: skip
    assert response.status_code == 200, response.text
    job = follow(server.url, response.json()["job_id"])
    assert job["status"] == "completed"
    assert server.stop() == 0
    names = [e["event"] for e in events(server.stderr())]
    assert {"daemon.ready", "api.upload_accepted", "job.finished", "api.stopping",
            "daemon.stopped", "api.stopped"} <= set(names)  # fmt: skip


def test_taken_port_exits_69(tmp_path: Path) -> None:
    """A port already in use is a one-line error and exit code 69."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([INBOXD, "serve", "--port", str(port)], env=env_for(tmp_path),
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 69
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr.strip().splitlines()[-1]


def test_no_daemon_beside_run(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    """Beside `inboxd run`, a serve with its own watcher is refused (69); with --no-daemon
    the API takes uploads and the running daemon processes them under the same job id."""
    root = tmp_path / "tree"
    run = subprocess.Popen([INBOXD, "run"], env=env_for(root), cwd=tmp_path,
                           stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    processes.append(run)
    wait_for(lambda: (root / "processing" / ".inboxd.lock").exists(), what="daemon started")
    clash = Serve(root)
    processes.append(clash.proc)
    assert clash.proc.wait(timeout=30) == 69
    assert "another inboxd already works on" in clash.stderr()
    server = Serve(root, "--no-daemon")
    processes.append(server.proc)
    server.ready()
    health = httpx.get(f"{server.url}/healthz").json()
    assert health["daemon"] == {"in_process": False, "alive": None}
    pdf = invoice_pdf(tmp_path / "a.pdf").read_bytes()
    response = httpx.post(f"{server.url}/classify-documents-async",
                          files=[("files", ("a.pdf", pdf, "application/pdf"))])  # fmt: skip
    job = follow(server.url, response.json()["job_id"])
    assert job["status"] == "completed" and job["job_id"] == response.json()["job_id"]
    assert server.stop() == 0


def test_large_upload_streams_to_disk(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    """A 64 MB upload leaves the server's peak RSS almost where it was: it is never held
    in memory, and it lands in the inbox complete."""
    root = tmp_path / "tree"
    server = Serve(root, "--no-daemon", INBOXD_API__ALLOWED_KINDS='["pdf"]')
    processes.append(server.proc)
    server.ready()
    before = server.vm_hwm_kb()
    chunk = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 9)
    boundary = "bigboundary"

    def body() -> Iterator[bytes]:
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
               f'filename="big.pdf"\r\n\r\n').encode()  # fmt: skip
        for _ in range(STREAM_MB):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = httpx.post(f"{server.url}/classify-documents-async", content=body(),
                          headers={"content-type": f"multipart/form-data; boundary={boundary}"},
                          timeout=120)  # fmt: skip
    assert response.status_code == 200, response.text
    growth_mb = (server.vm_hwm_kb() - before) / 1024
    assert growth_mb < STREAM_RSS_GROWTH_MAX_MB, f"peak RSS grew {growth_mb:.1f} MB"
    folder = root / "inbox" / response.json()["folder"]
    assert (folder / "big.pdf").stat().st_size == STREAM_MB * len(chunk)
    assert server.stop() == 0
