"""Hostile PDFs made on the fly: valid structure, pathological content."""

from __future__ import annotations

from pathlib import Path

from inboxd.demo import page_pdf


def slow_pdf(path: Path, operators: int = 400_000) -> Path:
    """Small on disk, but its text extraction runs through many thousands of operators."""
    path.write_bytes(page_pdf(b"BT /F1 9 Tf 10 10 Td (x) Tj ET\n" * operators, flate=True))
    return path


def balloon_pdf(path: Path, megabytes: int = 400) -> Path:
    """A few hundred KB on disk that inflates to ``megabytes`` of content stream."""
    content = b"BT (" + b"A" * (megabytes * 2**20) + b") Tj ET"
    path.write_bytes(page_pdf(content, flate=True))
    return path
