"""The API error of the local service and its body (protocol section 7.2).

The codes themselves live in the shared core (:class:`ibmq_async._core.codes.ApiErrorCode`),
each with its HTTP status and wire name, so the client's error mapping and this service read one
table. Raising needs the code and a message only::

    raise ApiError(ApiErrorCode.JOB_NOT_CANCELLABLE, f"Job {job_id} cannot be cancelled.")
"""

from __future__ import annotations

from typing import Any

from ibmq_async._core.codes import ApiErrorCode

__all__ = [
    "ApiError",
    "ApiErrorCode",
    "client_ready_message",
    "error_body",
    "invalid_request",
    "job_not_found",
]


class ApiError(Exception):
    """An HTTP error answered with the LoopBack-style error body.

    Args:
        code: the error code; it supplies the HTTP status and the ``error.name``.
        message: the human-readable ``error.message``.
        status: the HTTP status when it differs from the code's own (job creation answers an
            unknown backend with 400, not the code's 404).
    """

    def __init__(self, code: ApiErrorCode, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status_code = code.status if status is None else status
        self.name = code.wire_name
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
    return ApiError(ApiErrorCode.JOB_NOT_FOUND, f"Job {job_id} not found.")


def invalid_request(message: str) -> ApiError:
    """A 400 for a malformed request."""
    return ApiError(ApiErrorCode.INVALID_REQUEST, message)
