"""The ``inboxd`` command: the one place that turns an ``InboxdError`` into an exit code."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import structlog

from inboxd import __version__, logs
from inboxd.errors import InboxdError, JobNotFound, UsageError
from inboxd.models import Job, JobStatus
from inboxd.settings import Settings, load_settings, public_view
from inboxd.store import JobStore

EX_INTERRUPTED = 130
DESCRIPTION = (
    "Watched-folder document intake: each folder dropped into the inbox becomes one job; "
    "its documents are classified and routed, a result JSON is written beside them and the "
    "folder moves to done/ or failed/."
)


class _Parser(argparse.ArgumentParser):
    """argparse, exiting with EX_USAGE (64) as the README documents, not its own 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(UsageError.exit_code, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _list_options() -> _Parser:
    options = _Parser(add_help=False)
    options.add_argument("--status", choices=[s.value for s in JobStatus])
    options.add_argument("--limit", type=_positive, default=20)
    options.add_argument("--json", action="store_true", help="one JSON object per line")
    return options


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="inboxd", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"inboxd {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        help="TOML config file (default: "
        "$INBOXD_CONFIG, ./config/inboxd.toml, /etc/inboxd/inboxd.toml)",
    )
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--log-format", choices=["auto", "console", "json"])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the daemon: watch the inbox and process folders")
    run.add_argument(
        "--demo-sample",
        action="store_true",
        help="on a tree's first start, drop a sample folder into the inbox",
    )

    process = sub.add_parser("process", help="process one folder in place, in the foreground")
    process.add_argument("path", type=Path)

    classify = sub.add_parser("classify", help="classify files (dry run: no store, no moves)")
    classify.add_argument("files", type=Path, nargs="+")

    list_options = _list_options()
    jobs = sub.add_parser("jobs", help="list (the default) or show recorded jobs",
                          parents=[list_options])  # fmt: skip
    jobs_sub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION")
    jobs_sub.add_parser("list", help="most recent jobs first", parents=[list_options])
    show = jobs_sub.add_parser("show", help="one job as JSON (an id or a unique prefix)")
    show.add_argument("job_id")

    retry = sub.add_parser("retry", help="move a failed job's folder back into the inbox")
    retry.add_argument("job_id")

    serve = sub.add_parser("serve", help="the HTTP intake, with the daemon in the same process")
    serve.add_argument("--host", help="address to listen on (default: api.host)")
    serve.add_argument("--port", type=_positive, help="port (default: api.port, 8000)")
    serve.add_argument(
        "--no-daemon",
        action="store_true",
        help="only the API: an `inboxd run` beside it processes the uploads",
    )

    sub.add_parser("config", help="print the effective configuration (secrets masked)")

    db = sub.add_parser("db", help="the Supabase schema: print it or check it")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("schema", help="print the SQL that creates public.inbox_jobs")
    db_sub.add_parser("check", help="check that the configured Supabase has the table")
    return parser  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "jobs" and args.jobs_command is None:
        args.jobs_command = "list"
    if args.command not in ("run", "serve"):
        # `inboxd jobs | head`: end quietly when the reader goes away, as other tools do.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    redact = logs.Redactor()
    try:
        settings = load_settings(args.config)
        redact = logs.Redactor(_secrets(settings))
        _configure_logging(settings, args)
        return int(COMMANDS[args.command](settings, args) or 0)
    except InboxdError as exc:
        print(f"inboxd: error: {redact.scrub(exc.message)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return EX_INTERRUPTED
    except Exception as exc:  # the process boundary: one line, not a traceback
        structlog.get_logger("inboxd").exception("inboxd.crashed")
        message = redact.scrub(f"{type(exc).__name__}: {exc}")
        print(f"inboxd: internal error: {message}", file=sys.stderr)
        return 70


def _secrets(settings: Settings) -> list[str]:
    return [s.get_secret_value() for s in (settings.store.supabase_key, settings.api.token) if s]


def _configure_logging(settings: Settings, args: argparse.Namespace) -> None:
    logs.configure(
        level=args.log_level or settings.log_level,
        fmt=args.log_format or settings.log_format,
        secrets=_secrets(settings),
    )


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from inboxd.daemon import Daemon
    from inboxd.demo import drop_sample
    from inboxd.inbox.folders import prepare_tree

    if args.demo_sample:
        prepare_tree(settings.dirs())
        sample = drop_sample(settings.dirs()["inbox"], settings.root)
        if sample:
            structlog.get_logger("inboxd").info("demo.sample_dropped", folder=str(sample))
    Daemon(settings).run()
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from inboxd.api.server import serve
    except ImportError as exc:
        raise UsageError(
            f"inboxd serve needs the api extra ({exc.name} is missing): pip install 'inboxd[api]'"
        ) from None
    serve(settings, args.host or settings.api.host, args.port or settings.api.port,
          with_daemon=not args.no_daemon)  # fmt: skip
    return 0


def cmd_process(settings: Settings, args: argparse.Namespace) -> int:
    from inboxd.daemon import make_pipeline, make_store
    from inboxd.worker import Outcome, WorkContext, run_job

    folder: Path = args.path
    if not folder.is_dir():
        raise UsageError(f"not a folder: {folder}")
    inside = [n for n, d in settings.dirs().items() if folder.resolve().is_relative_to(d.resolve())]
    if inside:
        raise UsageError(
            f"{folder} is in the daemon's {inside[0]}/ directory; the daemon processes it"
        )
    from inboxd.inbox.folders import keep_foreign_result, next_attempt

    keep_foreign_result(folder)
    next_attempt(folder)  # each run reads the folder afresh, under the same job id
    store, pipeline = make_store(settings), make_pipeline(settings)
    ctx = WorkContext(
        store=store, process=pipeline.process,
        done_dir=None, failed_dir=None, partial_failure=settings.partial_failure,
        marker=settings.marker_file,
        on_progress=_progress_printer() if sys.stderr.isatty() else None,
    )  # fmt: skip
    try:
        job, outcome, _ = run_job(folder, ctx)
    finally:
        pipeline.close()
        store.close()
    _print_json(job.to_json())
    return 0 if outcome is Outcome.DONE else 1


def _progress_printer() -> Any:
    def show(job: Job) -> None:
        last = job.result.results[-1] if job.result and job.result.results else None
        name = last.path if last else ""
        end = "\n" if job.processed_files == job.total_files else ""
        sys.stderr.write(f"\r\x1b[K[{job.processed_files}/{job.total_files}] {name}{end}")
        sys.stderr.flush()

    return show


def cmd_classify(settings: Settings, args: argparse.Namespace) -> int:
    from inboxd.daemon import make_pipeline

    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        raise UsageError(f"not a file: {', '.join(missing)}")
    pipeline = make_pipeline(settings)
    try:
        results = [pipeline.process(path, path.name) for path in args.files]
    finally:
        pipeline.close()
    _print_json([r.model_dump(mode="json") for r in results])
    return 1 if any(r.error for r in results) else 0


def cmd_jobs(settings: Settings, args: argparse.Namespace) -> int:
    from inboxd.daemon import make_store

    store = make_store(settings)
    try:
        if args.jobs_command == "show":
            _print_json(_find_job(store, args.job_id).to_json())
            return 0
        status = JobStatus(args.status) if args.status else None
        jobs = store.list(status, args.limit)
    finally:
        store.close()
    if args.json:
        for job in jobs:
            print(json.dumps(job.to_json(), ensure_ascii=False))
        return 0
    print(f"{'JOB ID':36}  {'STATUS':10}  {'FILES':>7}  {'CREATED':19}  FOLDER")
    for job in jobs:
        files = f"{job.processed_files}/{job.total_files}"
        created = job.created_at.strftime("%Y-%m-%d %H:%M:%S")
        print(f"{job.job_id:36}  {job.status.value:10}  {files:>7}  {created:19}  {job.folder}")
    if not jobs:
        print("(no jobs match)" if status else "(no jobs yet)")
    if settings.store.backend == "supabase":
        _print_outbox(settings)
    return 0


def _print_outbox(settings: Settings) -> None:
    from inboxd.store.outbox import Outbox
    from inboxd.store.sqlite import SqliteStore

    local = SqliteStore(settings.db_path)
    try:
        waiting, parked = Outbox(local).counts()
    finally:
        local.close()
    print(
        f"writes waiting for Supabase: {waiting}"
        + (f" ({parked} refused, see logs)" if parked else "")
    )


def _find_job(store: JobStore, prefix: str) -> Job:
    job: Job | None = store.get(prefix)
    if job is not None:
        return job
    matches = [j for j in store.list(None, 100_000) if j.job_id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise JobNotFound(f"job id prefix {prefix!r} is ambiguous ({len(matches)} jobs)")
    raise JobNotFound(f"no job with id {prefix!r}")


def cmd_retry(settings: Settings, args: argparse.Namespace) -> int:
    from inboxd.daemon import make_store
    from inboxd.recovery import retry_job

    store = make_store(settings)
    try:
        job = _find_job(store, args.job_id)
        if job.status is not JobStatus.FAILED:
            raise UsageError(
                f"job {job.job_id} is {job.status.value}; only failed jobs are retried"
            )
        target = retry_job(job, settings.dirs(), store)
    finally:
        store.close()
    print(f"job {job.job_id} (attempt {job.attempt}) moved back to {target}")
    return 0


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from inboxd.store.supabase import SupabaseStore, schema_sql

    if args.db_command == "schema":
        print(schema_sql(), end="")
        return 0
    url, key = settings.store.require_supabase()
    remote = SupabaseStore(url, key, settings.store.timeout_seconds)
    try:
        remote.check_schema()
    finally:
        remote.close()
    print(f"ok: {url} has public.inbox_jobs with every column inboxd writes")
    return 0


def cmd_config(settings: Settings, args: argparse.Namespace) -> int:
    _print_json(public_view(settings))
    return 0


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


COMMANDS = {
    "run": cmd_run,
    "process": cmd_process,
    "classify": cmd_classify,
    "jobs": cmd_jobs,
    "retry": cmd_retry,
    "serve": cmd_serve,
    "config": cmd_config,
    "db": cmd_db,
}

if __name__ == "__main__":
    sys.exit(main())
