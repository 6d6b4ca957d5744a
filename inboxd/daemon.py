"""The composition root and life cycle: build the parts, recover, then watch and work.

The loop waits for a watchdog hint or the rescan timer, lists the inbox (the truth),
asks the settler which folders are ready, re-checks each right before claiming it, and
runs the claimed folder's job.  Threads and signals live here and nowhere else.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import structlog

from inboxd.documents.extract import ExtractLimits
from inboxd.documents.rules import load_rules
from inboxd.errors import AlreadyRunning, FolderError
from inboxd.failpoints import failpoint
from inboxd.inbox import folders
from inboxd.inbox.scan import WRAP_PREFIX, Candidate, list_candidates, snapshot
from inboxd.inbox.settle import Settler
from inboxd.inbox.watch import choose_observer, start_watch
from inboxd.isolation import IsolatedPipeline
from inboxd.models import Job
from inboxd.notify import Notifier
from inboxd.pipeline import OcrOptions
from inboxd.recovery import reconcile_rows
from inboxd.settings import Settings
from inboxd.store import JobStore
from inboxd.store.sqlite import SqliteStore
from inboxd.worker import Outcome, WorkContext, run_job

log = structlog.get_logger("inboxd.daemon")
LOCK_FILE = ".inboxd.lock"
INBOX_RETRY_SECONDS = 5.0
STUCK_RETRY_MAX_SECONDS = 600.0


def make_store(settings: Settings) -> JobStore:
    """The configured store; with Supabase, the local record plus the outbox to Supabase."""
    local = SqliteStore(settings.db_path)
    if settings.store.backend == "sqlite":
        return local
    # Imported here: supabase-py takes half a second to import, the SQLite path needs none.
    from inboxd.store.outbox import ReplicatedStore
    from inboxd.store.supabase import SupabaseStore

    url, key = settings.store.require_supabase()
    remote = SupabaseStore(url, key, settings.store.timeout_seconds)
    return ReplicatedStore(
        local, remote, settings.store.progress_interval, settings.store.retry_max_seconds
    )


def make_pipeline(settings: Settings) -> IsolatedPipeline:
    """Validated rules and limits, and the parser process that applies them per file."""
    limits = ExtractLimits(
        max_bytes=settings.max_file_bytes,
        head_pages=settings.head_pages,
        tail_pages=settings.tail_pages,
        max_chars=settings.max_chars,
    )
    return IsolatedPipeline(
        load_rules(settings.rules_path),
        limits,
        timeout=settings.file_timeout_seconds,
        memory_mb=settings.file_memory_mb,
        recycle_after=settings.worker_recycle_files,
        ocr=OcrOptions(
            enabled=settings.ocr_enabled,
            timeout_seconds=settings.ocr_timeout_seconds,
            languages=settings.ocr_languages,
            pages=settings.ocr_pages,
        ),
    )


class Daemon:
    """Watches the inbox and turns each ready folder into one job."""

    def __init__(self, settings: Settings, store: JobStore | None = None) -> None:
        self.settings = settings
        self.dirs = settings.dirs()
        self.hints: queue.Queue[str] = queue.Queue(maxsize=1)
        self.stopping = threading.Event()
        self.settler = Settler(
            settings.settle_seconds, settings.marker_file, settings.hidden_settle_seconds
        )
        self.counts = {str(o): 0 for o in Outcome}
        self._stuck: dict[Path, float] = {}  # folder in processing/ -> when to try again
        self._stuck_tries: dict[Path, int] = {}
        self._recovered = False
        self._waiting = 0  # candidates seen in the inbox by the last scan
        self._reasons: dict[str, str] = {}  # why each waiting folder waits, as last logged
        self._blocked: dict[str, tuple[float, int]] = {}  # unclaimable: (retry at, tries)
        self.healthy = True
        self.notifier = Notifier()
        self._store = store
        self._lock_fd: int | None = None
        self._observer: Any = None
        self._observer_kind = "none"
        self._pipeline: IsolatedPipeline | None = None
        self.ctx: WorkContext | None = None

    # -- life cycle -----------------------------------------------------------------

    def open(self) -> None:
        """Validate everything and take the tree, before any inbox folder is touched."""
        folders.prepare_tree(self.dirs)
        self._pipeline = make_pipeline(self.settings)
        self._lock()
        store = self._store or make_store(self.settings)
        self._store = store
        store.start()
        self.ctx = WorkContext(
            store=store,
            process=self._pipeline.process,
            done_dir=self.dirs["done"],
            failed_dir=self.dirs["failed"],
            inbox_dir=self.dirs["inbox"],
            max_attempts=self.settings.max_attempts,
            partial_failure=self.settings.partial_failure,
            marker=self.settings.marker_file,
            stop=self.stopping,
            on_progress=self._on_progress,
        )

    def _lock(self) -> None:
        """One daemon per tree: two would race for the same claims and names."""
        fd = os.open(self.dirs["processing"] / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(
                f"another inboxd already works on {self.dirs['processing']}"
            ) from None
        self._lock_fd = fd

    def recover(self) -> None:
        """The one recovery path: every leftover of an interrupted daemon is settled here.

        Half-wrapped loose files get their folder; every folder in processing/ resumes under
        its recorded job id (or only finishes its move, when its result is written); a job
        row left unfinished whose folder already reached done/ or failed/ gets its final
        state from the result JSON there; one whose folder is nowhere is marked failed.
        """
        assert self.ctx is not None, "open() first"
        for entry in sorted(self.dirs["inbox"].glob(f"{WRAP_PREFIX}*")):
            if entry.is_dir() and not entry.is_symlink():
                log.info("job.recovered", stage="wrap", folder=entry.name)
                folders.finish_wrap(entry)
        self._recovered = True
        resumed: set[str] = set()
        for folder in folders.job_folders(self.dirs["processing"]):
            if self.stopping.is_set():
                return
            log.info("job.recovered", stage="processing", folder=folder.name)
            job = self._work(folder)
            resumed.add(job.job_id)
        reconcile_rows(self.ctx.store, self.dirs, resumed)

    def run(self) -> None:
        """Run until ``stop()`` (or SIGTERM/SIGINT in the main thread)."""
        self._install_signals()
        self.open()
        self._observer = self._watch()
        log.info(
            "daemon.ready",
            inbox=str(self.dirs["inbox"]),
            done=str(self.dirs["done"]),
            failed=str(self.dirs["failed"]),
            observer=self._observer_kind,
            settle_seconds=self.settings.settle_seconds,
        )
        # Ready once configuration, store (or its outbox) and watch are set up: recovering
        # leftovers and draining the backlog are work, not start-up.
        self.notifier.ready(self._status)
        try:
            self.recover()
            while not self.stopping.is_set():
                self._retry_stuck()
                wait = self.scan()
                self._check_watch()
                self.notifier.watchdog()
                self.notifier.status(self._status)
                self._wait_for_hint(wait)
        finally:
            self.notifier.stopping()
            self.close()
        log.info("daemon.stopped", **self.counts)

    def _status(self, current: str | None = None) -> str:
        waiting = 0 if self._store is None else self._store.backlog()
        parts = [
            f"inbox {self._waiting}",
            f"processing {current or 0}",
            f"done {self.counts['done']}",
            f"failed {self.counts['failed']}",
            f"writes waiting {waiting}",
        ]
        if not self.healthy:
            parts.insert(0, "UNHEALTHY: inbox unreadable")
        return ", ".join(parts)

    def _on_progress(self, job: Job) -> None:
        """Each finished file is progress: keeps the watchdog fed during long jobs."""
        self.notifier.watchdog()
        current = f"{job.folder} {job.processed_files}/{job.total_files}"
        self.notifier.status(lambda: self._status(current))

    def stop(self) -> None:
        self.stopping.set()
        with contextlib.suppress(queue.Full):
            self.hints.put_nowait("stop")

    def close(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
        if self._pipeline is not None:
            self._pipeline.close()
        if self._store is not None:
            self._store.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def drain(self) -> int:
        """Process every folder that is ready now; returns how many jobs ran."""
        if self.ctx is None:
            self.open()
        if not self._recovered:
            self.recover()
        ran = 0
        while not self.stopping.is_set():
            before = sum(self.counts.values())
            self.scan()
            if sum(self.counts.values()) == before:
                return ran
            ran += sum(self.counts.values()) - before
        return ran

    # -- the loop -------------------------------------------------------------------

    def scan(self) -> float:
        """One pass over the inbox; returns seconds until a settling folder is due."""
        now = time.monotonic()
        try:
            candidates = list_candidates(self.dirs["inbox"], self.settings.wrap_loose_files)
        except OSError as exc:
            # An unmounted share looks like an empty or missing inbox: never read that as
            # "every job vanished". Keep retrying; resume when the path is back.
            if self.healthy:
                log.error("inbox.unreadable", inbox=str(self.dirs["inbox"]), error=str(exc))
            self.healthy = False
            return min(self.settings.rescan_seconds, INBOX_RETRY_SECONDS)
        if not self.healthy:
            log.info("inbox.readable", inbox=str(self.dirs["inbox"]))
            self.healthy = True
        self._waiting = len(candidates)
        names = {c.name for c in candidates}
        self.settler.retain(names)
        for memory in (self._reasons, self._blocked):
            for name in set(memory) - names:
                del memory[name]
        due = self.settings.rescan_seconds
        for candidate in candidates:
            if self.stopping.is_set():
                break
            if self._blocked.get(candidate.name, (0.0, 0))[0] > now:
                continue
            verdict = self.settler.observe(candidate.name, self._snapshot(candidate), now)
            if verdict.ready:
                self._claim_and_work(candidate)
                continue
            self._tell_why(candidate.name, verdict.reason)
            if verdict.wait_seconds is not None:
                due = min(due, verdict.wait_seconds)
        return due

    def _tell_why(self, name: str, reason: str) -> None:
        """Say once why a folder is not taken yet (a user otherwise sees nothing happen)."""
        if reason != "still settling" and self._reasons.get(name) != reason:
            log.info("folder.waiting", folder=name, reason=reason)
        self._reasons[name] = reason

    def _snapshot(self, candidate: Candidate) -> Any:
        return snapshot(candidate, self.settings.marker_file)

    def _claim_and_work(self, candidate: Candidate) -> None:
        # Re-check right before claiming: the folder may have changed since it was observed.
        now = time.monotonic()
        if not self.settler.observe(candidate.name, self._snapshot(candidate), now).ready:
            return
        self.settler.forget(candidate.name)
        try:
            claimed = self._claim(candidate)
        except (FolderError, OSError) as exc:
            # A folder we may not move (read-only, held by another program) must not stop
            # the daemon or the folders behind it: skip it, say why, try again later.
            _, tries = self._blocked.get(candidate.name, (0.0, 0))
            delay = min(STUCK_RETRY_MAX_SECONDS, self.settings.stuck_retry_seconds * 2.0**tries)
            self._blocked[candidate.name] = (time.monotonic() + delay, tries + 1)
            log.error("folder.claim_failed", folder=candidate.name, error=str(exc),
                      retry_in_s=round(delay))  # fmt: skip
            return
        self._blocked.pop(candidate.name, None)
        if claimed is None:
            log.info("folder.vanished", folder=candidate.name)
            return
        failpoint("after_claim")
        log.info("job.claimed", folder=candidate.name, path=str(claimed))
        self._work(claimed)

    def _claim(self, candidate: Candidate) -> Path | None:
        source = candidate.path
        if candidate.loose_file:
            source = folders.wrap_loose_file(candidate.path)
            log.info("file.wrapped", file=candidate.name, folder=source.name)
        claimed = folders.claim(source, self.dirs["processing"])
        if claimed is not None:
            try:
                folders.adopt(claimed)
            except (FolderError, OSError) as exc:  # claimed already: the job handles the rest
                log.warning("job.adopt_failed", folder=claimed.name, error=str(exc))
        return claimed

    def _work(self, folder: Path) -> Job:
        assert self.ctx is not None
        job, outcome, _location = run_job(folder, self.ctx)
        self.counts[str(outcome)] += 1
        if outcome is Outcome.STUCK:
            tries = self._stuck_tries.get(folder, 0)
            self._stuck_tries[folder] = tries + 1
            delay = min(STUCK_RETRY_MAX_SECONDS, self.settings.stuck_retry_seconds * 2.0**tries)
            self._stuck[folder] = time.monotonic() + delay
        else:
            self._stuck.pop(folder, None)
            self._stuck_tries.pop(folder, None)
        return job

    def _retry_stuck(self) -> None:
        """Folders the filesystem failed (disk full, share errors) are tried again later."""
        now = time.monotonic()
        for folder, when in list(self._stuck.items()):
            if when <= now and not self.stopping.is_set():
                if folder.is_dir():
                    log.info("job.recovered", stage="retry", folder=folder.name)
                    self._work(folder)
                else:
                    self._stuck.pop(folder, None)
                    self._stuck_tries.pop(folder, None)

    def _wait_for_hint(self, timeout: float) -> None:
        with contextlib.suppress(queue.Empty):
            self.hints.get(timeout=max(timeout, 0.05))

    # -- watching and signals ---------------------------------------------------------

    def _watch(self) -> Any:
        kind = choose_observer(self.settings.observer, self.dirs["inbox"])
        try:
            observer = start_watch(self.dirs["inbox"], kind, self.settings.poll_seconds, self.hints)
        except OSError as exc:  # inotify limit reached, or no inotify on this path
            log.warning("watch.fallback", observer=kind, error=str(exc))
            kind = "polling"
            observer = start_watch(self.dirs["inbox"], kind, self.settings.poll_seconds, self.hints)
        self._observer_kind = kind
        return observer

    def _check_watch(self) -> None:
        """A watch that died (inotify limit, unmounted path) falls back to polling."""
        if self._observer is None and self.healthy:  # the inbox is back: watch it again
            with contextlib.suppress(OSError):
                self._observer = start_watch(
                    self.dirs["inbox"], "polling", self.settings.poll_seconds, self.hints
                )
                self._observer_kind = "polling"
                log.info("watch.restarted", observer="polling")
            return
        if self._observer is not None and not self._observer.is_alive():
            log.warning("watch.died", observer=self._observer_kind)
            with contextlib.suppress(Exception):
                self._observer.stop()
            try:
                self._observer = start_watch(
                    self.dirs["inbox"], "polling", self.settings.poll_seconds, self.hints
                )
                self._observer_kind = "polling"
            except OSError as exc:  # the inbox is gone for now; the rescan timer carries on
                log.warning("watch.unavailable", error=str(exc))
                self._observer = None

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handle(signum: int, _frame: FrameType | None) -> None:
            log.info("daemon.stopping", signal=signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
