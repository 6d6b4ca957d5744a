"""The authoritative listing of the inbox: candidate folders and their snapshots.

Events are only hints; what this module reads from the directory is the truth.  Nothing
here follows a symlink or opens a file.
"""

from __future__ import annotations

import fnmatch
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = ".inboxd-job.json"
RESULT_FILE = "inboxd-result.json"
RESULT_TEMP = ".inboxd-result.json.tmp"
OWN_FILES = frozenset({STATE_FILE, RESULT_FILE, RESULT_TEMP})
WRAP_PREFIX = ".inboxd-wrap-"

# Still being written by a copier, a browser, an office suite or a sync client.
PARTIAL_PATTERNS = ("*.part", "*.tmp", "*.crdownload", "~$*", ".~lock.*#")
# Made by desktops and NAS boxes; never documents, never a reason to fail a job.
JUNK_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
JUNK_DIRS = frozenset({"@eadir"})


def is_junk(name: str, is_dir: bool = False) -> bool:
    lowered = name.lower()
    if is_dir:
        return lowered in JUNK_DIRS
    return lowered in JUNK_FILES or name.startswith("._")


def is_temp(name: str) -> bool:
    """Names copiers, browsers and office suites give files they are still writing."""
    return any(fnmatch.fnmatch(name, p) for p in PARTIAL_PATTERNS)


def is_partial(name: str) -> bool:
    """Temporary or hidden names: not (yet) a job of their own, not complete yet."""
    return name.startswith(".") or is_temp(name)


@dataclass(frozen=True)
class Candidate:
    """A direct entry of the inbox that may become a job."""

    name: str
    path: Path
    loose_file: bool  # a single file dropped directly into the inbox


@dataclass(frozen=True)
class Snapshot:
    """Names, sizes and mtimes of everything under a candidate, at any depth."""

    entries: frozenset[tuple[str, int, int, bool]]  # (relpath, size, mtime_ns, is_dir)
    files: int  # regular files that are not the daemon's own
    partial: tuple[str, ...]  # relpaths of temporary files (*.part, ~$x, ...)
    has_marker: bool
    # Hidden files (rsync's ".name.XXXXXX" while it copies, but also ".gitkeep" or the state
    # files of folders bundled inside): the folder waits longer, not forever.
    hidden: tuple[str, ...] = ()
    # Put there by inboxd itself in one rename (an HTTP upload, a retry): no need to settle.
    complete: bool = False

    @property
    def empty(self) -> bool:
        return self.files == 0


def list_candidates(inbox: Path, wrap_loose_files: bool = True) -> list[Candidate]:
    """Direct subfolders (and settled-able loose files) of the inbox, sorted by name."""
    found = []
    with os.scandir(inbox) as it:
        for entry in it:
            if is_partial(entry.name) or entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if not is_junk(entry.name, is_dir=True):
                    found.append(Candidate(entry.name, Path(entry.path), False))
            elif (
                wrap_loose_files
                and entry.is_file(follow_symlinks=False)
                and not is_junk(entry.name)
            ):
                found.append(Candidate(entry.name, Path(entry.path), True))
    return sorted(found, key=lambda c: c.name)


def snapshot(candidate: Candidate, marker: str | None = None) -> Snapshot:
    """Read the candidate's current state; a vanished candidate gives an empty snapshot."""
    if candidate.loose_file:
        try:
            st = os.lstat(candidate.path)
        except FileNotFoundError:
            return Snapshot(frozenset(), 0, (), False)
        entry = (candidate.name, st.st_size, st.st_mtime_ns, False)
        # A loose file cannot carry a marker: the quiet period alone decides.
        return Snapshot(frozenset({entry}), 1, (), True)
    entries: set[tuple[str, int, int, bool]] = set()
    files = 0
    partial: list[str] = []
    hidden: list[str] = []
    has_marker = complete = False
    for rel, st in walk(candidate.path):
        is_dir = stat.S_ISDIR(st.st_mode)
        entries.add((rel, st.st_size if not is_dir else 0, st.st_mtime_ns, is_dir))
        name = rel.rsplit("/", 1)[-1]
        if rel == STATE_FILE:
            complete = _marked_complete(candidate.path / rel)
        if is_dir or rel in OWN_FILES:
            continue
        if marker is not None and rel == marker:
            has_marker = True
        elif is_junk(name):
            files += 1
        elif is_temp(name):
            partial.append(rel)
        elif name.startswith("."):
            hidden.append(rel)
        else:
            files += 1
    return Snapshot(
        frozenset(entries), files, tuple(sorted(partial)), has_marker, tuple(sorted(hidden)),
        complete,
    )  # fmt: skip


def _marked_complete(state_file: Path) -> bool:
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and state.get("complete") is True


def walk(
    root: Path, unreadable: list[tuple[str, str]] | None = None
) -> list[tuple[str, os.stat_result]]:
    """Every entry under root as (relative posix path, lstat), sorted; junk dirs not entered.

    Symlinks are reported (as links) but never followed; entries that vanish mid-walk are
    skipped, the next scan sees the change.  Subfolders that cannot be read (permissions,
    I/O) are skipped and, when ``unreadable`` is given, listed there with the reason.
    """
    out: list[tuple[str, os.stat_result]] = []
    stack = [("", root)]
    while stack:
        prefix, directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            if unreadable is not None and prefix:
                unreadable.append((prefix, f"unreadable folder: {exc.strerror}"))
            continue
        for entry in entries:
            rel = prefix + entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            out.append((rel, st))
            if stat.S_ISDIR(st.st_mode) and not is_junk(entry.name, is_dir=True):
                stack.append((rel + "/", Path(entry.path)))
    out.sort(key=lambda item: item[0])
    return out


@dataclass(frozen=True)
class FolderContents:
    """What a claimed folder holds: the documents to process and what is skipped."""

    documents: list[tuple[str, Path]]  # (relative path, path), stable order
    ignored: list[tuple[str, str]]  # (relative path, reason): junk, hidden, symlink, special


def folder_contents(folder: Path, marker: str | None = None) -> FolderContents:
    documents: list[tuple[str, Path]] = []
    ignored: list[tuple[str, str]] = []
    for rel, st in walk(folder, ignored):
        name = rel.rsplit("/", 1)[-1]
        if stat.S_ISDIR(st.st_mode):
            if is_junk(name, is_dir=True):
                ignored.append((rel + "/", "junk"))
            continue
        if rel in OWN_FILES or rel == marker:
            continue
        reason = _skip_reason(name, st.st_mode)
        if reason:
            ignored.append((rel, reason))
        else:
            documents.append((rel, folder / rel))
    return FolderContents(documents, ignored)


def _skip_reason(name: str, mode: int) -> str | None:
    """Why a file is not a document, or None when it is one."""
    if name.startswith(f"{RESULT_FILE}.orig"):
        return "an earlier result file, kept aside"
    if stat.S_ISLNK(mode):
        return "symlink (not followed)"
    if not stat.S_ISREG(mode):
        return "not a regular file (never opened)"
    if is_junk(name):
        return "junk"
    if name.startswith("."):
        return "hidden"
    return None
