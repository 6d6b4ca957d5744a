"""Every document of ../shared/corpus through the real daemon (skipped when it is absent)."""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.accuracy import ACCEPTED, FIELD_MAP, field_matches, read_manifest
from inboxd.daemon import Daemon
from inboxd.settings import Settings
from tests.conftest import CORPUS, result_of

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}"),
]

# Regression floors just under what the rules reach on docs/ (types 74/76 = 0.974,
# fields 136/147 = 0.925 with benchmarks/accuracy.py); that benchmark prints the details.
MIN_ACCURACY = 0.95
MIN_FIELD_RATE = 0.90


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest() -> dict[str, str]:
    with (CORPUS / "MANIFEST.csv").open(newline="", encoding="utf-8") as f:
        return {row["path"]: row["label"] for row in csv.DictReader(f)}


def drop(settings: Settings, subdir: str) -> dict[str, str]:
    """Copy a corpus subtree into the inbox, one folder per label; return sha256 by name."""
    inbox = settings.dirs()["inbox"]
    hashes = {}
    for src in sorted((CORPUS / subdir).rglob("*")):
        if src.is_file():
            rel = src.relative_to(CORPUS / subdir)
            folder = rel.parts[0] if len(rel.parts) > 1 else "odd"
            dest = inbox / folder / rel.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            hashes[f"{folder}/{rel.name}"] = sha(src)
    return hashes


def outputs(settings: Settings) -> dict[str, dict]:
    found = {}
    for place in ("done", "failed"):
        for folder in settings.dirs()[place].iterdir():
            for entry in result_of(folder)["result"]["results"]:
                found[f"{folder.name}/{entry['path']}"] = entry | {"_where": folder}
    return found


def test_labelled_documents(settings: Settings, tree: dict[str, Path]) -> None:
    """Every labelled document gets a result, keeps its bytes, and most are typed right."""
    hashes = drop(settings, "docs")
    daemon = Daemon(settings)
    daemon.open()
    daemon.drain()
    daemon.close()
    results = outputs(settings)
    assert set(results) == set(hashes)
    labels = {p.removeprefix("docs/"): label for p, label in manifest().items()}
    right, wrong = 0, Counter[str]()
    for name, entry in results.items():
        assert sha(entry["_where"] / entry["path"]) == hashes[name]
        assert entry["error"] is None or entry["error"]["code"] != "internal", entry["error"]
        if entry["doc_type"] in ACCEPTED[labels[name]]:
            right += 1
        else:
            wrong[f"{labels[name]}->{entry['doc_type']}"] += 1
    accuracy = right / len(results)
    print(f"corpus accuracy {accuracy:.2f} ({right}/{len(results)}); confusions {dict(wrong)}")
    assert accuracy >= MIN_ACCURACY, dict(wrong)
    matched, missed = field_rate(results)
    rate = len(matched) / max(len(matched) + len(missed), 1)
    print(f"corpus field rate {rate:.3f}; missed {missed}")
    assert rate >= MIN_FIELD_RATE, missed


def field_rate(results: dict[str, dict]) -> tuple[list[str], list[str]]:
    """Expected fields of the manifest matched / missed, compared as the benchmark does."""
    matched, missed = [], []
    for row in read_manifest(CORPUS, include_odd=False):
        entry = results[row.path.removeprefix("docs/")]
        for key, expected in row.expected.items():
            if key not in FIELD_MAP:
                continue
            got = (entry["fields"].get(FIELD_MAP[key]) or {}).get("value")
            name = f"{row.path}:{key}"
            (matched if field_matches(key, expected, got) else missed).append(name)
    return matched, missed


def test_odd_files_end_with_a_clear_status(settings: Settings, tree: dict[str, Path]) -> None:
    """Malformed, encrypted, scanned and non-PDF files each end with a clear per-file status."""
    hashes = drop(settings, "odd")
    daemon = Daemon(settings)
    daemon.open()
    daemon.drain()
    results = outputs(settings)
    assert set(results) == set(hashes)
    for name, entry in results.items():
        assert sha(entry["_where"] / entry["path"]) == hashes[name], name
        if entry["error"]:
            assert entry["error"]["code"] != "internal", (name, entry["error"])
            assert entry["error"]["message"]
        else:
            assert entry["doc_type"] and entry["routing"] in ("INBOX", "ARCHIVE")
    # The daemon carries on: a folder dropped afterwards is processed normally.
    (settings.dirs()["inbox"] / "after").mkdir()
    shutil.copyfile(next((CORPUS / "docs" / "invoice").glob("*.pdf")),
                    settings.dirs()["inbox"] / "after" / "x.pdf")  # fmt: skip
    assert daemon.drain() == 1
    daemon.close()
