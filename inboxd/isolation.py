"""Per-file processing in a child process that a timeout and a memory cap can end.

Some PDFs make parsers spin forever or inflate a small stream into gigabytes, and no
``try/except`` stops that.  So the pipeline runs in a worker process with ``RLIMIT_AS`` set;
the parent waits at most ``timeout`` seconds per file, kills the child when it overruns, and
turns that into the file's ``timeout`` error.  The child is recycled every ``recycle_after``
files so leaks in parsers do not accumulate.  Children come from a forkserver: the daemon has
threads (watchdog, the outbox) and forking a threaded process is unsafe.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import signal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import structlog

from inboxd.documents.extract import ExtractLimits
from inboxd.documents.rules import Rules
from inboxd.errors import DocumentTooLarge
from inboxd.models import FileError, FileResult, Routing
from inboxd.pipeline import OcrOptions

log = structlog.get_logger("inboxd.isolation")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_CTX = multiprocessing.get_context("forkserver")
# Import the parsers once in the fork server, not in every child.
_CTX.set_forkserver_preload(["inboxd.pipeline"])


def _child(
    conn: Connection, rules: Rules, limits: ExtractLimits, ocr: OcrOptions, memory_bytes: int
) -> None:
    """The worker process: process files until the parent closes the pipe."""
    from inboxd.pipeline import process_file

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # The parent logs each file with its job context; the child stays silent (its stdout and
    # stderr are the daemon's, and an unconfigured logger would write there).
    structlog.configure(processors=[], logger_factory=structlog.ReturnLoggerFactory())
    logging.getLogger().addHandler(logging.NullHandler())
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    _die_with_parent()
    while True:
        try:
            path, relpath = conn.recv()
        except (EOFError, OSError):
            return
        result = process_file(Path(path), relpath, rules, limits, ocr_options=ocr)
        if result.error and result.error.message.startswith("MemoryError"):
            result.error = FileError(code=DocumentTooLarge.code, message=_too_large(memory_bytes))
        try:
            conn.send(result.model_dump(mode="json"))
        except OSError:  # the daemon is gone (killed): nobody wants the answer
            return


def _die_with_parent() -> None:
    """Never outlive the daemon: a parse spinning forever must not linger as an orphan.

    Our parent is the fork server, which exits when the daemon dies (even by SIGKILL).
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # The fork server stays up while any process holds its "alive" pipe, and it hands that
    # pipe to every child it forks: so a spinning parse would keep the server, and itself,
    # alive after the daemon is gone. Dropping our copy lets the server see the daemon die.
    server = multiprocessing.forkserver._forkserver
    alive_fd = getattr(server, "_forkserver_alive_fd", None)
    if alive_fd is not None:
        os.close(alive_fd)
        setattr(server, "_forkserver_alive_fd", None)  # noqa: B010 - private attribute
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(0)


def _too_large(memory_bytes: int) -> str:
    return f"parsing needed more than the {memory_bytes // 2**20} MiB memory cap"


class IsolatedPipeline:
    """``process(path, relpath) -> FileResult`` with a hard time limit and memory cap."""

    def __init__(
        self,
        rules: Rules,
        limits: ExtractLimits,
        timeout: float,
        memory_mb: int,
        recycle_after: int,
        ocr: OcrOptions | None = None,
    ) -> None:
        self.rules, self.limits = rules, limits
        self.ocr = ocr or OcrOptions()
        # OCR has its own time limit, on top of the parse's: the parser must outlive it.
        self.timeout = timeout + (self.ocr.timeout_seconds if self.ocr.enabled else 0.0)
        self.memory_bytes = memory_mb * 2**20
        self.recycle_after = recycle_after
        self._proc: Any = None
        self._conn: Connection | None = None
        self._done = 0

    def process(self, path: Path, relpath: str) -> FileResult:
        conn = self._ensure_child()
        try:
            conn.send((os.fspath(path), relpath))
            ready = conn.poll(self.timeout)
            data = conn.recv() if ready else None
        except (EOFError, OSError):  # the child died mid-file: out of memory or a crash
            return self._died(path, relpath)
        if data is None:
            self._kill()
            log.warning("file.timeout", path=relpath, timeout_s=self.timeout)
            message = f"processing took longer than {self.timeout:g} s and was stopped"
            return _error(path, relpath, "timeout", message)
        self._done += 1
        if self._done >= self.recycle_after:
            self.close()
        return FileResult.model_validate(data)

    def _ensure_child(self) -> Connection:
        if self._proc is None or not self._proc.is_alive() or self._conn is None:
            self._kill()
            parent, child = _CTX.Pipe()
            self._proc = _CTX.Process(
                target=_child,
                args=(child, self.rules, self.limits, self.ocr, self.memory_bytes),
                name="inboxd-parser", daemon=True,
            )  # fmt: skip
            self._proc.start()
            child.close()
            self._conn, self._done = parent, 0
        return self._conn

    def _died(self, path: Path, relpath: str) -> FileResult:
        self._proc.join(timeout=5)
        code = self._proc.exitcode
        self._kill()
        log.warning("file.worker_died", path=relpath, exitcode=code)
        if code == -signal.SIGKILL:  # the kernel's OOM killer, beyond our own cap
            return _error(path, relpath, DocumentTooLarge.code, _too_large(self.memory_bytes))
        return _error(path, relpath, "crashed", f"the parser process died (exit code {code})")

    def _kill(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(timeout=5)
            self._proc.close()
            self._proc = None

    def close(self) -> None:
        """Let the child finish (closing its pipe ends it); kill it if it lingers."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(timeout=2)
        self._kill()


def _error(path: Path, relpath: str, code: str, message: str) -> FileResult:
    try:
        size = path.lstat().st_size
    except OSError:
        size = 0
    return FileResult(
        filename=path.name, path=relpath, size=size, doc_type="unknown",
        routing=Routing.INBOX, routing_rule=f"error:{code}",
        error=FileError(code=code, message=message),
    )  # fmt: skip
