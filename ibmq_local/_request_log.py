"""One log line per request, and a request id on every reply.

:class:`RequestLog` gives each HTTP request (and each websocket handshake) an id, sends it
back as ``X-Request-Id`` (the client's own DEBUG line names it, so the two sides of one
request can be matched), and logs one INFO line on the ``ibmq_local.requests`` logger:
method, path, status, time to the start of the reply, and id. The line is written as the
reply starts, so a client never holds a reply whose line is not written yet. The query string
is never logged (presigned storage URLs carry their signature there) and neither is any
header, so no token reaches the log.

Nothing shows on a console unless the host asks for it: the lines are INFO, and Python prints
only warnings when logging is not configured.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["REQUEST_ID_HEADER", "RequestLog"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = "x-request-id"

logger = logging.getLogger("ibmq_local.requests")


class RequestLog:
    """ASGI middleware: a request id on each reply, and one INFO line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        started = time.perf_counter()
        logged: list[bool] = []

        def log(status: int | str) -> None:
            # Logged as the reply starts, so the line precedes the reply's arrival.
            logged.append(True)
            if logger.isEnabledFor(logging.INFO):
                method = scope.get("method", "WS") if kind == "http" else "WS"
                logger.info(
                    "%s %s -> %s in %.1f ms, request id %s",
                    method,
                    scope.get("path", ""),
                    status,
                    (time.perf_counter() - started) * 1000,
                    request_id,
                )

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                headers = list(message.get("headers") or [])
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
                if not logged:
                    log(int(message.get("status", 101)))
            elif message["type"] == "websocket.close" and not logged:
                log(403)  # a handshake refused before it was accepted
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if not logged:
                log("no reply")
