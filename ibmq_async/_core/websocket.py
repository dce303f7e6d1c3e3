"""The job-status websocket (protocol 6.1): its URL, messages and close codes. No I/O.

One connection per job, at ``{ws}/jobs/{job_id}/status/v/1``:

1. the client opens it (no token on the upgrade) and sends
   ``{"type": "authentication", "data": "<access token>"}``;
2. the server answers ``{"type": "authenticated"}``, or closes with
   :attr:`WsCloseCode.AUTHENTICATION_FAILED` when the token is not an access token;
3. the server sends ``{"type": "job-status", "data": {"status", "infoQueue"?}}`` now and on
   every change, the ``data`` shaped like the ``GET {job}/status/v/1`` reply;
4. after a final status the server closes with :attr:`WsCloseCode.JOB_DONE`; a job that is
   not the caller's is closed with :attr:`WsCloseCode.JOB_NOT_FOUND` right after step 2.
"""

from __future__ import annotations

import json
from enum import IntEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .errors import JOB, protocol_error
from .models.job import JobStatusResponse
from .replies import parse

if TYPE_CHECKING:
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

__all__ = [
    "AUTHENTICATED",
    "AUTHENTICATION",
    "JOB_STATUS",
    "WebSocketClosed",
    "WsCloseCode",
    "WsProtocolError",
    "authenticated_message",
    "authentication_message",
    "authentication_request",
    "check_authenticated",
    "closed_by",
    "decode_message",
    "parse_authentication",
    "parse_status_message",
    "status_message",
    "status_path",
    "status_update",
    "status_url",
]

AUTHENTICATION = "authentication"
"""``type`` of the client's first (and only) message."""
AUTHENTICATED = "authenticated"
"""``type`` of the server's first message: the token was accepted."""
JOB_STATUS = "job-status"
"""``type`` of the status messages (the legacy client ignores the value, not the key)."""


class WsCloseCode(IntEnum):
    """Close codes of the status websocket."""

    NORMAL = 1000
    """Either side is done; the legacy client then keeps the last status it got."""
    AUTHENTICATION_FAILED = 1008
    """The first message was not an ``authentication`` message with a valid access token.

    The protocol has no code of its own for this: 1008 is the standard "policy violation".
    Clients end the websocket attempt on any close before ``authenticated``, whatever the code.
    """
    INTERNAL_ERROR = 4001
    """The server failed; the legacy client retries (an abnormal close)."""
    JOB_DONE = 4002
    """Sent after the final-status message; a normal end."""
    JOB_NOT_FOUND = 4003
    """The job does not exist for this caller; the legacy client does not retry."""


class WsProtocolError(ValueError):
    """A websocket message that does not follow the protocol."""


class WebSocketClosed(Exception):
    """The server closed the status websocket (or refused its handshake)."""

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


def status_path(job_id: str) -> str:
    """``/jobs/{job_id}/status/v/1``: the path under the websocket base URL."""
    return f"/jobs/{quote(job_id, safe='')}/status/v/1"


def status_url(ws_url: str, job_id: str) -> str:
    """The status websocket URL of a job: ``{ws}`` without its trailing ``/``, then the path."""
    return ws_url.rstrip("/") + status_path(job_id)


def authentication_message(access_token: str) -> str:
    """The client's first message."""
    return json.dumps({"type": AUTHENTICATION, "data": access_token})


def parse_authentication(text: str | bytes) -> str:
    """The access token of the client's first message.

    Raises:
        WsProtocolError: if the message is not an ``authentication`` message with a token.
    """
    message = _load(text)
    token = message.get("data")
    if message.get("type") != AUTHENTICATION or not isinstance(token, str) or not token:
        raise WsProtocolError("expected {'type': 'authentication', 'data': <access token>}")
    return token


def authenticated_message() -> str:
    """The server's reply to an accepted token."""
    return json.dumps({"type": AUTHENTICATED})


def status_message(reply: JobStatusResponse) -> str:
    """A status message; ``data`` is the ``GET {job}/status/v/1`` reply."""
    data = reply.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps({"type": JOB_STATUS, "data": data})


def parse_status_message(text: str | bytes) -> JobStatusResponse:
    """The status carried by a server message after ``authenticated``.

    Raises:
        WsProtocolError: if the message has no ``type`` or its ``data`` is not a status.
    """
    message = _load(text)
    data = message.get("data")
    if "type" not in message or not isinstance(data, dict):
        raise WsProtocolError("expected {'type': ..., 'data': {<job status>}}")
    try:
        return JobStatusResponse.model_validate(data)
    except ValueError:  # pydantic's ValidationError is a ValueError
        raise WsProtocolError(f"malformed job status: {data!r:.200}") from None


def _load(text: str | bytes) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except ValueError:
        raise WsProtocolError(f"not JSON: {text!r:.200}") from None
    if not isinstance(message, dict):
        raise WsProtocolError(f"not a JSON object: {text!r:.200}")
    return message


# The client's side, on decoded JSON, with the typed errors of a job request.


def authentication_request(access_token: str) -> dict[str, str]:
    """The client's first message, as JSON data."""
    return {"type": AUTHENTICATION, "data": access_token}


def check_authenticated(message: Any, context: str) -> None:
    """The server's first message must say the client is authenticated.

    Raises:
        IBMQJobApiProtocolError: it does not.
    """
    if not isinstance(message, dict) or message.get("type") != AUTHENTICATED:
        raise protocol_error(JOB, context, "the status websocket did not authenticate")


def status_update(message: Any, context: str) -> JobStatusResponse:
    """A status message received by the client: ``{"type": ..., "data": {<status>}}``.

    Raises:
        IBMQJobApiProtocolError: the message is malformed.
    """
    if not isinstance(message, dict) or "type" not in message:
        raise protocol_error(JOB, context, "a websocket message without a type")
    return parse(JobStatusResponse, message.get("data"), JOB, context)


def closed_error() -> type[ConnectionClosed]:
    """The websockets library's "connection closed" exception (imported on first use, so
    that importing the SDK does not load the websocket library)."""
    from websockets.exceptions import ConnectionClosed as closed

    return closed


def handshake_error() -> type[InvalidHandshake]:
    """The websockets library's "handshake refused" exception (imported on first use)."""
    from websockets.exceptions import InvalidHandshake as refused

    return refused
