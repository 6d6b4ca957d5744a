"""Shared fixtures: a throwaway inbox tree, a daemon on it, and deadline-based waiting."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from inboxd.daemon import Daemon
from inboxd.inbox.scan import RESULT_FILE
from inboxd.settings import Settings, load_settings
from inboxd.store.sqlite import SqliteStore

# ../shared/corpus beside the checkout, or wherever $CORPUS_DIR points.
CORPUS = Path(
    os.environ.get("CORPUS_DIR") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)


def wait_for(
    condition: Callable[[], Any], timeout: float = 20.0, what: str | Callable[[], str] = ""
) -> Any:
    """Poll ``condition`` until it is truthy; fail the test after ``timeout`` seconds.

    ``what`` names what is awaited; a callable is asked only on failure (e.g. for a log).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    described = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout}s waiting for {described or condition}")


def result_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / RESULT_FILE).read_text(encoding="utf-8"))
    return data


@pytest.fixture(autouse=True)
def _no_config_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read a developer's config file or INBOXD_* environment."""
    import os

    for name in list(os.environ):
        if name.startswith("INBOXD_") or name.startswith("SUPABASE_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr("inboxd.settings.DEFAULT_CONFIG_PATHS", ())


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "root": tmp_path / "tree",
            "settle_seconds": 0.0,
            "rescan_seconds": 0.2,
            "observer": "polling",
            "poll_seconds": 0.2,
        }
        values.update(overrides)
        return load_settings(None, **values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def tree(settings: Settings) -> dict[str, Path]:
    dirs = settings.dirs()
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return dirs


@pytest.fixture
def daemon(settings: Settings, tree: dict[str, Path]) -> Iterator[Daemon]:
    """An opened daemon for ``drain()``-style tests."""
    d = Daemon(settings)
    d.open()
    yield d
    d.close()


class RunningDaemon:
    """A daemon running its real loop in a thread, stopped at the end of the test."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.daemon = Daemon(settings)
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.daemon.run()
        except BaseException as exc:  # surfaced by stop()
            self.errors.append(exc)

    def start(self) -> RunningDaemon:
        self.thread.start()
        wait_for(lambda: self.daemon._observer is not None or self.errors, what="daemon ready")
        return self

    def stop(self) -> None:
        self.daemon.stop()
        self.thread.join(timeout=20)
        assert not self.thread.is_alive(), "daemon did not stop"
        if self.errors:
            raise self.errors[0]


@pytest.fixture
def start_daemon() -> Iterator[Callable[[Settings], RunningDaemon]]:
    running: list[RunningDaemon] = []

    def start(settings: Settings) -> RunningDaemon:
        r = RunningDaemon(settings).start()
        running.append(r)
        return r

    yield start
    for r in running:
        if r.thread.is_alive():
            r.stop()


def rows(settings: Settings) -> list[Any]:
    store = SqliteStore(settings.db_path)
    try:
        return store.list(None, 1000)
    finally:
        store.close()


@pytest.fixture
def captured() -> Iterator[list[dict[str, Any]]]:
    """Structlog events as dicts, with the context (job_id, folder) merged in as in production."""
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        yield logs
