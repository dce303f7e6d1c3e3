"""Error codes of the local service and the API error body.

Two families of codes exist:

* :class:`ApiErrorCode`: the ``error.code`` of an HTTP error body
  ``{"error": {"code", "message", "name", "statusCode"}}`` (protocol section 7.2).
  ``3250`` (job not found) and ``3458`` (job limit reached) are the codes IBM Quantum used;
  the others are local choices.
* ``JobErrorCode`` (in :mod:`ibmq_async._validate`, shared with the client's validation): the
  ``error.code`` stored in a failed job's document, next to ``error.message``. The client shows
  it as ``"<message>. Error code: <code>."``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ApiErrorCode(IntEnum):
    """Codes sent in HTTP error bodies."""

    AUTHORIZATION_REQUIRED = 3200
    """401: no or unknown ``X-Access-Token``."""
    LOGIN_FAILED = 3201
    """401: ``loginWithToken`` with an unknown API token."""
    PROJECT_ACCESS_DENIED = 3202
    """403: the hub/group/project exists but the user is not a member."""
    PROJECT_NOT_FOUND = 3203
    """404: no such hub/group/project."""
    DEVICE_NOT_FOUND = 3204
    """404 (or 400 on job creation): unknown backend name."""
    INVALID_REQUEST = 3205
    """400: malformed request body or parameter."""
    INVALID_FILTER = 3206
    """400: malformed LoopBack ``filter`` parameter."""
    NOT_FOUND = 3207
    """404: no such route."""
    METHOD_NOT_ALLOWED = 3208
    """405: route exists, method does not."""
    PAYLOAD_TOO_LARGE = 3209
    """413: upload larger than the configured maximum."""
    INTERNAL_ERROR = 3210
    """500: a bug in the local service."""
    JOB_NOT_FOUND = 3250
    """404: no such job for this user and project."""
    JOB_NOT_CANCELLABLE = 3251
    """400: the job is already in a final state."""
    RESULT_NOT_AVAILABLE = 3252
    """400: the job has no result (yet)."""
    JOB_DATA_NOT_UPLOADED = 3253
    """400: ``jobDataUploaded``/``jobDownloadUrl`` before the Qobj was uploaded."""
    JOB_DATA_ALREADY_SUBMITTED = 3254
    """409: upload to a job whose data was already submitted."""
    SIGNATURE_INVALID = 3255
    """403: presigned URL with a missing or wrong signature."""
    URL_EXPIRED = 3256
    """403: presigned URL past its expiry."""
    JOB_LIMIT_REACHED = 3458
    """400: too many unfinished jobs on this backend for this project."""


class ApiError(Exception):
    """An HTTP error answered with the LoopBack-style error body."""

    def __init__(self, status_code: int, code: int, name: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = int(code)
        self.name = name
        self.message = message

    def body(self) -> dict[str, Any]:
        """Return ``{"error": {"code", "message", "name", "statusCode"}}``."""
        return error_body(self.status_code, self.code, self.name, self.message)


def error_body(status_code: int, code: int, name: str, message: str) -> dict[str, Any]:
    """Build the error body of protocol section 7.2."""
    return {
        "error": {
            "code": int(code),
            "message": client_ready_message(message),
            "name": name,
            "statusCode": status_code,
        }
    }


def client_ready_message(message: str) -> str:
    """Drop a trailing period: the legacy client appends ``". Error code: N."`` itself."""
    return message.rstrip().removesuffix(".")


def job_not_found(job_id: str) -> ApiError:
    """The 404 for a job that does not exist or belongs to someone else."""
    return ApiError(404, ApiErrorCode.JOB_NOT_FOUND, "JOB_NOT_FOUND", f"Job {job_id} not found.")


def invalid_request(message: str) -> ApiError:
    """A 400 for a malformed request."""
    return ApiError(400, ApiErrorCode.INVALID_REQUEST, "INVALID_REQUEST", message)
