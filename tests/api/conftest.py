"""A real HTTP server on a free loopback port: uvicorn in a thread, the daemon beside it."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from inboxd.api.app import create_app
from inboxd.settings import Settings
from inboxd.store.sqlite import SqliteStore
from tests.conftest import RunningDaemon, wait_for

# chattr +i, undone after the test: an inbox that not even root may write.
from tests.integration.test_user_drops import immutable as immutable
from tests.pdfgen import invoice_pdf, letter_pdf, receipt_pdf

DOCUMENTS = (invoice_pdf, receipt_pdf, letter_pdf)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Api:
    """A running API: its client, settings and directories."""

    client: httpx.Client
    settings: Settings
    url: str

    @property
    def inbox(self) -> Path:
        return self.settings.dirs()["inbox"]

    def post(self, files: list[tuple[str, bytes]], **kwargs: Any) -> httpx.Response:
        parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
        return self.client.post("/classify-documents-async", files=parts, **kwargs)

    def post_raw(self, content: Any, boundary: str) -> httpx.Response:
        """A hand-made multipart body (httpx would escape odd file names)."""
        headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
        return self.client.post("/classify-documents-async", content=content, headers=headers)

    def completed(self, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Follow ``GET /job/{id}`` until the job is finished; its last answer."""

        def finished() -> dict[str, Any] | None:
            data: dict[str, Any] = self.client.get(f"/job/{job_id}").json()
            return data if data.get("status") in ("completed", "failed") else None

        done: dict[str, Any] = wait_for(finished, timeout, what=f"job {job_id} to finish")
        return done


class LiveServer:
    """uvicorn serving ``app`` from a thread (it installs no signal handlers there)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                access_log=False, lifespan="off")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        wait_for(lambda: self.server.started, what="uvicorn started")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "uvicorn did not stop"


@pytest.fixture
def pdf_bytes(tmp_path: Path) -> Callable[[int], bytes]:
    """A small real PDF: invoice, receipt or letter by index."""

    def make(index: int = 0) -> bytes:
        path = tmp_path / f"doc-{uuid.uuid4().hex}.pdf"
        return DOCUMENTS[index % len(DOCUMENTS)](path).read_bytes()

    return make


@pytest.fixture
def serve(
    make_settings: Callable[..., Settings],
    start_daemon: Callable[[Settings], RunningDaemon],
) -> Iterator[Callable[..., Api]]:
    """Start the API (and, unless ``daemon=False``, a daemon on the same tree)."""
    started: list[tuple[LiveServer, httpx.Client, SqliteStore]] = []

    def start(daemon: bool = True, token: str | None = None, **api: Any) -> Api:
        settings = make_settings(api={**api, "token": token} if token else api)
        for path in settings.dirs().values():
            path.mkdir(parents=True, exist_ok=True)
        running = start_daemon(settings) if daemon else None
        store = SqliteStore(settings.db_path)
        alive = (lambda: running.thread.is_alive()) if running else None
        server = LiveServer(create_app(settings, store, alive)).start()
        url = f"http://127.0.0.1:{server.port}"
        client = httpx.Client(base_url=url, timeout=30)
        started.append((server, client, store))
        return Api(client, settings, url)

    yield start
    for server, client, store in started:
        client.close()
        server.stop()
        store.close()


def inbox_entries(inbox: Path) -> list[str]:
    """Everything directly in the inbox, hidden entries included."""
    return sorted(p.name for p in inbox.iterdir())
