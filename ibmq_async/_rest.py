"""The endpoint layer: one method per REST endpoint of protocol.md, and the only caller of the
session.

Each method sends one request and returns a validated model, or raises the typed error of its
endpoint's family (see ``_core.errors``); the domain classes never build a URL or parse a reply.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from ._acompat import connect_websocket, monotonic
from ._core import replies
from ._core.endpoints import (
    BACKEND_DEFAULTS,
    BACKEND_JOB_LIMIT,
    BACKEND_PROPERTIES,
    BACKEND_RESERVATIONS,
    BACKEND_STATUS,
    DEVICES,
    HUBS,
    JOB_CANCEL,
    JOB_CREATE,
    JOB_DATA_UPLOADED,
    JOB_GET,
    JOB_PROPERTIES,
    JOB_QOBJ,
    JOB_QOBJ_URL,
    JOB_RESULT,
    JOB_RESULT_DOWNLOADED,
    JOB_RESULT_URL,
    JOB_RETRIEVE,
    JOB_STATUS,
    JOB_UPDATE,
    JOB_UPLOAD,
    JOBS,
    LOGIN,
    USER_INFO,
    VERSION,
    AuthPaths,
    Endpoint,
    HubGroupProject,
    ProjectPaths,
    network_url,
)
from ._core.errors import HIDE_AUTHENTICATION_FRAMES, classify
from ._core.exceptions import RequestsApiError
from ._core.filters import properties_params, reservations_params
from ._core.models import (
    BackendConfiguration,
    BackendJobLimit,
    BackendProperties,
    BackendReservation,
    BackendStatus,
    DownloadUrl,
    HubInfo,
    JobCreated,
    JobCreateRequest,
    JobDocument,
    JobStatusResponse,
    LoginResponse,
    PulseDefaults,
    UserInfo,
)
from ._core.replies import JobsPage
from ._core.retry import RetryPolicy, effective_policy
from ._core.status_poll import parse_statuses, status_filter
from ._core.statuses import FINAL_API_STATUSES
from ._core.submission import IDEMPOTENCY_KEY_HEADER, run_token
from ._core.websocket import (
    WebSocketClosed,
    authentication_request,
    check_authenticated,
    status_update,
    status_url,
)
from ._session import AsyncSession

JOB_STATUSES = dataclasses.replace(
    JOBS, family=JOB_STATUS.family, context="Error checking the status of jobs"
)
"""The job listing as the shared status poll sends it (:meth:`AsyncProjectApi.job_statuses`)."""

# The status websocket's client logs each frame at DEBUG, the access token's too.
logging.getLogger("websockets.client").addFilter(HIDE_AUTHENTICATION_FRAMES)


async def _send(
    session: AsyncSession,
    endpoint: Endpoint,
    url: str,
    context: str,
    *,
    body: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    reply: bool = True,
    decoder: Callable[..., Any] = replies.decode,
    on_sent: Callable[[], None] | None = None,
) -> Any:
    """Send one request of ``endpoint``; return its reply as ``decoder`` reads it (by
    default the decoded JSON value; ``None`` when ``reply`` is false), or raise the endpoint
    family's typed error. ``headers`` are sent with it (on every try); ``on_sent`` is
    called when it is written out (see :meth:`AsyncSession.request`)."""
    content = json.dumps(body).encode() if body is not None else None
    for fresh_login in (False, True):
        try:
            response = await session.request(
                endpoint.method,
                url,
                content=content,
                params=params,
                headers=headers,
                authenticated=endpoint.authenticated,
                storage=endpoint.storage,
                idempotent=endpoint.idempotent,
                on_sent=on_sent,
            )
            break
        except RequestsApiError as exc:
            expired = exc.status_code == 401 and endpoint.authenticated and not fresh_login
            if expired and session.relogin is not None:
                # The access token may have expired: log in again once, then fail clearly.
                await session.relogin()
                continue
            raise classify(
                exc, endpoint.family, context, credentials=not endpoint.storage
            ) from None
    if not reply:
        return None
    return decoder(
        response.content,
        endpoint.family,
        context,
        response.status_code,
        session.secrets,
        # Object storage may label a JSON object as anything; the API must say JSON.
        content_type=None if endpoint.storage else response.headers.get("content-type"),
        max_depth=session.limits.depth,
    )


class AsyncAccountApi:
    """The endpoints of the authentication server and the account tree."""

    def __init__(self, session: AsyncSession, auth_url: str) -> None:
        self._session = session
        self._paths = AuthPaths(auth_url)

    async def version(self) -> dict[str, Any]:
        """``GET {auth}/version``: an object with an ``api-auth`` key."""
        context = VERSION.context
        payload = await _send(self._session, VERSION, self._paths.version, context)
        return replies.version(payload, VERSION.family, context)

    async def login(self, token: str) -> LoginResponse:
        """``POST {auth}/users/loginWithToken``: trade the API token for an access token."""
        context = LOGIN.context
        payload = await _send(
            self._session, LOGIN, self._paths.login, context, body={"apiToken": token}
        )
        return replies.login(payload, LOGIN.family, context)

    async def user_info(self) -> UserInfo:
        """``GET {auth}/users/me``: where the account's API lives."""
        context = USER_INFO.context
        payload = await _send(self._session, USER_INFO, self._paths.me, context)
        return replies.user_info(payload, USER_INFO.family, context)

    async def hubs(self, http_url: str) -> list[HubInfo]:
        """``GET {http}/Network``: the account's hub/group/project tree."""
        context = HUBS.context
        payload = await _send(self._session, HUBS, network_url(http_url), context)
        return replies.hubs(payload, HUBS.family, context)


class AsyncProjectApi:
    """The endpoints under one hub/group/project: its backends and its jobs."""

    def __init__(self, session: AsyncSession, paths: ProjectPaths, ws_url: str = "") -> None:
        self._session = session
        self._paths = paths
        self._ws_url = ws_url

    @property
    def hgp(self) -> HubGroupProject:
        """The hub/group/project the endpoints are under."""
        return self._paths.hgp

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy in force: a :func:`retry_policy` block's, else the account's
        (job creation paces its own retries by it)."""
        return effective_policy(self._session.retry)

    async def devices(self) -> list[BackendConfiguration]:
        """``GET {hgp}/devices/v/1``: the configurations of the project's backends."""
        context = DEVICES.context
        payload = await _send(self._session, DEVICES, self._paths.devices, context)
        return replies.configurations(payload, DEVICES.family, context)

    async def backend_status(self, backend: str) -> BackendStatus:
        """``GET {bk}/queue/status``."""
        context = BACKEND_STATUS.context.format(backend=backend)
        url = self._paths.backend(backend, "queue/status")
        payload = await _send(self._session, BACKEND_STATUS, url, context)
        return replies.backend_status(payload, backend, BACKEND_STATUS.family, context)

    async def backend_properties(
        self, backend: str, before: datetime | None = None
    ) -> BackendProperties | None:
        """``GET {bk}/properties``: the newest calibration, or the newest taken ``before``."""
        context = BACKEND_PROPERTIES.context.format(backend=backend)
        url = self._paths.backend(backend, "properties")
        payload = await _send(
            self._session, BACKEND_PROPERTIES, url, context, params=properties_params(before)
        )
        return replies.properties(payload, backend, BACKEND_PROPERTIES.family, context)

    async def backend_defaults(self, backend: str) -> PulseDefaults | None:
        """``GET {bk}/defaults``: pulse defaults, ``None`` when the backend has none."""
        context = BACKEND_DEFAULTS.context.format(backend=backend)
        url = self._paths.backend(backend, "defaults")
        payload = await _send(self._session, BACKEND_DEFAULTS, url, context)
        return replies.optional(PulseDefaults, payload, BACKEND_DEFAULTS.family, context)

    async def backend_job_limit(self, backend: str) -> BackendJobLimit:
        """``GET {bk}/jobsLimit``."""
        context = BACKEND_JOB_LIMIT.context.format(backend=backend)
        url = self._paths.backend(backend, "jobsLimit")
        payload = await _send(self._session, BACKEND_JOB_LIMIT, url, context)
        return replies.parse(BackendJobLimit, payload, BACKEND_JOB_LIMIT.family, context)

    async def backend_reservations(
        self, backend: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[BackendReservation]:
        """``GET {http}/Network/devices/{name}/bookings/v2``: bookings overlapping a window."""
        context = BACKEND_RESERVATIONS.context.format(backend=backend)
        payload = await _send(
            self._session,
            BACKEND_RESERVATIONS,
            self._paths.bookings(backend),
            context,
            params=reservations_params(start, end),
        )
        return replies.parse_list(BackendReservation, payload, BACKEND_RESERVATIONS.family, context)

    async def job_create(
        self, request: JobCreateRequest, *, keys_honoured: bool = False
    ) -> JobCreated:
        """``POST {hgp}/Jobs``: create a job and get its upload URL.

        The request's run token goes out as the ``Idempotency-Key`` header. Not idempotent,
        unless ``keys_honoured`` (the server advertised that it honours the header): then
        every failure the retry policy retries is sent again, under the same key.
        """
        context = JOB_CREATE.context
        endpoint = dataclasses.replace(JOB_CREATE, idempotent=True) if keys_honoured else JOB_CREATE
        url = self._paths.jobs
        key = run_token(request.tags)
        headers = {IDEMPOTENCY_KEY_HEADER: key} if key is not None else None
        payload = await _send(
            self._session, endpoint, url, context, body=request.to_wire(), headers=headers
        )
        return replies.parse(JobCreated, payload, JOB_CREATE.family, context)

    async def job_upload(self, url: str, qobj: dict[str, Any]) -> None:
        """``PUT`` the Qobj to the presigned upload URL (no token is sent there)."""
        await _send(self._session, JOB_UPLOAD, url, JOB_UPLOAD.context, body=qobj, reply=False)

    async def job_data_uploaded(self, job_id: str) -> JobDocument:
        """``POST {job}/jobDataUploaded``: the Qobj is in place; queue the job."""
        context = JOB_DATA_UPLOADED.context
        url = self._paths.job(job_id, "jobDataUploaded")
        payload = await _send(self._session, JOB_DATA_UPLOADED, url, context)
        return replies.uploaded_job(payload, JOB_DATA_UPLOADED.family, context)

    async def jobs(
        self, page_filter: dict[str, Any], on_sent: Callable[[], None] | None = None
    ) -> JobsPage:
        """``GET {hgp}/Jobs/status/v/1?filter=``: one page of a job listing, its documents
        validated on first use. ``on_sent`` is called once the request is written out."""
        params = {"filter": json.dumps(page_filter)}
        page: JobsPage = await _send(
            self._session,
            JOBS,
            self._paths.jobs_status_list,
            JOBS.context,
            params=params,
            decoder=replies.jobs_page_json,
            on_sent=on_sent,
        )
        return page

    async def job_statuses(self, job_ids: list[str]) -> dict[str, JobStatusResponse]:
        """``GET {hgp}/Jobs/status/v/1?filter=``, filtered by id: the status (and, where the
        listing gives it, the queue info) of each of ``job_ids`` the listing returns.

        The shared status poll's request; its failures are job errors, as a status poll's.
        """
        context = JOB_STATUSES.context
        params = {"filter": json.dumps(status_filter(job_ids))}
        payload = await _send(
            self._session, JOB_STATUSES, self._paths.jobs_status_list, context, params=params
        )
        return parse_statuses(payload, JOB_STATUSES.family, context)

    async def job_get(self, job_id: str, *, retrieving: bool = False) -> JobDocument:
        """``GET {job}/v/1``: the full job document.

        ``retrieving`` is for a job not yet in hand (``retrieve_job``): its failures are
        backend errors, as the seed API documents.
        """
        endpoint = JOB_RETRIEVE if retrieving else JOB_GET
        context = endpoint.context.format(job=job_id)
        payload = await _send(self._session, endpoint, self._paths.job(job_id, "v/1"), context)
        return replies.parse(JobDocument, payload, endpoint.family, context)

    async def job_status(self, job_id: str) -> JobStatusResponse:
        """``GET {job}/status/v/1``: the job's status and, while queued, its queue info."""
        context = JOB_STATUS.context.format(job=job_id)
        url = self._paths.job(job_id, "status/v/1")
        payload = await _send(self._session, JOB_STATUS, url, context)
        return replies.parse(JobStatusResponse, payload, JOB_STATUS.family, context)

    async def job_result_url(self, job_id: str) -> str:
        """``GET {job}/resultDownloadUrl``: the presigned URL of the result."""
        context = JOB_RESULT_URL.context.format(job=job_id)
        url = self._paths.job(job_id, "resultDownloadUrl")
        payload = await _send(self._session, JOB_RESULT_URL, url, context)
        found = replies.parse(DownloadUrl, payload, JOB_RESULT_URL.family, context).url
        return replies.presigned_url(found, JOB_RESULT_URL.family, context)

    async def job_result(self, job_id: str, url: str) -> dict[str, Any]:
        """``GET`` the Result document from its presigned URL."""
        context = JOB_RESULT.context.format(job=job_id)
        payload = await _send(self._session, JOB_RESULT, url, context)
        return replies.result(payload, JOB_RESULT.family, context)

    async def job_result_downloaded(self, job_id: str) -> None:
        """``POST {job}/resultDownloaded``: acknowledge the download."""
        context = JOB_RESULT_DOWNLOADED.context.format(job=job_id)
        url = self._paths.job(job_id, "resultDownloaded")
        await _send(self._session, JOB_RESULT_DOWNLOADED, url, context, reply=False)

    async def job_cancel(self, job_id: str) -> bool:
        """``POST {job}/cancel``: whether the server cancelled the job."""
        context = JOB_CANCEL.context.format(job=job_id)
        payload = await _send(self._session, JOB_CANCEL, self._paths.job(job_id, "cancel"), context)
        return replies.cancelled(payload, JOB_CANCEL.family, context)

    async def job_update(self, job_id: str, changes: dict[str, Any]) -> None:
        """``PUT {job}``: replace the job's ``name`` or ``tags``; the reply must echo them."""
        context = JOB_UPDATE.context.format(job=job_id)
        url = self._paths.job(job_id)
        payload = await _send(self._session, JOB_UPDATE, url, context, body=changes)
        replies.updated(payload, changes, JOB_UPDATE.family, context)

    async def job_qobj_url(self, job_id: str) -> str:
        """``GET {job}/jobDownloadUrl``: the presigned URL of the uploaded Qobj."""
        context = JOB_QOBJ_URL.context.format(job=job_id)
        url = self._paths.job(job_id, "jobDownloadUrl")
        payload = await _send(self._session, JOB_QOBJ_URL, url, context)
        found = replies.parse(DownloadUrl, payload, JOB_QOBJ_URL.family, context).url
        return replies.presigned_url(found, JOB_QOBJ_URL.family, context)

    async def job_qobj(self, job_id: str, url: str) -> dict[str, Any]:
        """``GET`` the Qobj, exactly as uploaded, from its presigned URL."""
        context = JOB_QOBJ.context.format(job=job_id)
        payload = await _send(self._session, JOB_QOBJ, url, context)
        return replies.qobj(payload, JOB_QOBJ.family, context)

    async def job_properties(self, job_id: str) -> BackendProperties | None:
        """``GET {job}/properties``: the calibration the job ran with, or ``None``."""
        context = JOB_PROPERTIES.context.format(job=job_id)
        url = self._paths.job(job_id, "properties")
        payload = await _send(self._session, JOB_PROPERTIES, url, context)
        return replies.optional(BackendProperties, payload, JOB_PROPERTIES.family, context)

    async def job_status_updates(
        self, job_id: str, deadline: float | None
    ) -> AsyncIterator[JobStatusResponse]:
        """The job's status messages from the status websocket (protocol.md 6.1), until a
        final one.

        Raises:
            WebSocketClosed: the server closed the connection (4002 after the final status,
                4003 for an unknown job) or refused the handshake.
            IBMQJobApiProtocolError: the server did not authenticate, or sent a malformed
                message.
            TimeoutError: the ``deadline`` (a ``monotonic()`` time) passed.
            OSError: the connection failed.
        """
        context = JOB_STATUS.context.format(job=job_id)
        token = self._session.access_token
        if not self._ws_url or token is None:
            raise WebSocketClosed(None, "this account has no status websocket")
        url = status_url(self._ws_url, job_id)

        def left() -> float | None:
            return None if deadline is None else max(deadline - monotonic(), 0.0)

        async with await connect_websocket(url, timeout=left() or 30.0) as socket:
            await socket.send_json(authentication_request(token))
            check_authenticated(await socket.receive_json(left()), context)
            while True:
                update = status_update(await socket.receive_json(left()), context)
                yield update
                if update.status in FINAL_API_STATUSES:
                    return
