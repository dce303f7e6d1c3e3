"""Failed exchanges as typed errors, in one place, without I/O.

The session turns an error status or a missing reply into a :class:`RequestsApiError`
(:func:`from_response`, :func:`from_transport`); the endpoint layer then gives it the class of
its family (:func:`classify`): the job-limit code to :class:`IBMQBackendJobLimitError`, 401 and
403 to the family's credentials error, anything else to the family's API error. Malformed
replies get the family's protocol error (:func:`protocol_error`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from .codes import ApiErrorCode
from .exceptions import (
    IBMQAccountApiCredentialsError,
    IBMQAccountApiError,
    IBMQAccountApiProtocolError,
    IBMQApiError,
    IBMQBackendApiCredentialsError,
    IBMQBackendApiError,
    IBMQBackendApiProtocolError,
    IBMQBackendJobLimitError,
    IBMQJobApiCredentialsError,
    IBMQJobApiError,
    IBMQJobApiProtocolError,
    RequestsApiError,
)

REQUEST_ID_HEADERS = ("x-request-id", "x-global-transaction-id", "uber-trace-id")
CREDENTIALS_STATUSES = frozenset({401, 403})


@dataclass(frozen=True)
class ErrorFamily:
    """The error classes of one kind of request."""

    api: type[IBMQApiError]
    """Any failure."""
    protocol: type[IBMQApiError]
    """A malformed reply."""
    credentials: type[IBMQApiError]
    """401 or 403: the token or the access was refused."""
    job_limit: type[IBMQApiError] | None = None
    """Error code 3458 (job limit reached), where it can happen."""


ACCOUNT = ErrorFamily(
    IBMQAccountApiError, IBMQAccountApiProtocolError, IBMQAccountApiCredentialsError
)
BACKEND = ErrorFamily(
    IBMQBackendApiError,
    IBMQBackendApiProtocolError,
    IBMQBackendApiCredentialsError,
    IBMQBackendJobLimitError,
)
JOB = ErrorFamily(IBMQJobApiError, IBMQJobApiProtocolError, IBMQJobApiCredentialsError)


class ReplyRefused(RequestsApiError):
    """A reply the client will not take: a redirect, or a body over its size limit.

    The session raises it without knowing the request's family; :func:`classify` makes it the
    family's protocol error.
    """


def redirected(response: httpx.Response) -> ReplyRefused:
    """The error for a redirect reply: redirects are never followed, so credentials and
    uploads go only where the client sent them. Only the target's origin is shown."""
    target = response.headers.get("location", "")
    try:
        url = response.request.url.join(target)
        where = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}" if target else "nowhere"
    except (httpx.InvalidURL, ValueError):
        where = "an invalid URL"
    request = response.request
    return ReplyRefused(
        f"{response.status_code} redirect for {request.method} {_origin(request.url)}"
        f"{request.url.path} to {where}, which is not followed",
        status_code=response.status_code,
    )


def too_large(response: httpx.Response, limit: int) -> ReplyRefused:
    """The error for a reply whose body is longer than ``limit`` bytes."""
    request = response.request
    return ReplyRefused(
        f"the reply to {request.method} {_origin(request.url)}{request.url.path} is larger "
        f"than {limit} bytes; it was not read",
        status_code=response.status_code,
    )


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port is not None else "")


def classify(
    error: RequestsApiError, family: ErrorFamily, context: str, *, credentials: bool = True
) -> IBMQApiError:
    """The typed error of a failed request of ``family``, its message prefixed by ``context``.

    ``credentials=False`` is for requests that carry no credentials (presigned storage URLs),
    where a 403 says nothing about the account. A refused reply (:class:`ReplyRefused`) is
    the family's protocol error.
    """
    if isinstance(error, ReplyRefused):
        return family.protocol.wrap(error, f"{context}: unexpected reply")
    if family.job_limit is not None and error.error_code == ApiErrorCode.JOB_LIMIT_REACHED:
        kind = family.job_limit
    elif credentials and error.status_code in CREDENTIALS_STATUSES:
        kind = family.credentials
    else:
        kind = family.api
    return kind.wrap(error, context)


def protocol_error(
    family: ErrorFamily, context: str, detail: str, status_code: int = -1
) -> IBMQApiError:
    """The error of a reply that does not follow the protocol."""
    return family.protocol(f"{context}: unexpected reply: {detail}", status_code=status_code)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in ``text`` by ``...``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "...")
    return text


class HideAuthenticationFrames(logging.Filter):
    """A filter for the ``websockets`` loggers: at DEBUG they log every frame sent, and the
    status websocket's first frame carries the access token (protocol.md 6.1). The frame is
    replaced by a placeholder in the record; every other record passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact an authentication frame among ``record.args``; keep every record."""
        args = record.args
        if isinstance(args, tuple) and any(_is_authentication(arg) for arg in args):
            record.args = tuple(
                "TEXT {authentication message, redacted}" if _is_authentication(arg) else arg
                for arg in args
            )
        return True


def _is_authentication(arg: object) -> bool:
    data = getattr(arg, "data", None)
    return isinstance(data, bytes | bytearray | memoryview) and b"authentication" in bytes(data)


HIDE_AUTHENTICATION_FRAMES = HideAuthenticationFrames()
"""The one instance, so that installing it twice is a no-op (``Logger.addFilter``)."""


def server_error(body: bytes) -> tuple[int | None, str | None]:
    """The ``(error.code, error.message)`` of an API error body, when it has that shape."""
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, None
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return None, None
    code = error.get("code")
    message = error.get("message")
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else None,
    )


def from_response(response: httpx.Response, secrets: tuple[str, ...] = ()) -> RequestsApiError:
    """The error for a reply with an error status."""
    request = response.request
    code, message = server_error(response.content)
    # The query is left out: a presigned URL's signature is a credential too.
    where = f"{_origin(request.url)}{request.url.path}"
    text = f"{response.status_code} {response.reason_phrase} for {request.method} {where}"
    if message is not None:
        text += f": {message}"
        if code is not None:
            text += f", Error code: {code}."
    else:
        body = response.text[:500].strip()
        if body:
            text += f": {body}"
    request_id = next(
        (response.headers[h] for h in REQUEST_ID_HEADERS if h in response.headers), None
    )
    return RequestsApiError(
        redact(text, secrets),
        status_code=response.status_code,
        error_code=code,
        server_message=redact(message, secrets) if message else None,
        request_id=request_id,
    )


def from_transport(
    error: httpx.TransportError, request: httpx.Request, secrets: tuple[str, ...] = ()
) -> RequestsApiError:
    """The error for a request that got no reply."""
    kind = type(error).__name__
    where = f"{_origin(request.url)}{request.url.path}"
    text = f"{kind} for {request.method} {where}: {error}"
    return RequestsApiError(redact(text, secrets), status_code=-1)
