"""Throughput: N folders x M corpus documents through the daemon's ``drain()``.

Prints files/s, the ratio to a bare pypdf extraction loop over the same files (same pages:
the first ``head_pages`` and the last ``tail_pages``), measured side by side in one run,
each part in its own subprocess so its peak RSS is its own.

    .venv/bin/python benchmarks/throughput.py [--folders 10] [--docs 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPUS = (
    Path(os.environ.get("CORPUS_DIR") or Path(__file__).resolve().parents[2] / "shared" / "corpus")
    / "docs"
)


def corpus_pdfs() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*.pdf") if p.is_file())


def pick(n: int) -> list[Path]:
    pdfs = corpus_pdfs()
    return [pdfs[i % len(pdfs)] for i in range(n)]


def run_daemon(folders: int, docs: int) -> dict[str, float]:
    from inboxd import logs
    from inboxd.daemon import Daemon
    from inboxd.settings import load_settings

    logs.configure(level="warning", fmt="json")
    files = pick(folders * docs)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, root=Path(tmp), settle_seconds=0, observer="polling")
        inbox = settings.dirs()["inbox"]
        inbox.mkdir(parents=True)
        for f in range(folders):
            folder = inbox / f"folder-{f:03d}"
            folder.mkdir()
            for d in range(docs):
                src = files[f * docs + d]
                shutil.copyfile(src, folder / f"{d:03d}-{src.name}")
        daemon = Daemon(settings)
        daemon.open()
        start = time.perf_counter()
        jobs = daemon.drain()
        elapsed = time.perf_counter() - start
        daemon.close()
        assert jobs == folders, f"drained {jobs} of {folders} folders"
    return {"files": len(files), "seconds": elapsed}


def run_bare(folders: int, docs: int) -> dict[str, float]:
    from pypdf import PdfReader

    from inboxd.settings import DEFAULT_HEAD_PAGES, DEFAULT_TAIL_PAGES

    files = pick(folders * docs)
    start = time.perf_counter()
    for path in files:
        try:
            reader = PdfReader(path, strict=False)
            n = len(reader.pages)
            wanted = sorted(set(range(min(DEFAULT_HEAD_PAGES, n)))
                            | set(range(max(n - DEFAULT_TAIL_PAGES, 0), n)))  # fmt: skip
            for i in wanted:
                reader.pages[i].extract_text()
        except Exception:  # the bare loop skips what it cannot read, as a script would
            pass
    return {"files": len(files), "seconds": time.perf_counter() - start}


def child(part: str, folders: int, docs: int) -> None:
    import logging

    logging.disable(logging.WARNING)  # pypdf's repair warnings would flood the output
    out = (run_daemon if part == "daemon" else run_bare)(folders, docs)
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The daemon parses in worker processes: the largest of them counts too.
    out["peak_child_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(out))


def measure(part: str, folders: int, docs: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", part, "--folders", str(folders),
           "--docs", str(docs)]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    data: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=10)
    parser.add_argument("--docs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=["daemon", "bare"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.folders, args.docs)
        return 0
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to measure", file=sys.stderr)
        return 2
    rates: dict[str, list[float]] = {"daemon": [], "bare": []}
    rss: dict[str, float] = {"daemon": 0.0, "bare": 0.0}
    child_rss: dict[str, float] = {"daemon": 0.0, "bare": 0.0}
    for _ in range(args.rounds):  # interleaved, so machine noise hits both alike
        for part in ("bare", "daemon"):
            data = measure(part, args.folders, args.docs)
            rates[part].append(data["files"] / data["seconds"])
            rss[part] = max(rss[part], data["peak_rss_mib"])
            child_rss[part] = max(child_rss[part], data["peak_child_rss_mib"])
    n = args.folders * args.docs
    print(f"{args.folders} folders x {args.docs} docs = {n} files from {CORPUS}, "
          f"{args.rounds} interleaved rounds (median)")  # fmt: skip
    for part in ("daemon", "bare"):
        print(f"  {part:6} {statistics.median(rates[part]):8.1f} files/s   "
              f"peak RSS {rss[part]:6.1f} MiB (largest worker process "
              f"{child_rss[part]:5.1f} MiB)")  # fmt: skip
    ratio = statistics.median(rates["daemon"]) / statistics.median(rates["bare"])
    print(f"  daemon / bare pypdf throughput ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
