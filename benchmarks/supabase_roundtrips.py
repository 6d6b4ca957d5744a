"""Round trips to Supabase per job, read from the gateway's access log, with default settings.

Starts the local stack the tests use (PostgreSQL + PostgREST + nginx, see
tests/supabase_stack.py; `make test` installs it), runs the daemon with the Supabase backend
and its default progress_interval (1 s) and retry settings on a 1-file and a 50-file job of
corpus documents, counts the POSTs to /rest/v1/inbox_jobs per job, then stops PostgREST,
lets a job finish while it is away, starts it again and measures how long the job's final
state takes to appear in the table.

    .venv/bin/python benchmarks/supabase_roundtrips.py [--outage 20]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inboxd import logs  # noqa: E402 - after the path set-up above
from inboxd.daemon import Daemon  # noqa: E402
from inboxd.settings import load_settings  # noqa: E402
from tests.supabase_stack import LocalSupabase  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "docs"


def drop(inbox: Path, name: str, count: int) -> None:
    pdfs = sorted(CORPUS.rglob("*.pdf"))
    staging = inbox / f".{name}"
    staging.mkdir()
    for i in range(count):
        shutil.copyfile(pdfs[i % len(pdfs)], staging / f"{i:03d}-{pdfs[i % len(pdfs)].name}")
    staging.rename(inbox / name)


def posts(stack: LocalSupabase) -> int:
    lines = stack.access_log.read_text().splitlines()
    return sum(line.startswith("POST /rest/v1/inbox_jobs") for line in lines)


def wait(condition, timeout: float = 300) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise TimeoutError
        time.sleep(0.05)
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=20.0, help="seconds PostgREST is down")
    args = parser.parse_args()
    logs.configure(level="warning", fmt="json")
    stack = LocalSupabase()
    stack.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(None, root=Path(tmp), settle_seconds=0, store={
                "backend": "supabase", "supabase_url": stack.url,
                "supabase_key": stack.service_key})  # fmt: skip
            daemon = Daemon(settings)
            thread = threading.Thread(target=daemon.run, daemon=True)
            thread.start()
            inbox = settings.dirs()["inbox"]
            wait(lambda: inbox.is_dir())

            def final(name: str) -> bool:
                return stack.sql(
                    f"SELECT count(*) FROM inbox_jobs WHERE folder = '{name}' "
                    "AND status IN ('completed', 'failed')") == "1"  # fmt: skip

            for files in (1, 50):
                stack.reset()
                name = f"job-{files}"
                start = time.monotonic()
                drop(inbox, name, files)
                wait(lambda n=name: final(n))  # type: ignore[misc]
                print(f"{files:2d}-file job: {posts(stack)} POSTs to /rest/v1/inbox_jobs "
                      f"(job done and recorded in {time.monotonic() - start:.1f} s)")  # fmt: skip
            stack.stop_postgrest()
            drop(inbox, "offline", 3)
            wait(lambda: (settings.dirs()["done"] / "offline").exists()
                 or (settings.dirs()["failed"] / "offline").exists())  # fmt: skip
            time.sleep(args.outage)
            stack.start_postgrest()
            back = wait(lambda: final("offline"))
            print(f"after a {args.outage:.0f} s outage, the final state appeared {back:.1f} s "
                  "after PostgREST came back (retry_max_seconds default 30)")  # fmt: skip
            daemon.stop()
            thread.join(timeout=60)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
