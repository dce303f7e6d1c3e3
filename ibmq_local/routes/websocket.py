"""The job-status websocket ``{ws}/jobs/{job_id}/status/v/1`` (protocol 6.1).

``{ws}`` is ``ws://host:port/ws`` (see ``/users/me``). The conversation is described in
:mod:`ibmq_async._core.websocket`. A job id no user has is refused before the upgrade
(HTTP 404), so a client falls back to polling at once. A service configured with
``websocket = false`` refuses every handshake (HTTP 503).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect, WebSocketState

from ibmq_async._core.codes import ApiErrorCode
from ibmq_async._core.models.job import JobStatusResponse
from ibmq_async._core.websocket import (
    WsCloseCode,
    WsProtocolError,
    authenticated_message,
    parse_authentication,
    status_message,
)

from .._job_document import JobOwner, JobRecord
from .._sharing import visible
from .._state import ServiceState, get_state
from ..config import UserConfig
from ..errors import error_body, job_not_found

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/ws", tags=["websocket"])

AUTHENTICATION_TIMEOUT = 30.0
"""Seconds a client has, once connected, to send its authentication message."""


@router.websocket("/jobs/{job_id}/status/v/1")
async def job_status_socket(websocket: WebSocket, job_id: str) -> None:
    """Authenticate, then push the job's status on every change until a final one."""
    state = get_state(websocket)
    if not state.settings.websocket:
        await _unavailable(websocket)
        return
    record = await state.store.get(job_id)
    if record is None:
        await _refuse(websocket, job_id)
        return
    await websocket.accept()
    try:
        user_id = await _authenticate(websocket, state)
        if user_id is None:
            await websocket.close(WsCloseCode.AUTHENTICATION_FAILED, "authentication failed")
            return
        await websocket.send_text(authenticated_message())
        if not _sees(state.settings.user_by_id(user_id), record):
            await websocket.close(WsCloseCode.JOB_NOT_FOUND, f"job {job_id} not found")
            return
        await _stream(websocket, state, job_id)
    except WebSocketDisconnect:
        return  # the client went away: nothing to tell it
    except Exception:
        logger.exception("status websocket of job %s failed", job_id)
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close(WsCloseCode.INTERNAL_ERROR, "internal error")


async def _unavailable(websocket: WebSocket) -> None:
    """Refuse the upgrade with HTTP 503: the service was told not to serve the websocket."""
    try:
        await websocket.send_denial_response(
            JSONResponse(
                error_body(
                    503,
                    ApiErrorCode.INTERNAL_ERROR,
                    "SERVICE_UNAVAILABLE",
                    "This service does not serve the job-status websocket.",
                ),
                status_code=503,
            )
        )
    except RuntimeError:  # the server has no websocket denial-response extension
        await websocket.close(WsCloseCode.INTERNAL_ERROR)


async def _refuse(websocket: WebSocket, job_id: str) -> None:
    """Answer the upgrade with the 404 error body (or a bare refusal without the extension)."""
    error = job_not_found(job_id)
    try:
        await websocket.send_denial_response(
            JSONResponse(error.body(), status_code=error.status_code)
        )
    except RuntimeError:  # the server has no websocket denial-response extension
        await websocket.close(WsCloseCode.JOB_NOT_FOUND)


async def _authenticate(websocket: WebSocket, state: ServiceState) -> str | None:
    """The user id of the access token in the client's first message, if it is one."""
    try:
        async with asyncio.timeout(AUTHENTICATION_TIMEOUT):
            text = await websocket.receive_text()
    except TimeoutError:
        return None
    except (KeyError, RuntimeError):  # a binary frame: not an authentication message
        return None
    try:
        token = parse_authentication(text)
    except WsProtocolError:
        return None
    user = await state.user_for_access_token(token)
    return user.id if user is not None else None


def _sees(user: UserConfig | None, record: JobRecord) -> bool:
    """Whether ``user`` sees the job from any of their projects (:mod:`.._sharing`)."""
    if user is None:
        return False
    return record.user_id == user.id or any(
        visible(record, JobOwner(user.id, m.hub, m.group, m.project)) for m in user.projects
    )


async def _stream(websocket: WebSocket, state: ServiceState, job_id: str) -> None:
    """Send the status now and on each change; after a final one, close with 4002."""
    scheduler = state.scheduler
    # Anything the client sends from now on is ignored; reading it is how a disconnect shows.
    listener = asyncio.ensure_future(_drain(websocket))
    try:
        with scheduler.events.watch(job_id) as changed:
            sent: tuple[str, int | None] | None = None
            while True:
                changed.clear()
                record = await state.store.get(job_id)
                if record is None:  # cannot happen today: jobs are never deleted
                    await websocket.close(WsCloseCode.JOB_NOT_FOUND, f"job {job_id} not found")
                    return
                reply = _status(state, record)
                position = reply.info_queue.position if reply.info_queue else None
                # Estimates move with the clock: only a new status or position is news.
                if (reply.status.value, position) != sent:
                    await websocket.send_text(status_message(reply))
                    sent = (reply.status.value, position)
                if record.final:
                    await websocket.close(WsCloseCode.JOB_DONE, "job done")
                    return
                waiter = asyncio.ensure_future(changed.wait())
                try:
                    await asyncio.wait([waiter, listener], return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
                if listener.done():
                    return
    finally:
        listener.cancel()
        with contextlib.suppress(BaseException):
            await listener


def _status(state: ServiceState, record: JobRecord) -> JobStatusResponse:
    return JobStatusResponse(status=record.status, info_queue=state.scheduler.queue_info(record))


async def _drain(websocket: WebSocket) -> None:
    """Read and drop client messages until the client disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
