"""The one error tree of inboxd.

Each class's docstring is its default message; ``exit_code`` follows sysexits
(78 configuration, 69 unavailable, 70 software) and is what the CLI exits with.
"""

from __future__ import annotations

EX_SOFTWARE = 70
EX_UNAVAILABLE = 69
EX_CONFIG = 78


class InboxdError(Exception):
    """inboxd failed."""

    exit_code: int = EX_SOFTWARE

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(InboxdError):
    """The configuration is invalid."""

    exit_code = EX_CONFIG


class RulesError(ConfigError):
    """The classification rules are invalid."""


class StoreError(InboxdError):
    """The job store failed."""

    exit_code = EX_UNAVAILABLE


class StoreUnavailable(StoreError):
    """The job store cannot be reached."""


class StoreRejected(StoreError):
    """The job store refused the write (it will not succeed by retrying)."""


class SchemaMissing(StoreError):
    """The job store's schema is missing or incomplete."""

    exit_code = EX_CONFIG


class UsageError(InboxdError):
    """The command was given something it cannot work on."""

    exit_code = 64  # EX_USAGE


class JobNotFound(InboxdError):
    """No job has this id."""

    exit_code = 1


class FolderError(InboxdError):
    """A folder could not be moved or written."""


class DocumentError(InboxdError):
    """The document could not be read."""

    code: str = "error"


class UnsupportedDocument(DocumentError):
    """This kind of file is not supported."""

    code = "unsupported"


class EncryptedDocument(DocumentError):
    """The PDF is encrypted and the empty password does not open it."""

    code = "encrypted"


class CorruptDocument(DocumentError):
    """The file is damaged and could not be parsed."""

    code = "corrupt"


class EmptyDocument(DocumentError):
    """The file is empty."""

    code = "empty"


class DocumentTooLarge(DocumentError):
    """The file is larger than the configured limit."""

    code = "too_large"


class UnreadableDocument(DocumentError):
    """The file could not be opened (permissions or I/O)."""

    code = "unreadable"


class AlreadyRunning(InboxdError):
    """Another inboxd already works on this tree."""

    exit_code = EX_UNAVAILABLE


class NotRegularFile(DocumentError):
    """Not a regular file (symlink, directory or device): never opened or followed."""

    code = "not_regular"
