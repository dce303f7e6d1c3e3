"""Request body size limits: a request too large is answered 413 before any route sees it.

Every API route takes a small JSON body or none, so :class:`BodySizeLimit` reads the body of
each request, up to :data:`MAX_REQUEST_BYTES`, before the application does, and answers a
larger one with 413 and the protocol's error body. Object-storage uploads (``/storage/``) are
exempt: their route streams them to disk under a limit of its own
(``max_upload_bytes``).

A refused body is read on (and dropped) for a while, :data:`DRAIN_BYTES` at most, so that a
client still sending it gets to read the 413 rather than a reset connection.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ibmq_async._core.codes import ApiErrorCode

from .errors import ApiError

__all__ = ["DRAIN_BYTES", "MAX_REQUEST_BYTES", "BodySizeLimit", "drain", "too_large_response"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_REQUEST_BYTES = 1 << 20
"""The largest body an API request (not an upload) may have: 1 MiB."""
DRAIN_BYTES = 8 << 20
"""How much of a refused body is still read, and dropped, before the reply."""
EXEMPT_PREFIXES = ("/storage/",)
"""Paths whose routes limit their own bodies."""


def too_large_response(limit: int) -> tuple[int, bytes]:
    """The status and JSON body of the 413 for a body over ``limit`` bytes."""
    error = ApiError(
        ApiErrorCode.PAYLOAD_TOO_LARGE, f"Request bodies are limited to {limit} bytes."
    )
    return error.status_code, json.dumps(error.body()).encode()


async def drain(receive: Receive, budget: int = DRAIN_BYTES) -> None:
    """Read and drop what is left of a request body, at most ``budget`` bytes."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def send_json(send: Send, status: int, body: bytes) -> None:
    """Send a whole JSON reply that closes the connection."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """ASGI middleware: read each API request's body first, refusing one over ``limit``."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await drain(receive)
            await send_json(send, *too_large_response(self.limit))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its request was complete
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await drain(receive)
                await send_json(send, *too_large_response(self.limit))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None
    return None
