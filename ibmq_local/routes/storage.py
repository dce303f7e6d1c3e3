"""Emulated object storage: presigned Qobj upload and Qobj/result downloads.

These routes need no access token: the URL's signature is the credential, and it names one
method, one job and one object, until it expires (:mod:`.._signing`). Extra headers the legacy
client sends (``X-Access-Token``, ``X-Qx-Client-Application``) are ignored.

An upload is streamed to a file of its own, within ``max_upload_bytes`` (413 past it), and
replaces the job's data only while the job is still ``CREATING`` (:mod:`.._uploads`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from ibmq_async._core.statuses import ApiJobStatus

from .._limits import drain
from .._signing import EXPIRES_PARAM, SIGNATURE_PARAM, SignatureError
from .._store import QOBJ, RESULT
from .._uploads import FileJobStore, UploadFiles, UploadRefused, UploadTooLarge
from ..errors import ApiError, ApiErrorCode, job_not_found
from ._deps import JOB_ID_PATTERN, StateDep
from ._responses import errors

router = APIRouter(prefix="/storage", tags=["storage"], responses=errors(400, 403, 404, 413))

ExpiresParam = Annotated[str | None, Query(alias=EXPIRES_PARAM, max_length=20)]
SignatureParam = Annotated[str | None, Query(alias=SIGNATURE_PARAM, max_length=128)]
StorageJobId = Annotated[str, Path(pattern=JOB_ID_PATTERN)]
_DOWNLOAD_CHUNK = 1 << 20


def _verify(
    state: StateDep, method: str, key: str, expires: str | None, signature: str | None
) -> None:
    try:
        state.signer.verify(method, key, expires, signature)
    except SignatureError as exc:
        if exc.expired:
            raise ApiError(ApiErrorCode.URL_EXPIRED, str(exc)) from None
        raise ApiError(ApiErrorCode.SIGNATURE_INVALID, str(exc)) from None


def _uploads(state: StateDep) -> UploadFiles | None:
    store = state.store
    return store.uploads if isinstance(store, FileJobStore) else None


def _already_submitted(job_id: str, status: ApiJobStatus) -> ApiError:
    return ApiError(
        ApiErrorCode.JOB_DATA_ALREADY_SUBMITTED,
        f"The data of job {job_id} was already submitted (status {status}).",
    )


@router.put(f"/jobs/{{job_id}}/{QOBJ}", responses=errors(409))
async def upload_qobj(
    job_id: StorageJobId,
    request: Request,
    state: StateDep,
    expires: ExpiresParam = None,
    signature: SignatureParam = None,
) -> Response:
    """Store the Qobj of a job that is still ``CREATING``, streamed to disk."""
    _verify(state, "PUT", f"jobs/{job_id}/{QOBJ}", expires, signature)
    record = await state.store.get(job_id)
    if record is None:
        raise job_not_found(job_id)
    if record.status != ApiJobStatus.CREATING:
        raise _already_submitted(job_id, record.status)
    limit = state.settings.max_upload_bytes
    too_large = ApiError(ApiErrorCode.PAYLOAD_TOO_LARGE, f"Uploads are limited to {limit} bytes.")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        await drain(request.receive)
        raise too_large
    uploads = _uploads(state)
    if uploads is None:  # a store without upload files: keep the Qobj in the database
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise too_large
        await state.store.put_payload(job_id, QOBJ, body)
        return Response(status_code=200)

    async def still_creating() -> bool:
        current = await state.store.get(job_id)
        return current is not None and current.status == ApiJobStatus.CREATING

    try:
        await uploads.receive(job_id, request.stream(), limit, still_creating)
    except UploadTooLarge:
        await drain(request.receive)
        raise too_large from None
    except UploadRefused:
        current = await state.store.get(job_id)
        raise _already_submitted(
            job_id, current.status if current else ApiJobStatus.CANCELLED
        ) from None
    return Response(status_code=200)


@router.get(f"/jobs/{{job_id}}/{QOBJ}")
async def download_qobj(
    job_id: StorageJobId,
    state: StateDep,
    expires: ExpiresParam = None,
    signature: SignatureParam = None,
) -> Response:
    """The Qobj exactly as uploaded (streamed from its file)."""
    _verify(state, "GET", f"jobs/{job_id}/{QOBJ}", expires, signature)
    uploads = _uploads(state)
    if uploads is not None:
        try:
            handle = await asyncio.to_thread(open, uploads.path(job_id), "rb")
        except FileNotFoundError:
            pass  # not uploaded, or stored in the database by an older service
        else:
            # Open already: a cancel that removes the file now does not cut the download.
            return StreamingResponse(_chunks(handle), media_type="application/json")
    return await _download(state, job_id, QOBJ)


async def _chunks(handle: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, _DOWNLOAD_CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


@router.get(f"/jobs/{{job_id}}/{RESULT}")
async def download_result(
    job_id: StorageJobId,
    state: StateDep,
    expires: ExpiresParam = None,
    signature: SignatureParam = None,
) -> Response:
    """The Result JSON of a finished job."""
    _verify(state, "GET", f"jobs/{job_id}/{RESULT}", expires, signature)
    return await _download(state, job_id, RESULT)


async def _download(state: StateDep, job_id: str, kind: str) -> Response:
    payload = await state.store.get_payload(job_id, kind)
    if payload is None:
        raise job_not_found(job_id)
    return Response(content=payload, media_type="application/json")
