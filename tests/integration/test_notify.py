"""The systemd notify protocol, received on a real datagram socket."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inboxd.settings import Settings
from tests.pdfgen import invoice_pdf


def receive(
    sock: socket.socket, until: Callable[[list[str]], bool], timeout: float = 20
) -> list[str]:
    messages: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until(messages):
        try:
            messages.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
    assert until(messages), messages
    return messages


def test_ready_status_watchdog_stopping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    make_settings: Callable[..., Settings], start_daemon: Callable[..., Any],
) -> None:  # fmt: skip
    """READY=1 after start-up, STATUS with counts, WATCHDOG=1 while working, STOPPING=1."""
    address = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(0.2)
    monkeypatch.setenv("NOTIFY_SOCKET", address)
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # ping every 0.1 s at most
    settings = make_settings()
    try:
        running = start_daemon(settings)
        ready = receive(sock, lambda m: any("READY=1" in x for x in m))
        assert "STATUS=inbox 0, processing 0, done 0, failed 0, writes waiting 0" in ready[-1]
        (settings.dirs()["inbox"] / "batch").mkdir()
        invoice_pdf(settings.dirs()["inbox"] / "batch" / "a.pdf")
        seen = receive(sock, lambda m: any("done 1" in x for x in m))
        assert any(x == "WATCHDOG=1" for x in seen)
        assert any("processing batch 1/1" in x for x in seen)
        running.stop()
        receive(sock, lambda m: any("STOPPING=1" in x for x in m))
    finally:
        sock.close()
