"""An upload is another way to drop a folder: stream it into hidden staging, then publish.

The request body is parsed as it arrives (python-multipart's push parser), each file part
written straight to a file in ``inbox/.upload-<job id>/`` (hidden, so no scan takes it as a
job), never held whole in memory or spooled to /tmp: staging on the inbox's filesystem
is what makes the final rename atomic.  Publishing writes the folder's state with the job id
(``queued``, so the daemon's claim keeps that id), records the job as ``pending`` and then
renames the folder to a visible name; the daemon takes it like any dropped folder.  Until
that rename, nothing of the upload is visible in the inbox; on any failure the staging
folder is removed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from inboxd.api.errors import (
    BadBody,
    EmptyFile,
    InboxUnavailable,
    NoFiles,
    NotMultipart,
    TooLarge,
    UnsupportedKind,
)
from inboxd.documents.identify import HEAD_BYTES, identify
from inboxd.errors import InboxdError
from inboxd.inbox import folders
from inboxd.inbox.scan import OWN_FILES, is_junk, is_temp
from inboxd.models import FileInfo, Job, JobStatus, utcnow
from inboxd.store import JobStore

STAGING_PREFIX = ".upload-"
PUBLISHED_PREFIX = "upload-"
MAX_NAME_BYTES = 150  # well under every filesystem's 255, leaving room for "-N" suffixes
MAX_HEADER_BYTES = 16 * 1024  # one part's headers; a client sending more is not a browser
FALLBACK_STEM = "file"
# Errors of the inbox itself (not of the request): the service cannot take uploads now.
UNAVAILABLE_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOENT, errno.EIO}
)
_UNSAFE = re.compile(r'[/\\:*?"<>|]')  # separators, and what Windows shares refuse


@dataclass(frozen=True)
class UploadLimits:
    max_files: int
    max_file_bytes: int
    max_request_bytes: int
    allowed_kinds: frozenset[str]


@dataclass
class StagedFile:
    """One file part, as written into the staging folder."""

    original: str  # the client's name, cleaned only enough to be shown
    name: str  # the sanitised, unique name on disk
    size: int = 0
    kind: str = "empty"
    sha256: str = ""

    def info(self) -> FileInfo:
        return FileInfo(filename=self.name, path=self.name, size=self.size, sha256=self.sha256)

    def to_json(self) -> dict[str, object]:
        return {"filename": self.name, "original_filename": self.original,
                "size": self.size, "kind": self.kind}  # fmt: skip


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary of a Content-Type header, or ``NotMultipart``."""
    ctype, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise NotMultipart(
            f"Content-Type must be multipart/form-data with a boundary, not {content_type!r}"
        )
    return boundary


def sanitise(raw: str, taken: set[str], marker: str | None = None) -> str:
    """A safe, unique file name for a client-supplied one.

    Only the last path component survives (``../../etc/passwd`` is ``passwd``); control and
    format characters (NUL, newlines, bidi overrides) go; the length is bounded in bytes,
    keeping the extension; names the daemon would treat as hidden, temporary, junk or its
    own are changed so that the file is processed; a name already used in this upload gets
    ``-2``, ``-3``... before its extension (compared case-insensitively, as on SMB shares).
    """
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(_printable_char(ch) for ch in name)
    # Leading dots would hide the file from the daemon, "~$" mark it temporary; trailing
    # dots and spaces are dropped by Windows shares.
    name = _UNSAFE.sub("_", name).strip(" ").lstrip(".~$ ").rstrip(" .")
    if is_junk(name) or name in OWN_FILES or name == marker:
        name = f"_{name}"
    if is_temp(name):
        name = f"{name}_"
    stem, dot, ext = name.rpartition(".") if "." in name[1:] else (name, "", "")
    stem, ext = stem or FALLBACK_STEM, (dot + ext if dot else "")
    ext = _clip(ext, 16)
    for n in range(1, 10_000):
        suffix = "" if n == 1 else f"-{n}"
        candidate = _clip(stem, MAX_NAME_BYTES - len((suffix + ext).encode())) + suffix + ext
        if candidate.lower() not in taken:
            taken.add(candidate.lower())
            return candidate
    raise TooLarge("too many files with the same name")


def _printable_char(ch: str) -> str:
    """Control and format characters (NUL, newlines, bidi overrides) go; odd spaces are spaces."""
    category = unicodedata.category(ch)
    if category.startswith("C"):
        return ""
    return " " if category.startswith("Z") else ch


def _clip(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8, never inside a character."""
    return text.encode()[:max_bytes].decode(errors="ignore")


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    file: StagedFile | None = None
    fd: int | None = None
    head: bytearray = field(default_factory=bytearray)
    checked: bool = False
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)


class Staging:
    """One upload being written into ``inbox/.upload-<job id>/``.

    Not thread-safe; the server feeds it chunks from one request, in order, in a worker
    thread (the writes and fsyncs block).
    """

    def __init__(self, inbox: Path, limits: UploadLimits, boundary: bytes,
                 marker: str | None = None) -> None:  # fmt: skip
        self.limits, self.marker = limits, marker
        self.job_id = str(uuid.uuid4())
        self.path = inbox / f"{STAGING_PREFIX}{self.job_id}"
        self.files: list[StagedFile] = []
        self.received = 0
        self._taken: set[str] = set()
        self._part = _Part()
        self._ended = False
        try:
            self.path.mkdir(mode=0o755)
        except OSError as exc:
            raise InboxUnavailable(f"cannot write into the inbox: {exc.strerror}") from exc
        self._parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        })  # fmt: skip

    # -- feeding ------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        """Parse (and write) the next chunk of the request body."""
        self.received += len(chunk)
        if self.received > self.limits.max_request_bytes:
            raise TooLarge(f"the request exceeds {self.limits.max_request_bytes} bytes")
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise BadBody(f"malformed multipart body: {exc}") from None
        except OSError as exc:
            if exc.errno in UNAVAILABLE_ERRNOS:
                raise InboxUnavailable(f"cannot write into the inbox: {exc.strerror}") from exc
            raise

    def finish(self) -> list[StagedFile]:
        """The body is complete: check it, return the files written."""
        self._parser.finalize()
        if not self._ended:
            raise BadBody("the multipart body ended before its closing boundary")
        if not self.files:
            raise NoFiles()
        return self.files

    # -- publishing ---------------------------------------------------------------------

    def publish(self, store: JobStore) -> tuple[Job, Path]:
        """Record the job as pending, then make the folder visible in the inbox.

        The row comes before the rename so that the daemon, which may claim the folder the
        moment it appears, never sees its ``processing`` row overwritten by our ``pending``.
        """
        name = f"{PUBLISHED_PREFIX}{self.job_id[:8]}"
        created = utcnow()
        # "queued": the claim keeps this job id (folders.adopt) instead of starting a new job.
        state = {"job_id": self.job_id, "folder": name, "attempt": 1,
                 "created_at": created.isoformat(), "queued": True, "complete": True,
                 "source": "http"}  # fmt: skip
        try:
            if self.marker:
                (self.path / self.marker).touch()
            folders.write_state(self.path, state)
        except (OSError, InboxdError) as exc:
            raise InboxUnavailable(f"cannot write the upload's state: {exc}") from exc
        job = Job(job_id=self.job_id, folder=name, status=JobStatus.PENDING,
                  total_files=len(self.files), file_data=[f.info() for f in self.files],
                  created_at=created, updated_at=created)  # fmt: skip
        store.upsert(job)
        try:
            target = folders.publish_as(self.path, name)
        except (OSError, InboxdError) as exc:
            job.status, job.error = JobStatus.FAILED, f"upload not published: {exc}"
            job.finished_at = job.updated_at = utcnow()
            store.upsert(job)
            raise InboxUnavailable(f"cannot publish the upload into the inbox: {exc}") from exc
        return job, target

    def discard(self) -> None:
        """Remove the staging folder and everything in it (after any failure)."""
        self._close_file()
        shutil.rmtree(self.path, ignore_errors=True)

    # -- parser callbacks ---------------------------------------------------------------

    def _on_part_begin(self) -> None:
        self._part = _Part()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._part.header_field += data[start:end]
        self._check_header_size()

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._part.header_value += data[start:end]
        self._check_header_size()

    def _check_header_size(self) -> None:
        if len(self._part.header_field) + len(self._part.header_value) > MAX_HEADER_BYTES:
            raise BadBody("a part's headers are too large")

    def _on_header_end(self) -> None:
        part = self._part
        part.headers[bytes(part.header_field).lower()] = bytes(part.header_value)
        part.header_field, part.header_value = bytearray(), bytearray()

    def _on_headers_finished(self) -> None:
        disposition = self._part.headers.get(b"content-disposition", b"")
        _, options = parse_options_header(disposition.decode("latin-1"))
        raw = options.get(b"filename")
        if raw is None:
            return  # an ordinary form field: not a document, its bytes are skipped
        if len(self.files) >= self.limits.max_files:
            raise TooLarge(f"more than {self.limits.max_files} files in one request")
        # Browsers send the file name as raw UTF-8 inside the header.
        original = raw.decode("utf-8", errors="replace")
        staged = StagedFile(original=_printable(original),
                            name=sanitise(original, self._taken, self.marker))  # fmt: skip
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        self._part.fd = os.open(self.path / staged.name, flags, 0o644)
        self._part.file = staged
        self.files.append(staged)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part.file is None or part.fd is None:
            return
        chunk = data[start:end]
        part.file.size += len(chunk)
        if part.file.size > self.limits.max_file_bytes:
            raise TooLarge(
                f"{part.file.original!r} exceeds {self.limits.max_file_bytes} bytes per file"
            )
        if not part.checked:
            part.head += chunk[: HEAD_BYTES - len(part.head)]
            if len(part.head) >= HEAD_BYTES:
                self._check_kind()
        part.digest.update(chunk)
        view = memoryview(chunk)
        while view:
            view = view[os.write(part.fd, view) :]

    def _on_part_end(self) -> None:
        part = self._part
        if part.file is None:
            return
        if not part.checked:
            self._check_kind()
        part.file.sha256 = part.digest.hexdigest()
        assert part.fd is not None
        os.fsync(part.fd)  # the row will say these bytes exist: they must, after a crash too
        self._close_file()

    def _on_end(self) -> None:
        self._ended = True

    def _check_kind(self) -> None:
        part = self._part
        assert part.file is not None
        part.checked = True
        kind = identify(bytes(part.head), part.file.name)
        part.file.kind = kind
        if kind == "empty":
            raise EmptyFile(f"{part.file.original!r} is empty")
        if kind not in self.limits.allowed_kinds:
            allowed = ", ".join(sorted(self.limits.allowed_kinds))
            raise UnsupportedKind(
                f"{part.file.original!r} is {kind} by its content; accepted: {allowed}"
            )

    def _close_file(self) -> None:
        if self._part.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._part.fd)
            self._part.fd = None


def _printable(text: str) -> str:
    """A client's name fit for a JSON answer or a log line: control characters escaped."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)[:300]


def sweep_stale(inbox: Path, older_than_seconds: float, now: float) -> list[Path]:
    """Remove staging folders an interrupted server left behind (never published)."""
    removed = []
    for entry in inbox.glob(f"{STAGING_PREFIX}*"):
        try:
            newest = max([entry.lstat().st_mtime] +
                         [p.lstat().st_mtime for p in entry.iterdir()])  # fmt: skip
        except OSError:
            continue
        if entry.is_dir() and not entry.is_symlink() and now - newest > older_than_seconds:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
