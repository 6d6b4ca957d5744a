"""``inboxd serve``: the HTTP intake under uvicorn, with the watcher in the same process.

uvicorn runs in the main thread; the daemon's loop in a background thread (where it
installs no signal handlers), sharing one job store with the API.  One SIGTERM or SIGINT
stops both: uvicorn finishes the requests in flight (up to ``SHUTDOWN_GRACE_SECONDS``), the
daemon finishes its current file and parks the job, and the process exits 0.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import structlog
import uvicorn

from inboxd.api.app import create_app
from inboxd.api.uploads import sweep_stale
from inboxd.daemon import Daemon, make_store
from inboxd.errors import EX_UNAVAILABLE, InboxdError
from inboxd.inbox import folders
from inboxd.settings import Settings

log = structlog.get_logger("inboxd.api")
SHUTDOWN_GRACE_SECONDS = 10
# A staging folder untouched this long belongs to a server that died mid-upload.
STALE_UPLOAD_SECONDS = 3600.0
DAEMON_JOIN_SECONDS = 60.0  # the current file finishes first (bounded by file_timeout_seconds)


class CannotListen(InboxdError):
    """The HTTP server cannot listen on its address."""

    exit_code = EX_UNAVAILABLE


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling, which re-raises the signal after shutdown
    (the process would die of SIGTERM instead of exiting 0): ``serve`` owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _PlainMessage(logging.Filter):
    """uvicorn attaches an ANSI-coloured copy of some messages; logs here are rendered once."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        return True


def serve(settings: Settings, host: str, port: int, with_daemon: bool = True) -> None:
    """Serve until SIGTERM/SIGINT; raises the daemon's error if the watcher fails."""
    dirs = settings.dirs()
    folders.prepare_tree(dirs)  # refuse a bad tree before listening
    for stale in sweep_stale(dirs["inbox"], STALE_UPLOAD_SECONDS, time.time()):
        log.info("api.staging_removed", folder=stale.name)
    sock = _listen(host, port)
    logging.getLogger("uvicorn.error").addFilter(_PlainMessage())
    store = make_store(settings)
    daemon = Daemon(settings, store) if with_daemon else None
    failures: list[BaseException] = []
    server = _Server(
        uvicorn.Config(
            create_app(settings, store, _alive(daemon, failures) if daemon else None),
            host=host, port=port, log_config=None, access_log=False, lifespan="off",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS, server_header=False,
        )
    )  # fmt: skip

    def stop() -> None:
        server.should_exit = True
        if daemon is not None:
            daemon.stop()

    thread = _start_daemon(daemon, failures, stop) if daemon else None
    previous = _install_signals(stop, server)
    try:
        server.run(sockets=[sock])
    finally:
        stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if thread is not None:
            thread.join(timeout=DAEMON_JOIN_SECONDS)
        else:
            store.close()
        sock.close()
    if failures:
        raise failures[0]
    log.info("api.stopped")


def _listen(host: str, port: int) -> socket.socket:
    """Bind before anything runs: a taken port is a one-line error, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _start_daemon(
    daemon: Daemon, failures: list[BaseException], stop: Callable[[], None]
) -> threading.Thread:
    def run() -> None:
        try:
            daemon.run()
        except BaseException as exc:  # surfaced by serve(): exit code of the daemon's error
            failures.append(exc)
            with contextlib.suppress(Exception):
                daemon.close()
            stop()

    thread = threading.Thread(target=run, name="inboxd-daemon", daemon=True)
    thread.start()
    return thread


def _alive(daemon: Daemon, failures: list[BaseException]) -> Callable[[], bool]:
    def alive() -> bool:
        return not failures and not daemon.stopping.is_set() and daemon.healthy

    return alive


def _install_signals(stop: Callable[[], None], server: uvicorn.Server) -> dict[int, Any]:
    def handle(signum: int, _frame: FrameType | None) -> None:
        if server.should_exit and signum == signal.SIGINT:
            server.force_exit = True  # a second Ctrl-C: do not wait for requests in flight
        log.info("api.stopping", signal=signal.Signals(signum).name)
        stop()

    return {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
