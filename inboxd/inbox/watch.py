"""Watchdog observers that only say "rescan soon".

Watchdog calls handlers under its own lock and its thread dies quietly if one raises, so
the handler does one ``put_nowait`` and nothing else.  The inbox is watched without
recursion: events for the folders at its top are all the hint the daemon needs, and the
number of inotify watches stays at one however much history the tree holds.
"""

from __future__ import annotations

import contextlib
import queue
from pathlib import Path
from typing import Any, Literal

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

# Filesystems where inotify sees nothing of what other machines write.
NETWORK_FSTYPES = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre",
    "davfs", "fuse", "fuseblk", "gpfs", "beegfs", "vboxsf", "virtiofs", "ncpfs", "coda",
})  # fmt: skip
MOUNTS = Path("/proc/self/mounts")


class HintHandler(FileSystemEventHandler):
    def __init__(self, hints: queue.Queue[str]) -> None:
        self.hints = hints

    def on_any_event(self, event: FileSystemEvent) -> None:
        with contextlib.suppress(queue.Full):
            self.hints.put_nowait("fs")


def mount_fstype(path: Path, mounts_text: str | None = None) -> str | None:
    """The filesystem type of the mount holding path (longest matching mount point)."""
    if mounts_text is None:
        try:
            mounts_text = MOUNTS.read_text()
        except OSError:
            return None
    target = str(path.resolve())
    best: tuple[int, str] | None = None
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > best[0]):
            best = (len(point), fields[2])
    return best[1] if best else None


def choose_observer(
    mode: Literal["auto", "inotify", "polling"], path: Path, mounts_text: str | None = None
) -> Literal["inotify", "polling"]:
    if mode != "auto":
        return mode
    fstype = mount_fstype(path, mounts_text) or ""
    is_network = fstype in NETWORK_FSTYPES or fstype.startswith("fuse.")
    return "polling" if is_network else "inotify"


def start_watch(
    inbox: Path, kind: Literal["inotify", "polling"], poll_seconds: float,
    hints: queue.Queue[str],
) -> Any:  # fmt: skip
    """Start an observer on the inbox (non-recursive); the caller stops and joins it."""
    observer = PollingObserver(timeout=poll_seconds) if kind == "polling" else Observer()
    observer.schedule(HintHandler(hints), str(inbox), recursive=False)
    observer.daemon = True
    observer.start()
    return observer
