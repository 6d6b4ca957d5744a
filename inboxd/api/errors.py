"""What the HTTP intake answers with: each refusal's status code, stable code and message.

Each class's docstring is its default message (as in ``inboxd.errors``); the JSON body is
``{"detail": message, "code": code}``.
"""

from __future__ import annotations

from inboxd.errors import InboxdError


class ApiError(InboxdError):
    """The request was refused."""

    status = 400
    code = "bad_request"


class NoFiles(ApiError):
    """The request holds no files (send them as multipart/form-data parts named "files")."""

    status, code = 422, "no_files"


class EmptyFile(ApiError):
    """A file of the request is empty."""

    status, code = 422, "empty_file"


class BadBody(ApiError):
    """The request body is not well-formed multipart/form-data."""

    status, code = 400, "bad_multipart"


class TooLarge(ApiError):
    """The request is too large."""

    status, code = 413, "too_large"


class UnsupportedKind(ApiError):
    """A file's kind (from its first bytes) is not accepted."""

    status, code = 415, "unsupported_kind"


class NotMultipart(ApiError):
    """The request must be multipart/form-data."""

    status, code = 415, "not_multipart"


class InboxUnavailable(ApiError):
    """The inbox is not writable: uploads cannot be taken now."""

    status, code = 503, "inbox_unavailable"


class Unauthorized(ApiError):
    """A valid bearer token is required (Authorization: Bearer <token>)."""

    status, code = 401, "unauthorized"


class JobMissing(ApiError):
    """No job has this id."""

    status, code = 404, "not_found"


class StoreDown(ApiError):
    """The job store cannot be reached."""

    status, code = 503, "store_unavailable"
