"""ocr: scans are OCRed only when enabled and a tool exists; a slow tool is ended."""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from inboxd.documents import ocr
from inboxd.documents.extract import ExtractLimits
from inboxd.documents.rules import load_rules
from inboxd.pipeline import OcrOptions, process_file
from tests import pdfgen
from tests.conftest import wait_for

RULES = load_rules(None)
LIMITS = ExtractLimits()
SLEEP = shutil.which("sleep") or "/bin/sleep"  # found before the tests empty PATH


def fake_tool(bin_dir: Path, name: str, script: str) -> None:
    """An executable ``name`` on a private PATH, standing in for the real tool."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_without_tools_ocr_is_unavailable(tmp_path: Path, empty_path: Path) -> None:
    """With no OCR tool on PATH, run_ocr says so instead of failing."""
    result = ocr.run_ocr(pdfgen.scanned_pdf(tmp_path / "scan.pdf"))
    assert result.status == "unavailable" and result.signal == "ocr:unavailable"


@pytest.mark.parametrize("enabled", [False, True])
def test_scan_without_tools_goes_to_a_person(
    tmp_path: Path, empty_path: Path, enabled: bool
) -> None:
    """A scan stays unknown/INBOX/needs_ocr; the result says OCR was unavailable."""
    path = pdfgen.scanned_pdf(tmp_path / "scan.pdf")
    result = process_file(path, "scan.pdf", RULES, LIMITS, ocr_options=OcrOptions(enabled))
    assert (result.doc_type, str(result.routing), result.needs_ocr) == ("unknown", "INBOX", True)
    assert "ocr:unavailable" in result.signals
    assert any("OCR unavailable" in w for w in result.warnings) is enabled


def test_installed_but_disabled_is_said(tmp_path: Path, empty_path: Path) -> None:
    """With a tool on PATH but OCR off (the default), the signal is ocr:disabled."""
    fake_tool(empty_path, "ocrmypdf", "exit 1\n")
    path = pdfgen.scanned_pdf(tmp_path / "scan.pdf")
    result = process_file(path, "scan.pdf", RULES, LIMITS)
    assert "ocr:disabled" in result.signals and result.doc_type == "unknown"


def test_ocr_text_is_classified(tmp_path: Path, empty_path: Path) -> None:
    """Text recognised by the OCR tool is classified and its fields extracted."""
    # The stand-in writes its sidecar like ocrmypdf --sidecar FILE would.
    fake_tool(
        empty_path,
        "ocrmypdf",
        'while [ "$1" != "--sidecar" ]; do shift; done\n'
        "printf 'RECHNUNG\\nRechnungsnummer: RE-9\\nGesamtbetrag: 119,00 EUR\\n' > \"$2\"\n",
    )
    path = pdfgen.scanned_pdf(tmp_path / "scan.pdf")
    result = process_file(path, "scan.pdf", RULES, LIMITS, ocr_options=OcrOptions(True))
    assert result.doc_type == "invoice" and result.needs_ocr
    assert "ocr:done" in result.signals
    assert result.fields["total_amount"]["value"] == "119.00"


def test_a_hanging_tool_is_ended_at_the_timeout(tmp_path: Path, empty_path: Path) -> None:
    """A tool that hangs is killed with its children when the time limit passes."""
    pid_file = tmp_path / "child.pid"
    fake_tool(empty_path, "ocrmypdf", f"{SLEEP} 60 &\necho $! > {pid_file}\nwait\n")
    started = time.monotonic()
    result = ocr.run_ocr(pdfgen.scanned_pdf(tmp_path / "scan.pdf"), timeout_seconds=0.5)
    assert result.status == "timeout" and time.monotonic() - started < 10
    child = int(pid_file.read_text())
    assert wait_for(lambda: not alive(child)), "the tool's child outlived the timeout"


def alive(pid: int) -> bool:
    """Running (a killed orphan may linger as a zombie until init reaps it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_a_failing_tool_is_reported(tmp_path: Path, empty_path: Path) -> None:
    """A tool that exits non-zero gives status failed with its message."""
    fake_tool(empty_path, "ocrmypdf", "echo 'language pack missing' >&2\nexit 3\n")
    result = ocr.run_ocr(pdfgen.scanned_pdf(tmp_path / "scan.pdf"))
    assert result.status == "failed" and "language pack missing" in result.detail


@pytest.mark.skipif(
    not (shutil.which("tesseract") and shutil.which("pdftoppm")) and not shutil.which("ocrmypdf"),
    reason="no OCR tool installed (tesseract+pdftoppm or ocrmypdf)",
)
def test_real_ocr_reads_a_rendered_page(tmp_path: Path) -> None:
    """With a real OCR tool, an image-only invoice page is read and classified."""
    from fpdf import FPDF

    image = tmp_path / "page.png"
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=28)
    for line in ("INVOICE", "Invoice number: 4711", "Total: 99.00 EUR"):
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT", h=14)
    pdf.output(str(tmp_path / "text.pdf"))
    os.system(f"pdftoppm -r 150 -png -singlefile {tmp_path / 'text.pdf'} {tmp_path / 'page'}")
    scan = FPDF()
    scan.add_page()
    scan.image(str(image), x=0, y=0, w=210)
    scan.output(str(tmp_path / "scan.pdf"))
    result = process_file(tmp_path / "scan.pdf", "scan.pdf", RULES, LIMITS,
                          ocr_options=OcrOptions(True))  # fmt: skip
    assert "ocr:done" in result.signals and result.doc_type == "invoice"
