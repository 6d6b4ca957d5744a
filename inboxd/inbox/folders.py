"""Every filesystem mutation of the daemon.

Claims and finishes are single renames on one filesystem, so a folder is always wholly in
one place; results are written to a temporary name, fsynced and renamed; nothing here ever
replaces an existing file or folder.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import glob
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import structlog

from inboxd.errors import ConfigError, FolderError
from inboxd.inbox.scan import RESULT_FILE, RESULT_TEMP, STATE_FILE, WRAP_PREFIX
from inboxd.models import clean_json

log = structlog.get_logger("inboxd.folders")
# What SMB/NFS shares report for a moment and then not (EACCES: a scanner or antivirus
# holding the file open on a Windows share).
TRANSIENT_ERRNOS = frozenset({errno.EBUSY, errno.ESTALE, errno.EAGAIN, errno.EIO, errno.EACCES})
RENAME_ATTEMPTS = 5
NAME_MAX = 255  # bytes in one path component, on every filesystem we run on
RENAME_RETRY_SECONDS = 0.2  # doubled per attempt: 0.2 + 0.4 + 0.8 + 1.6 s at most
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_renameat2 = getattr(_libc, "renameat2", None)


def prepare_tree(dirs: dict[str, Path]) -> None:
    """Create the four directories; refuse them unless they share one filesystem."""
    devices: dict[int, str] = {}
    for name, path in dirs.items():
        try:
            path.mkdir(parents=True, exist_ok=True)
            devices.setdefault(path.stat().st_dev, name)
        except OSError as exc:
            raise ConfigError(f"{name}_dir {path}: {exc.strerror or exc}") from None
    if len(devices) > 1:
        names = ", ".join(f"{n}_dir" for n in devices.values())
        raise ConfigError(
            f"{names} are on different filesystems; claims and finishes must be atomic renames"
        )


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename src to dst, failing with FileExistsError if dst exists (never replacing).

    Errors that network shares report transiently (a busy or stale handle, an I/O hiccup,
    a lock held a moment too long) are retried with backoff before they are reported.
    """
    for attempt in range(RENAME_ATTEMPTS):
        try:
            return _rename_once(src, dst)
        except OSError as exc:
            if exc.errno not in TRANSIENT_ERRNOS or attempt == RENAME_ATTEMPTS - 1:
                raise
            delay = RENAME_RETRY_SECONDS * 2**attempt
            log.warning("fs.retry", op="rename", src=str(src), dst=str(dst),
                        error=exc.strerror, attempt=attempt + 1, retry_in_s=delay)  # fmt: skip
            time.sleep(delay)


def _rename_once(src: Path, dst: Path) -> None:
    if _renameat2 is not None:
        rc = _renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst),
                        _RENAME_NOREPLACE)  # fmt: skip
        if rc == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(err, os.strerror(err), str(src), None, str(dst))
    # The filesystem (some network mounts) lacks RENAME_NOREPLACE: check, then rename.
    # We are the only writer of processing/, done/ and failed/, so the window is ours.
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, "target exists", str(dst))
    os.rename(src, dst)


def fit_name(name: str, suffix: str) -> str:
    """``name + suffix``, the name shortened so the whole stays within NAME_MAX bytes."""
    raw, tail = os.fsencode(name), os.fsencode(suffix)
    return os.fsdecode(raw[: NAME_MAX - len(tail)] + tail)


def move_unique(src: Path, dest_dir: Path, job_id: str | None = None) -> Path:
    """Move src into dest_dir under its name, or a suffixed one if that name is taken."""
    name = src.name
    suffixes = [""] + ([f"-{job_id[:8]}", f"-{job_id}"] if job_id else [])
    suffixes += [f"-{n}" for n in range(2, 1000)]
    for suffix in suffixes:
        target = dest_dir / fit_name(name, suffix)
        try:
            rename_noreplace(src, target)
        except FileExistsError:
            continue
        except OSError as exc:
            raise FolderError(f"cannot move {src} to {dest_dir}: {exc.strerror}") from exc
        _fsync_dir(dest_dir)
        return target
    raise FolderError(f"no free name for {name} in {dest_dir}")


def wrap_loose_file(path: Path) -> Path:
    """Put a loose file into a folder named after it, in the same directory.

    The file first moves into a hidden folder (which no scan treats as a job), which is then
    renamed to the file's name: the result appears in one step.
    """
    # A short name of its own: the file's name plus a prefix could pass NAME_MAX.
    wrap = path.parent / f"{WRAP_PREFIX}{uuid.uuid4().hex[:12]}"
    wrap.mkdir()
    rename_noreplace(path, wrap / path.name)
    published = finish_wrap(wrap)
    assert published is not None
    return published


def finish_wrap(wrap: Path) -> Path | None:
    """Rename a hidden wrap folder to the name of the file it holds (also used in recovery).

    A wrap left empty by a daemon that died before moving the file in is removed.
    """
    inside = list(wrap.iterdir())
    if not inside:
        wrap.rmdir()
        return None
    return publish_as(wrap, inside[0].name)


def publish_as(staged: Path, name: str) -> Path:
    """Rename a staged (hidden) folder to ``name`` in its directory, or ``name-N`` if taken."""
    for suffix in ["", *[f"-{n}" for n in range(2, 1000)]]:
        target = staged.parent / fit_name(name, suffix)
        try:
            rename_noreplace(staged, target)
        except (FileExistsError, NotADirectoryError):
            continue
        return target
    raise FolderError(f"no free name for {name} in {staged.parent}")


def claim(folder: Path, processing_dir: Path) -> Path | None:
    """Take a folder out of the inbox in one rename; None if it vanished meanwhile."""
    try:
        return move_unique(folder, processing_dir)
    except FolderError as exc:
        if isinstance(exc.__cause__, FileNotFoundError):
            return None
        raise


def read_state(folder: Path) -> dict[str, Any] | None:
    """The job state kept inside a claimed folder, or None if it has none (or it is torn)."""
    try:
        data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent, torn, unreadable, or not even a file
        return None
    return data if isinstance(data, dict) and isinstance(data.get("job_id"), str) else None


def job_folders(directory: Path, hidden: bool = False) -> list[Path]:
    """Real folders directly under ``directory``, sorted; hidden ones only if asked."""
    return sorted(
        p
        for p in directory.iterdir()
        if (hidden or not p.name.startswith(".")) and p.is_dir() and not p.is_symlink()
    )


def states(directory: Path, hidden: bool = False) -> list[dict[str, Any]]:
    """The state of every job folder directly under ``directory`` that has one.

    With ``hidden``, staging folders (an HTTP upload being written) count too.
    """
    return [s for s in map(read_state, job_folders(directory, hidden)) if s is not None]


def find_job_folder(directory: Path, job_id: str, name: str | None = None) -> Path | None:
    """The folder under ``directory`` whose state file names ``job_id``.

    With ``name`` (the folder's original name) only that name and its suffixed variants
    are looked at, not the whole of a large done/.
    """
    pattern = f"{glob.escape(name)}*" if name else "*"
    for folder in sorted(directory.glob(pattern)):
        if folder.is_dir() and not folder.is_symlink():
            state = read_state(folder)
            if state is not None and state["job_id"] == job_id:
                return folder
    return None


def adopt(folder: Path) -> None:
    """Make a freshly claimed folder a new job unless inboxd queued it (``retry``).

    A copy of a finished folder dropped again carries the old job's state and result; it is
    a new job, not a replay of the old one. A result file the user brought along is kept
    under another name, never overwritten.
    """
    state = read_state(folder)
    if state is not None and state.get("queued"):
        write_state(folder, {k: v for k, v in state.items() if k not in ("queued", "complete")})
        return
    if state is not None:
        (folder / STATE_FILE).unlink()
    keep_foreign_result(folder)


def next_attempt(folder: Path, **flags: Any) -> dict[str, Any] | None:
    """Record in the folder's state that its job starts its next attempt (same job id)."""
    state = read_state(folder)
    if state is None:
        return None
    attempt = state.get("attempt")
    attempt = attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else 1
    state = {**state, **flags, "attempt": attempt + 1, "runs": 0}
    write_state(folder, state)
    return state


def keep_foreign_result(folder: Path) -> None:
    """A result file that no job of this folder wrote is kept aside, never overwritten."""
    if (folder / RESULT_FILE).exists() and read_state(folder) is None:
        keep_aside(folder / RESULT_FILE)


def keep_aside(path: Path) -> Path:
    """Rename path to a free ``name.orig`` (``name.orig-2``...) beside it."""
    for suffix in ["", *[f"-{n}" for n in range(2, 1000)]]:
        target = path.with_name(f"{path.name}.orig{suffix}")
        try:
            rename_noreplace(path, target)
        except FileExistsError:
            continue
        return target
    raise FolderError(f"no free name to keep {path} aside")


def read_result(folder: Path) -> dict[str, Any] | None:
    """The result JSON in a folder, or None if absent or unreadable."""
    try:
        data = json.loads((folder / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_state(folder: Path, state: dict[str, Any]) -> None:
    _write_atomic(folder / STATE_FILE, folder / f"{STATE_FILE}.tmp", state)


def write_result(folder: Path, result: dict[str, Any]) -> Path:
    target = folder / RESULT_FILE
    _write_atomic(target, folder / RESULT_TEMP, result)
    return target


def _write_atomic(target: Path, temp: Path, data: dict[str, Any]) -> None:
    """Temp file, fsync, rename, fsync the directory: a reader sees old or new, never half."""
    # clean_json: a folder name that is not UTF-8 arrives with lone surrogates.
    payload = json.dumps(clean_json(data), indent=2, ensure_ascii=False).encode("utf-8")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with open(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)  # our own file: replacing it is the point
        _fsync_dir(target.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise FolderError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError:  # some network filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)
