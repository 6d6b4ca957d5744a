"""Configuration: a TOML file plus ``INBOXD_*`` environment variables (nested with ``__``).

Environment variables win over the file, the file over the defaults.  Unknown keys are
errors, so a typo never silently falls back to a default.  Read only by the daemon and CLI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from inboxd.errors import ConfigError

DEFAULT_CONFIG_PATHS = (Path("config/inboxd.toml"), Path("/etc/inboxd/inboxd.toml"))
DEFAULT_ROOT = Path("var")
DEFAULT_SETTLE_SECONDS = 5.0
DEFAULT_HIDDEN_SETTLE_SECONDS = 60.0
DEFAULT_RESCAN_SECONDS = 30.0
DEFAULT_POLL_SECONDS = 2.0
DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024
DEFAULT_HEAD_PAGES = 5
DEFAULT_TAIL_PAGES = 1
DEFAULT_MAX_CHARS = 200_000
DEFAULT_FILE_TIMEOUT_SECONDS = 60.0
DEFAULT_FILE_MEMORY_MB = 1024
DEFAULT_WORKER_RECYCLE_FILES = 200
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_STUCK_RETRY_SECONDS = 30.0
DEFAULT_OCR_TIMEOUT_SECONDS = 120.0
DEFAULT_OCR_LANGUAGES = "eng"
DEFAULT_OCR_PAGES = 3
DEFAULT_STORE_TIMEOUT_SECONDS = 10.0
DEFAULT_PROGRESS_INTERVAL_SECONDS = 1.0
DEFAULT_RETRY_MAX_SECONDS = 30.0
DIR_NAMES = ("inbox", "processing", "done", "failed")
DEFAULT_API_HOST = "127.0.0.1"  # loopback: exposing the intake is a deliberate choice
DEFAULT_API_PORT = 8000
DEFAULT_API_MAX_FILES = 100
DEFAULT_API_MAX_FILE_BYTES = DEFAULT_MAX_FILE_BYTES  # larger files would only fail as too_large
DEFAULT_API_MAX_REQUEST_BYTES = 1024 * 1024 * 1024
# Kinds (by magic bytes, as inboxd.documents.identify names them) that inboxd can read.
UploadKind = Literal[
    "pdf", "xml", "text", "png", "jpeg", "tiff", "gif", "zip", "docx", "xlsx", "odt", "binary"
]
DEFAULT_API_ALLOWED_KINDS: tuple[UploadKind, ...] = ("pdf", "xml", "text")


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["sqlite", "supabase"] = "sqlite"
    # None: <root>/inboxd.db, beside the four directories.
    sqlite_path: Path | None = None
    supabase_url: str | None = None
    supabase_key: SecretStr | None = None
    timeout_seconds: float = Field(DEFAULT_STORE_TIMEOUT_SECONDS, gt=0)
    # At most one progress write per job per interval goes to Supabase, plus the final one.
    progress_interval: float = Field(DEFAULT_PROGRESS_INTERVAL_SECONDS, ge=0)
    # Longest wait between delivery attempts while Supabase is unreachable.
    retry_max_seconds: float = Field(DEFAULT_RETRY_MAX_SECONDS, gt=0)

    @field_validator("supabase_key", "supabase_url", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        """A key read from a file often ends in a newline, which HTTP headers refuse."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            value = value.strip()
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
                raise ValueError("contains control characters")  # never echo the value
        return value

    def require_supabase(self) -> tuple[str, str]:
        """URL and key for the Supabase backend, or a ConfigError naming what is missing."""
        missing = [
            name
            for name, value in (
                ("supabase_url", self.supabase_url),
                ("supabase_key", self.supabase_key),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                "store.backend = 'supabase' needs "
                + " and ".join(f"store.{m} (INBOXD_STORE__{m.upper()})" for m in missing)
            )
        assert self.supabase_url is not None and self.supabase_key is not None
        return self.supabase_url.rstrip("/"), self.supabase_key.get_secret_value()


class ApiSettings(BaseModel):
    """``inboxd serve``: the HTTP intake (``POST /classify-documents-async``)."""

    model_config = ConfigDict(extra="forbid")

    host: str = DEFAULT_API_HOST
    port: int = Field(DEFAULT_API_PORT, ge=1, le=65535)
    max_files_per_request: int = Field(DEFAULT_API_MAX_FILES, ge=1)
    max_file_bytes: int = Field(DEFAULT_API_MAX_FILE_BYTES, gt=0)
    max_request_bytes: int = Field(DEFAULT_API_MAX_REQUEST_BYTES, gt=0)
    allowed_kinds: list[UploadKind] = Field(
        default_factory=lambda: list(DEFAULT_API_ALLOWED_KINDS), min_length=1
    )
    # Bearer token every endpoint but /healthz requires; None: no authentication.
    token: SecretStr | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INBOXD_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    root: Path = DEFAULT_ROOT
    inbox_dir: Path | None = None
    processing_dir: Path | None = None
    done_dir: Path | None = None
    failed_dir: Path | None = None

    settle_seconds: float = Field(DEFAULT_SETTLE_SECONDS, ge=0)
    # A folder holding hidden files (".name") waits this long unchanged instead.
    hidden_settle_seconds: float = Field(DEFAULT_HIDDEN_SETTLE_SECONDS, ge=0)
    rescan_seconds: float = Field(DEFAULT_RESCAN_SECONDS, gt=0)
    observer: Literal["auto", "inotify", "polling"] = "auto"
    poll_seconds: float = Field(DEFAULT_POLL_SECONDS, gt=0)
    marker_file: str | None = None
    wrap_loose_files: bool = True
    partial_failure: Literal["failed", "done"] = "failed"

    rules_path: Path | None = None
    max_file_bytes: int = Field(DEFAULT_MAX_FILE_BYTES, gt=0)
    head_pages: int = Field(DEFAULT_HEAD_PAGES, ge=1)
    tail_pages: int = Field(DEFAULT_TAIL_PAGES, ge=0)
    max_chars: int = Field(DEFAULT_MAX_CHARS, gt=0)
    # Each file is parsed in a worker process that these bound; a killed parse becomes the
    # file's ``timeout`` or ``too_large`` error and the job carries on.
    file_timeout_seconds: float = Field(DEFAULT_FILE_TIMEOUT_SECONDS, gt=0)
    file_memory_mb: int = Field(DEFAULT_FILE_MEMORY_MB, ge=64)
    worker_recycle_files: int = Field(DEFAULT_WORKER_RECYCLE_FILES, ge=1)
    # A folder that keeps failing for environmental reasons (disk full, share errors) goes
    # to failed/ after this many attempts instead of looping forever.
    max_attempts: int = Field(DEFAULT_MAX_ATTEMPTS, ge=1)
    # First wait before such a folder is tried again (doubling up to 10 minutes).
    stuck_retry_seconds: float = Field(DEFAULT_STUCK_RETRY_SECONDS, gt=0)

    # OCR of scanned PDFs (needs ocrmypdf, or tesseract with pdftoppm, on PATH); off by default.
    ocr_enabled: bool = False
    ocr_timeout_seconds: float = Field(DEFAULT_OCR_TIMEOUT_SECONDS, gt=0)
    ocr_languages: str = DEFAULT_OCR_LANGUAGES  # tesseract language packs, e.g. "eng+deu"
    ocr_pages: int = Field(DEFAULT_OCR_PAGES, ge=1)

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "console", "json"] = "auto"

    store: StoreSettings = StoreSettings()
    api: ApiSettings = ApiSettings()

    @model_validator(mode="after")
    def _fill_dirs(self) -> Settings:
        for name in DIR_NAMES:
            attr = f"{name}_dir"
            if getattr(self, attr) is None:
                setattr(self, attr, self.root / name)
        _refuse_overlap(self.dirs())
        if self.store.sqlite_path is None:
            self.store.sqlite_path = self.root / "inboxd.db"
        if self.marker_file is not None and ("/" in self.marker_file or not self.marker_file):
            raise ValueError("marker_file must be a plain file name")
        return self

    def dirs(self) -> dict[str, Path]:
        """The four directories by name, absolute."""
        return {n: Path(getattr(self, f"{n}_dir")).absolute() for n in DIR_NAMES}

    @property
    def db_path(self) -> Path:
        assert self.store.sqlite_path is not None  # filled by the validator
        return self.store.sqlite_path.absolute()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = settings_cls.model_config.get("toml_file")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(_FileRelativeToml(settings_cls, toml_file=toml_file))
        return tuple(sources)


# Paths a config file may give relative to itself (as a user reading the file expects,
# whatever the daemon's working directory is: systemd starts it in /).
_PATH_KEYS = ("root", "inbox_dir", "processing_dir", "done_dir", "failed_dir", "rules_path")


class _FileRelativeToml(TomlConfigSettingsSource):
    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        base = Path(str(self.toml_file_path)).parent
        store = data.get("store")
        for table, key in [(data, k) for k in _PATH_KEYS] + [(store, "sqlite_path")]:
            if isinstance(table, dict) and isinstance(table.get(key), str):
                table[key] = os.path.normpath(base / table[key])  # absolute ones stay
        return data


def _refuse_overlap(dirs: dict[str, Path]) -> None:
    """Equal or nested directories would make a claimed folder reappear as a new job."""
    resolved = {name: path.resolve() for name, path in dirs.items()}
    names = list(resolved)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            pa, pb = resolved[a], resolved[b]
            if pa == pb or pa.is_relative_to(pb) or pb.is_relative_to(pa):
                raise ValueError(f"{a}_dir ({pa}) and {b}_dir ({pb}) overlap or nest")


def find_config(explicit: Path | None) -> Path | None:
    """The config file to read: ``--config``, ``$INBOXD_CONFIG`` or the first default found."""
    if explicit is None and os.environ.get("INBOXD_CONFIG"):
        explicit = Path(os.environ["INBOXD_CONFIG"])
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    return next((p for p in DEFAULT_CONFIG_PATHS if p.is_file()), None)


def _apply_supabase_env(store: StoreSettings) -> None:
    """Supabase's usual variable names fill what neither the file nor ``INBOXD_`` set."""
    # Through the model, so these values are checked and stripped like the others.
    values = store.model_dump()
    if store.supabase_url is None and os.environ.get("SUPABASE_URL"):
        values["supabase_url"] = os.environ["SUPABASE_URL"]
    if store.supabase_key is None and os.environ.get("SUPABASE_SERVICE_ROLE_KEY"):
        values["supabase_key"] = os.environ["SUPABASE_SERVICE_ROLE_KEY"]
    checked = StoreSettings.model_validate(values)
    store.supabase_url, store.supabase_key = checked.supabase_url, checked.supabase_key


# INBOXD_ variables that are not settings.
_OTHER_ENV = frozenset({"INBOXD_CONFIG", "INBOXD_FAILPOINT"})


def _refuse_unknown_env() -> None:
    """A misspelt INBOXD_ variable is an error, like a misspelt key in the file."""
    known = {f"INBOXD_{name.upper()}" for name in Settings.model_fields}
    known |= {f"INBOXD_STORE__{name.upper()}" for name in StoreSettings.model_fields}
    known |= {f"INBOXD_API__{name.upper()}" for name in ApiSettings.model_fields}
    unknown = sorted(
        name for name in os.environ
        if name.upper().startswith("INBOXD_") and name.upper() not in known | _OTHER_ENV
        and name.upper() not in ("INBOXD_STORE", "INBOXD_API")
    )  # fmt: skip
    if unknown:
        raise ConfigError(f"unknown environment variable(s): {', '.join(unknown)}")


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``overrides``, the environment and the config file (highest first).

    Raises ``ConfigError`` with one line per problem; secrets are never echoed.
    """
    path = find_config(config)
    _refuse_unknown_env()

    class _FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        settings: Settings = _FileSettings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    try:
        _apply_supabase_env(settings.store)
    except ValidationError as exc:
        raise ConfigError(
            "SUPABASE_URL / SUPABASE_SERVICE_ROLE_KEY: " + _describe(exc, None)
        ) from None
    return settings


def _describe(exc: ValidationError, path: Path | None) -> str:
    where = f" (config file {path} and INBOXD_* environment)" if path else ""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "settings"
        parts.append(f"{loc}: {err['msg']}")
    return "invalid configuration" + where + ": " + "; ".join(parts)


def public_view(settings: Settings) -> dict[str, Any]:
    """The effective configuration as JSON-ready data, secrets masked."""
    data: dict[str, Any] = settings.model_dump(mode="json")
    data.update({f"{n}_dir": str(p) for n, p in settings.dirs().items()})
    key = settings.store.supabase_key
    data["store"]["supabase_key"] = "**********" if key is not None else None
    token = settings.api.token
    data["api"]["token"] = "**********" if token is not None else None
    return data
