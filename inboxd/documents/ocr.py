"""Optional OCR for PDFs without a text layer, through external tools with a time limit.

Two recipes, the first available wins:

* ``ocrmypdf`` (it drives tesseract itself): ``--sidecar`` writes the recognised text;
* ``pdftoppm`` (poppler) renders pages to images, ``tesseract`` reads each one.

OCR is off by default and never required: without the tools the result says
``ocr:unavailable`` and the scan goes to a person, as it would without OCR at all.  Every
tool runs in its own process group so a timeout ends it and all its children (ocrmypdf
starts tesseract and ghostscript processes), not only the parent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT_SECONDS = 120.0  # a few pages at 300 dpi take seconds; a hung tool, forever
DEFAULT_LANGUAGES = "eng"  # tesseract language packs, "+"-joined ("eng+deu+fra")
DEFAULT_PAGES = 3  # the first pages carry the title, parties and totals
RENDER_DPI = 300
MAX_OCR_CHARS = 200_000


@dataclass(frozen=True)
class OcrResult:
    status: str  # "done", "unavailable", "timeout", "failed"
    text: str = ""
    tool: str = ""
    detail: str = ""

    @property
    def signal(self) -> str:
        return f"ocr:{self.status}"


def available_tool() -> str | None:
    """``"ocrmypdf"`` or ``"tesseract"`` (with pdftoppm) when on PATH, else None."""
    if shutil.which("ocrmypdf"):
        return "ocrmypdf"
    if shutil.which("tesseract") and shutil.which("pdftoppm"):
        return "tesseract"
    return None


def run_ocr(
    path: Path,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    languages: str = DEFAULT_LANGUAGES,
    pages: int = DEFAULT_PAGES,
) -> OcrResult:
    """The recognised text of the first ``pages`` pages of the PDF at ``path``."""
    tool = available_tool()
    if tool is None:
        return OcrResult("unavailable", detail="neither ocrmypdf nor tesseract+pdftoppm on PATH")
    deadline = time.monotonic() + timeout_seconds
    with tempfile.TemporaryDirectory(prefix="inboxd-ocr-") as tmp:
        work = Path(tmp)
        try:
            if tool == "ocrmypdf":
                text = _ocrmypdf(path, work, languages, pages, deadline)
            else:
                text = _tesseract(path, work, languages, pages, deadline)
        except subprocess.TimeoutExpired:
            return OcrResult("timeout", tool=tool, detail=f"over {timeout_seconds:g} s")
        except (subprocess.CalledProcessError, OSError) as exc:
            return OcrResult("failed", tool=tool, detail=_describe(exc))
    return OcrResult("done", text=text[:MAX_OCR_CHARS], tool=tool)


def _ocrmypdf(path: Path, work: Path, languages: str, pages: int, deadline: float) -> str:
    sidecar = work / "text.txt"
    command = [
        "ocrmypdf", "--quiet", "--skip-text", "--jobs", "1", "--output-type", "pdf",
        "--language", languages, "--pages", f"1-{pages}", "--sidecar", str(sidecar),
        str(path), str(work / "out.pdf"),
    ]  # fmt: skip
    _run(command, deadline)
    return sidecar.read_text(encoding="utf-8", errors="replace")


def _tesseract(path: Path, work: Path, languages: str, pages: int, deadline: float) -> str:
    prefix = work / "page"
    _run(
        ["pdftoppm", "-r", str(RENDER_DPI), "-f", "1", "-l", str(pages), "-png", str(path),
         str(prefix)],
        deadline,
    )  # fmt: skip
    texts = []
    for image in sorted(work.glob("page*.png")):
        out = _run(["tesseract", str(image), "stdout", "-l", languages], deadline)
        texts.append(out)
    return "\f".join(texts)


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent() -> None:
    """In the OCR tool's process: killed with its parser process (a daemon stopped or killed
    mid-OCR leaves no tesseract behind). The parser process runs no threads, so this
    pre-exec hook is safe."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run(command: list[str], deadline: float) -> str:
    """Run ``command`` until ``deadline``; on timeout end its whole process group."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise subprocess.TimeoutExpired(command, 0)
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so killpg reaches the children
        preexec_fn=_die_with_parent,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=remaining)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, command, out, err)
    return out.decode("utf-8", errors="replace")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        err = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else ""
        tail = " ".join(err.split())[-160:]
        return f"{Path(str(exc.cmd[0])).name} exited {exc.returncode}: {tail}".strip()
    return f"{type(exc).__name__}: {exc}"[:200]
