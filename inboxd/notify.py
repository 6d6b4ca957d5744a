"""The systemd notify protocol: one datagram per message to ``$NOTIFY_SOCKET``.

No dependency is needed; outside systemd (no socket in the environment) every call is a
no-op.  Messages: ``READY=1``, ``STATUS=...``, ``WATCHDOG=1``, ``STOPPING=1``.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

WATCHDOG_FRACTION = 0.25  # ping four times per watchdog period


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        # A leading "@" names a socket in the abstract namespace.
        self.address = "\0" + address[1:] if address.startswith("@") else address
        usec = os.environ.get("WATCHDOG_USEC", "")
        self.watchdog_interval = int(usec) / 1e6 * WATCHDOG_FRACTION if usec.isdigit() else 5.0
        self._last_ping = 0.0
        self._last_status = ""

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *fields: str) -> None:
        if not self.enabled:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect(self.address)
                sock.sendall("\n".join(fields).encode("utf-8"))
            except OSError:
                pass  # systemd went away (shutdown): nothing to tell

    def ready(self, describe: Callable[[], str]) -> None:
        if self.enabled:
            self._last_status = describe()
            self.send("READY=1", f"STATUS={self._last_status}")

    def status(self, describe: Callable[[], str]) -> None:
        """Send the status ``describe()`` gives if it changed; outside systemd, not even ask.

        (The daemon calls this for every finished file; its status costs a store query.)
        """
        if not self.enabled:
            return
        status = describe()
        if status != self._last_status:
            self._last_status = status
            self.send(f"STATUS={status}")

    def watchdog(self) -> None:
        """Tell systemd the daemon makes progress (rate-limited)."""
        now = time.monotonic()
        if now - self._last_ping >= self.watchdog_interval:
            self._last_ping = now
            self.send("WATCHDOG=1")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping")
