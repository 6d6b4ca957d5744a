"""Chaos run: folders dropped while the daemon is SIGKILLed at random moments.

Drops ``--folders`` folders (each a few PDFs) into the inbox while a daemon is started and
killed with SIGKILL ``--kills`` times at random moments, then lets a last daemon finish and
prints the counts that must hold: every folder in done/ or failed/ exactly once, one job row
per folder matching its result JSON, every input file with its original bytes.

    .venv/bin/python benchmarks/chaos.py [--folders 200] [--kills 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from inboxd.demo import SAMPLES, text_pdf

INBOXD = str(Path(sys.executable).parent / "inboxd")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def drop_folders(inbox: Path, count: int, rng: random.Random, expected: dict) -> None:
    samples = list(SAMPLES.items())
    for n in range(count):
        name = f"f{n:03d}"
        staging = inbox / f".{name}"
        staging.mkdir()
        files = {}
        for i in range(rng.randint(1, 4)):
            title, lines = samples[(n + i) % len(samples)]
            data = text_pdf([*lines, f"Folder {name} document {i}"])
            (staging / f"{i}-{title}").write_bytes(data)
            files[f"{i}-{title}"] = sha(data)
        staging.rename(inbox / name)
        expected[name] = files
        time.sleep(rng.uniform(0, 0.03))


def env_for(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOXD_", "SUPABASE_"))}
    env.update({"INBOXD_ROOT": str(root), "INBOXD_SETTLE_SECONDS": "0.3",
                "INBOXD_RESCAN_SECONDS": "0.5", "INBOXD_LOG_LEVEL": "warning"})  # fmt: skip
    return env


def settled(root: Path, total: int) -> bool:
    finished = sum(1 for p in ("done", "failed") for _ in (root / p).iterdir())
    busy = [p for p in (root / "processing").iterdir() if not p.name.startswith(".")]
    return finished >= total and not busy and not list((root / "inbox").iterdir())


def check(root: Path, expected: dict) -> dict[str, int]:
    seen: dict[str, int] = {}
    intact = mismatched_rows = 0
    for place in ("done", "failed"):
        for folder in (root / place).iterdir():
            result = json.loads((folder / "inboxd-result.json").read_text())
            seen[result["folder"]] = seen.get(result["folder"], 0) + 1
            files = expected[result["folder"]]
            intact += all(sha((folder / n).read_bytes()) == h for n, h in files.items())
    out = subprocess.run([INBOXD, "jobs", "list", "--json", "--limit", "100000"],
                         env=env_for(root), capture_output=True, text=True, check=True)  # fmt: skip
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    by_id = {r["job_id"]: r for r in rows}
    for place in ("done", "failed"):
        for folder in (root / place).iterdir():
            result = json.loads((folder / "inboxd-result.json").read_text())
            row = by_id.get(result["job_id"])
            ok = row and row["status"] == result["status"] and row["result"] == result["result"]
            mismatched_rows += not ok
    return {
        "folders dropped": len(expected),
        "folders finished exactly once": sum(1 for n in expected if seen.get(n) == 1),
        "folders finished more than once": sum(1 for n in expected if seen.get(n, 0) > 1),
        "folders missing": sum(1 for n in expected if n not in seen),
        "job rows": len(rows),
        "rows not matching their result JSON": mismatched_rows,
        "folders with every input file intact": intact,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=200)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "tree"
        (root / "inbox").mkdir(parents=True)
        expected: dict = {}
        dropper = threading.Thread(target=drop_folders,
                                   args=(root / "inbox", args.folders, rng, expected))  # fmt: skip
        started = time.monotonic()
        dropper.start()
        for _ in range(args.kills):
            proc = subprocess.Popen([INBOXD, "run"], env=env_for(root))
            time.sleep(rng.uniform(0.3, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        dropper.join()
        proc = subprocess.Popen([INBOXD, "run"], env=env_for(root))
        deadline = time.monotonic() + 600
        while not settled(root, args.folders) and time.monotonic() < deadline:
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait()
        elapsed = time.monotonic() - started
        counts = check(root, expected)
    print(f"chaos: {args.folders} folders, {args.kills} SIGKILLs at random moments, "
          f"seed {args.seed}, {elapsed:.0f} s; last daemon exit code {code}")  # fmt: skip
    for key, value in counts.items():
        print(f"  {key:40} {value}")
    ok = (counts["folders finished exactly once"] == counts["job rows"] == args.folders
          and counts["folders with every input file intact"] == args.folders
          and not counts["rows not matching their result JSON"])  # fmt: skip
    print("  verdict:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
