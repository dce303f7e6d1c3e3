"""The job-status websocket of protocol.md 6.1, as messages: no I/O.

The client opens ``{ws}/jobs/{id}/status/v/1``, sends the access token, expects
``{"type": "authenticated"}``, then reads ``{"type": ..., "data": <status reply>}`` messages
until a final status; the server may close with 4002 (job done) or 4003 (job not found).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from websockets.exceptions import ConnectionClosed

from .errors import JOB, protocol_error
from .models.job import JobStatusResponse
from .replies import parse

CLOSE_JOB_DONE = 4002
"""The server's close code after the final status."""
CLOSE_JOB_NOT_FOUND = 4003
"""The server's close code for a job it does not know (no retry)."""
CONNECTIONS = 6
"""Connections tried at most after the first one authenticated (5 retries)."""


class WebSocketClosed(Exception):
    """The server closed the status websocket."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"websocket closed ({code}): {reason}")
        self.code = code
        self.reason = reason


def closed_by(error: ConnectionClosed) -> WebSocketClosed:
    """The close the server (or the network) ended a connection with."""
    received = error.rcvd
    if received is None:
        return WebSocketClosed(None, "the connection dropped without a close frame")
    return WebSocketClosed(received.code, received.reason)


def decode_message(frame: str | bytes) -> Any:
    """A received frame as JSON, or ``None`` when it is not JSON."""
    try:
        return json.loads(frame)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def status_url(ws_url: str, job_id: str) -> str:
    """The websocket URL of a job's status stream."""
    return f"{ws_url.rstrip('/')}/jobs/{quote(job_id, safe='')}/status/v/1"


def authentication(access_token: str) -> dict[str, str]:
    """The first message the client sends."""
    return {"type": "authentication", "data": access_token}


def check_authenticated(message: Any, context: str) -> None:
    """The server's first message must say the client is authenticated."""
    if not isinstance(message, dict) or message.get("type") != "authenticated":
        raise protocol_error(JOB, context, "the status websocket did not authenticate")


def status_update(message: Any, context: str) -> JobStatusResponse:
    """A status message: ``{"type": ..., "data": {"status", "infoQueue"?}}``."""
    if not isinstance(message, dict) or "type" not in message:
        raise protocol_error(JOB, context, "a websocket message without a type")
    return parse(JobStatusResponse, message.get("data"), JOB, context)
