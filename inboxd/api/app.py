"""The HTTP intake: the FastAPI app over the inbox and the job store.

``POST /classify-documents-async`` drops a folder (see ``uploads``); ``GET /job/{id}`` and
``GET /jobs`` read the job store, which the daemon keeps up to date; ``GET /healthz`` says
whether uploads can be taken and processed.  The app never classifies anything itself.
"""

from __future__ import annotations

import hmac
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from inboxd import __version__
from inboxd.api.errors import ApiError, JobMissing, StoreDown, TooLarge, Unauthorized
from inboxd.api.uploads import STAGING_PREFIX, Staging, UploadLimits, boundary_of
from inboxd.errors import StoreError
from inboxd.models import Job, JobStatus
from inboxd.settings import Settings
from inboxd.store import JobStore

log = structlog.get_logger("inboxd.api")
JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 1000
# The upload body, described for /docs: parsed by hand (streamed), so FastAPI cannot infer it.
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}


def create_app(
    settings: Settings, store: JobStore, daemon_alive: Callable[[], bool] | None = None
) -> FastAPI:
    """The API over ``store`` and the configured inbox.

    ``daemon_alive`` reports on a watcher running in this process (``inboxd serve``);
    without it the daemon is assumed to run beside the server (``inboxd run``).
    """
    api = settings.api
    inbox = settings.dirs()["inbox"]
    limits = UploadLimits(
        max_files=api.max_files_per_request,
        max_file_bytes=api.max_file_bytes,
        max_request_bytes=api.max_request_bytes,
        allowed_kinds=frozenset(api.allowed_kinds),
    )
    auth = [Depends(_bearer(api.token.get_secret_value() if api.token else None))]
    app = FastAPI(
        title="inboxd",
        version=__version__,
        description="HTTP intake of inboxd: each request with N files becomes one job.",
        docs_url=None,
        openapi_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, _store_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]

    @app.post("/classify-documents-async", status_code=200, dependencies=auth,
              openapi_extra=UPLOAD_BODY)  # fmt: skip
    async def classify_documents_async(request: Request) -> JSONResponse:
        """Upload N files as one job; answers at once with its id (status ``pending``)."""
        started = time.monotonic()
        boundary = boundary_of(request.headers.get("content-type"))
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limits.max_request_bytes:
            raise TooLarge(f"the request exceeds {limits.max_request_bytes} bytes")
        staging = await run_in_threadpool(Staging, inbox, limits, boundary, settings.marker_file)
        try:
            async for chunk in request.stream():
                if chunk:
                    await run_in_threadpool(staging.feed, chunk)
            files = await run_in_threadpool(staging.finish)
            job, target = await run_in_threadpool(staging.publish, store)
        except BaseException:
            # Nothing of a failed upload may stay behind, in the inbox or beside it.
            staging.discard()
            raise
        log.info("api.upload_accepted", job_id=job.job_id, folder=target.name,
                 files=len(files), bytes=staging.received,
                 duration_s=round(time.monotonic() - started, 3))  # fmt: skip
        body = {"job_id": job.job_id, "status": str(job.status), "total_files": job.total_files,
                "status_endpoint": f"/job/{job.job_id}", "folder": target.name,
                "files": [f.to_json() for f in files]}  # fmt: skip
        return JSONResponse(body, status_code=200)

    # JSONResponse directly: Job.to_json() is JSON already, FastAPI's re-encoding of the
    # whole result (every file's fields and signals) would double the cost of a poll.
    @app.get("/job/{job_id}", dependencies=auth)
    def get_job(job_id: str) -> JSONResponse:
        """One job in the result JSON's shape; 404 for an unknown id."""
        job = store.get(job_id) if JOB_ID.fullmatch(job_id) else None
        if job is None:
            raise JobMissing(f"no job with id {job_id[:64]!r}")
        return JSONResponse(_job_json(job))

    @app.get("/jobs", dependencies=auth)
    def list_jobs(
        status: JobStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = DEFAULT_LIST_LIMIT,
    ) -> JSONResponse:
        """Most recently created jobs first, optionally of one status."""
        jobs = store.list(status, limit)
        return JSONResponse({"jobs": [_job_json(j) for j in jobs], "count": len(jobs)})

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """Daemon alive (when in this process), store reachable, writes waiting, inbox writable."""
        body = health(store, inbox, daemon_alive)
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    @app.get("/openapi.json", include_in_schema=False, dependencies=auth)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/docs", include_in_schema=False, dependencies=auth)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="inboxd API")

    return app


def _job_json(job: Job) -> dict[str, Any]:
    data = job.to_json()
    data["status_endpoint"] = f"/job/{job.job_id}"
    return data


def health(store: JobStore, inbox: Path, daemon_alive: Callable[[], bool] | None) -> dict[str, Any]:
    """The health report: ``status`` is "ok" only when every check passes."""
    problems: list[str] = []
    try:
        store.list(None, 1)
        waiting: int | None = store.backlog()
        reachable = True
    except StoreError as exc:
        reachable, waiting = False, None
        problems.append(f"store: {exc.message}")
    writable = _probe(inbox)
    if not writable:
        problems.append("inbox: not writable")
    alive = daemon_alive() if daemon_alive else None
    if alive is False:
        problems.append("daemon: not running")
    return {
        "status": "unhealthy" if problems else "ok",
        "daemon": {"in_process": daemon_alive is not None, "alive": alive},
        "store": {"reachable": reachable, "writes_waiting": waiting},
        "inbox": {"writable": writable},
        "problems": problems,
    }


def _probe(inbox: Path) -> bool:
    """Can an upload be staged now?  A real mkdir, as uploads do: permissions, read-only
    mounts, immutable flags and a full disk all show."""
    probe = inbox / f"{STAGING_PREFIX}probe-{uuid.uuid4()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return False
    return True


_BEARER = HTTPBearer(auto_error=False, description="the configured api.token")


def _bearer(token: str | None) -> Callable[..., None]:
    def require(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> None:
        if token is None:
            return
        given = credentials.credentials if credentials else ""
        # Constant time: the comparison must not tell how much of a guess was right.
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized()

    return require


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    if exc.status >= 500 or request.url.path.startswith("/classify"):
        log.warning("api.request_refused", path=request.url.path, status=exc.status,
                    code=exc.code, reason=exc.message)  # fmt: skip
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    body = {"detail": exc.message, "code": exc.code}
    return JSONResponse(body, status_code=exc.status, headers=headers)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own refusals (no such route, wrong method) in the same JSON shape."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    body = {"detail": exc.detail, "code": code}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Bad query parameters (``/jobs?limit=0``) in the same JSON shape as every error."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'][1:])}: {err['msg']}" for err in exc.errors()
    )
    return JSONResponse({"detail": problems, "code": "invalid_request"}, status_code=422)


async def _store_error(request: Request, exc: StoreError) -> JSONResponse:
    return await _api_error(request, StoreDown(f"the job store failed: {exc.message}"))
