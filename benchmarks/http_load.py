"""HTTP intake figures: requests/s for POST (a 100 KB PDF) and GET /job/{id}, and the
server's peak RSS during a 200 MB upload.

Starts ``inboxd serve --no-daemon`` on a free loopback port over a throwaway tree (the
intake alone: a daemon classifying thousands of uploads would compete for the CPU), then
drives it from other processes: wrk (Debian's ``wrk``) when installed, else a Python
load generator (httpx, a thread pool) in a subprocess.  Peak RSS is the server's VmHWM
from /proc before and after one streamed 200 MB upload.

    apt-get install -y wrk      # optional; not part of make test
    .venv/bin/python benchmarks/http_load.py [--seconds 10] [--connections 32] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
INBOXD = str(Path(sys.executable).parent / "inboxd")
PDF_BYTES = 100 * 1024
BIG_UPLOAD_BYTES = 200 * 1000 * 1000
BOUNDARY = "inboxdbenchboundary"
HEADERS = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pdf_100k() -> bytes:
    """A real PDF, padded to 100 KB with a comment after its header (parsers skip it)."""
    sys.path.insert(0, str(HERE.parent))
    from tests.pdfgen import invoice_pdf

    with tempfile.TemporaryDirectory() as tmp:
        pdf = invoice_pdf(Path(tmp) / "invoice.pdf").read_bytes()
    header, rest = pdf.split(b"\n", 1)
    pad = PDF_BYTES - len(pdf) - 2
    return header + b"\n%" + b"x" * pad + b"\n" + rest


def multipart(name: str, data: bytes) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + data + f"\r\n--{BOUNDARY}--\r\n".encode()
    )  # fmt: skip


def vm_hwm_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    assert match, "no VmHWM"
    return int(match.group(1))


def start_server(root: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOXD_", "SUPABASE_"))}
    env.update({"INBOXD_ROOT": str(root), "INBOXD_LOG_LEVEL": "warning",
                "INBOXD_LOG_FORMAT": "json"})  # fmt: skip
    log = (root.parent / "serve.log").open("wb")
    proc = subprocess.Popen([INBOXD, "serve", "--no-daemon", "--port", str(port)], env=env,
                            stderr=log, stdout=log)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("inboxd serve did not answer /healthz")


def run_wrk(
    url: str, args: argparse.Namespace, script: Path | None, env: dict[str, str]
) -> dict[str, object]:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency"]
    cmd += ["-s", str(script)] if script else []
    cmd.append(url)
    out = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)  # the latency distribution's lines
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"tool": "wrk", "command": " ".join(cmd), "requests_per_s": rps,
            "p50": p50.group(1) if p50 else None, "p99": p99.group(1) if p99 else None,
            "non_2xx": int(errors.group(1)) if errors else 0}  # fmt: skip


def python_load(url: str, method: str, body_file: str | None, seconds: float,
                connections: int) -> dict[str, object]:  # fmt: skip
    """The fallback load generator: ``connections`` threads, each with its own client."""
    body = Path(body_file).read_bytes() if body_file else None
    headers = HEADERS if body else {}
    stop_at = time.monotonic() + seconds

    def worker(_: int) -> tuple[int, int]:
        ok = bad = 0
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < stop_at:
                r = client.request(method, url, content=body, headers=headers)
                ok, bad = (ok + 1, bad) if r.status_code < 300 else (ok, bad + 1)
        return ok, bad

    started = time.monotonic()
    with ThreadPoolExecutor(connections) as pool:
        results = list(pool.map(worker, range(connections)))
    elapsed = time.monotonic() - started
    ok = sum(r[0] for r in results)
    return {"tool": "python-httpx", "requests_per_s": round(ok / elapsed, 1),
            "non_2xx": sum(r[1] for r in results)}  # fmt: skip


def load(
    url: str, method: str, body_file: Path | None, args: argparse.Namespace
) -> dict[str, object]:
    if shutil.which("wrk") and not args.python_client:
        env = {"BODY_FILE": str(body_file), "BOUNDARY": BOUNDARY} if body_file else {}
        return run_wrk(url, args, HERE / "http_post.lua" if body_file else None, env)
    cmd = [sys.executable, __file__, "--client", method, url, "--seconds", str(args.seconds),
           "--connections", str(args.connections)]  # fmt: skip
    if body_file:
        cmd += ["--body-file", str(body_file)]
    result: dict[str, object] = json.loads(subprocess.check_output(cmd))
    result["command"] = " ".join(cmd)
    return result


def big_upload(base: str, pid: int) -> dict[str, object]:
    """Stream 200 MB in one file part; the server's VmHWM before and after."""
    chunk = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 9)

    def body() -> Iterator[bytes]:
        yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
               f'filename="big.pdf"\r\n\r\n').encode()  # fmt: skip
        sent = 0
        while sent < BIG_UPLOAD_BYTES:
            piece = chunk[: BIG_UPLOAD_BYTES - sent]
            sent += len(piece)
            yield piece
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    before = vm_hwm_kb(pid)
    started = time.monotonic()
    r = httpx.post(f"{base}/classify-documents-async", content=body(), headers=HEADERS,
                   timeout=600)  # fmt: skip
    elapsed = time.monotonic() - started
    assert r.status_code == 200, r.text
    after = vm_hwm_kb(pid)
    return {"upload_bytes": BIG_UPLOAD_BYTES, "status": r.status_code,
            "seconds": round(elapsed, 2), "mb_per_s": round(BIG_UPLOAD_BYTES / 1e6 / elapsed, 1),
            "vm_hwm_before_mb": round(before / 1024, 1), "vm_hwm_after_mb": round(after / 1024, 1),
            "vm_hwm_growth_mb": round((after - before) / 1024, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--python-client", action="store_true", help="skip wrk")
    parser.add_argument("--client", nargs=2, metavar=("METHOD", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("--body-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:  # the load generator's own process
        print(json.dumps(python_load(args.client[1], args.client[0], args.body_file,
                                     args.seconds, args.connections)))  # fmt: skip
        return
    with tempfile.TemporaryDirectory(prefix="inboxd-http-") as tmp:
        root, port = Path(tmp) / "tree", free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(root, port)
        try:
            body_file = Path(tmp) / "post-body.bin"
            body_file.write_bytes(multipart("invoice.pdf", pdf_100k()))
            first = httpx.post(f"{base}/classify-documents-async",
                               content=body_file.read_bytes(), headers=HEADERS)  # fmt: skip
            job_id = first.json()["job_id"]
            figures = {
                "cpus": os.cpu_count(),
                "post_100k_pdf": load(f"{base}/classify-documents-async", "POST", body_file, args),
                "get_job": load(f"{base}/job/{job_id}", "GET", None, args),
                "uploads_in_inbox": sum(1 for _ in (root / "inbox").iterdir()),
                "upload_200mb": big_upload(base, server.pid),
            }
        finally:
            server.send_signal(signal.SIGTERM)
            figures_exit = server.wait(timeout=60)
    figures["server_exit_code"] = figures_exit
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
