"""Emulated object storage: presigned Qobj upload and Qobj/result downloads.

These routes need no access token: the URL's signature is the credential. Extra headers
the legacy client sends (``X-Access-Token``, ``X-Qx-Client-Application``) are ignored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ibmq_async._core.statuses import ApiJobStatus

from .._signing import EXPIRES_PARAM, SIGNATURE_PARAM, SignatureError
from .._store import QOBJ, RESULT
from ..errors import ApiError, ApiErrorCode, job_not_found
from ._deps import StateDep

router = APIRouter(prefix="/storage", tags=["storage"])

ExpiresParam = Annotated[str | None, Query(alias=EXPIRES_PARAM)]
SignatureParam = Annotated[str | None, Query(alias=SIGNATURE_PARAM)]


def _verify(
    state: StateDep, method: str, key: str, expires: str | None, signature: str | None
) -> None:
    try:
        state.signer.verify(method, key, expires, signature)
    except SignatureError as exc:
        if exc.expired:
            raise ApiError(ApiErrorCode.URL_EXPIRED, str(exc)) from None
        raise ApiError(ApiErrorCode.SIGNATURE_INVALID, str(exc)) from None


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    too_large = ApiError(ApiErrorCode.PAYLOAD_TOO_LARGE, f"Uploads are limited to {limit} bytes.")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@router.put(f"/jobs/{{job_id}}/{QOBJ}")
async def upload_qobj(
    job_id: str,
    request: Request,
    state: StateDep,
    expires: ExpiresParam = None,
    signature: SignatureParam = None,
) -> Response:
    """Store the Qobj of a job that is still ``CREATING``."""
    _verify(state, "PUT", f"jobs/{job_id}/{QOBJ}", expires, signature)
    record = await state.store.get(job_id)
    if record is None:
        raise job_not_found(job_id)
    if record.status != ApiJobStatus.CREATING:
        raise ApiError(
            ApiErrorCode.JOB_DATA_ALREADY_SUBMITTED,
            f"The data of job {job_id} was already submitted (status {record.status}).",
        )
    body = await _read_limited(request, state.settings.max_upload_bytes)
    await state.store.put_payload(job_id, QOBJ, body)
    return Response(status_code=200)


async def _download(state: StateDep, job_id: str, kind: str) -> Response:
    payload = await state.store.get_payload(job_id, kind)
    if payload is None:
        raise job_not_found(job_id)
    return Response(content=payload, media_type="application/json")


@router.get(f"/jobs/{{job_id}}/{QOBJ}")
async def download_qobj(
    job_id: str, state: StateDep, expires: ExpiresParam = None, signature: SignatureParam = None
) -> Response:
    """The Qobj exactly as uploaded."""
    _verify(state, "GET", f"jobs/{job_id}/{QOBJ}", expires, signature)
    return await _download(state, job_id, QOBJ)


@router.get(f"/jobs/{{job_id}}/{RESULT}")
async def download_result(
    job_id: str, state: StateDep, expires: ExpiresParam = None, signature: SignatureParam = None
) -> Response:
    """The Result JSON of a finished job."""
    _verify(state, "GET", f"jobs/{job_id}/{RESULT}", expires, signature)
    return await _download(state, job_id, RESULT)
