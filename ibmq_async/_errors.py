"""Turn failed HTTP exchanges into :class:`RequestsApiError`, without I/O."""

from __future__ import annotations

import json
from typing import Any

import httpx

from .exceptions import RequestsApiError

REQUEST_ID_HEADERS = ("x-request-id", "x-global-transaction-id", "uber-trace-id")


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in ``text`` by ``...``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "...")
    return text


def server_error(body: bytes) -> tuple[int | None, str | None]:
    """The ``(error.code, error.message)`` of an API error body, when it has that shape."""
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return None, None
    code = error.get("code")
    message = error.get("message")
    return (
        code if isinstance(code, int) else None,
        message if isinstance(message, str) else None,
    )


def from_response(response: httpx.Response, secrets: tuple[str, ...] = ()) -> RequestsApiError:
    """The error for a reply with an error status."""
    request = response.request
    code, message = server_error(response.content)
    text = f"{response.status_code} {response.reason_phrase} for {request.method} {request.url}"
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
    text = f"{kind} for {request.method} {request.url}: {error}"
    return RequestsApiError(redact(text, secrets), status_code=-1)
