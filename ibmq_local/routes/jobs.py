"""Job endpoints under ``{hgp}/Jobs`` (protocol 3.1, 4 and 5).

A caller reads the jobs :func:`._sharing.visible` lets them see from the project of the path,
and changes only their own jobs of that project: see :mod:`ibmq_local._sharing`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from ibmq_async._core.models.job import (
    ApiJobStatus,
    CancelResponse,
    DownloadUrl,
    JobCreated,
    JobCreateRequest,
    JobStatusResponse,
    UploadInfo,
)

from .._job_document import JobRecord, client_info, dump_document
from .._listing import select_jobs
from .._loopback import LoopbackFilter, project
from .._sharing import check_share_level, visible
from .._state import ServiceState, server_base_url
from .._store import QOBJ, RESULT, KeyClaim, KeyTaken
from .._uploads import FileJobStore, UploadCheck, inspect_qobj, pulse_refusal
from ..errors import ApiError, ApiErrorCode, invalid_request, job_not_found
from ._deps import HGP_PREFIX, JobIdParam, ProjectScope, ScopeDep, StateDep
from ._filters import listing_filter
from ._responses import IN_PROJECT, errors

router = APIRouter(prefix=HGP_PREFIX + "/Jobs", tags=["jobs"], responses=IN_PROJECT)

FilterParam = Annotated[str | None, Query(alias="filter")]
_NEVER_RAN = frozenset(
    {
        ApiJobStatus.CREATING,
        ApiJobStatus.CREATED,
        ApiJobStatus.VALIDATING,
        ApiJobStatus.VALIDATED,
        ApiJobStatus.QUEUED,
    }
)
"""Statuses of a job whose Qobj no simulation has read."""


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


def storage_url(request: Request, state: ServiceState, method: str, job_id: str, kind: str) -> str:
    """An absolute presigned object-storage URL for a job's ``kind`` payload."""
    key = f"jobs/{job_id}/{kind}"
    return f"{server_base_url(request)}/storage/{key}?{state.signer.query(method, key)}"


async def _job(state: ServiceState, scope: ProjectScope, job_id: str) -> JobRecord:
    """A job the caller may read; 404 when it does not exist or the caller cannot see it."""
    record = await state.store.get(job_id)
    if record is None or not visible(record, scope.key):
        raise job_not_found(job_id)
    return record


async def _own_job(state: ServiceState, scope: ProjectScope, job_id: str) -> JobRecord:
    """A job the caller may change: their own, in this project. 403 for a job the caller
    only sees (shared with them, or theirs in another project), 404 for one they cannot."""
    record = await _job(state, scope, job_id)
    if not record.belongs_to(*scope.key):
        raise ApiError(
            ApiErrorCode.PROJECT_ACCESS_DENIED,
            f"Job {job_id} is shared with you: only its owner, in "
            f"{record.hub}/{record.group}/{record.project}, may change it.",
        )
    return record


def _document(state: ServiceState, record: JobRecord) -> dict[str, Any]:
    """The served document: the stored one, plus ``infoQueue`` while the job is queued."""
    info = state.scheduler.queue_info(record)
    if info is None:
        return dump_document(record.doc)
    return dump_document(record.doc.model_copy(update={"info_queue": info}))


def _wire(reply: JobCreated | JobStatusResponse | DownloadUrl | CancelResponse) -> dict[str, Any]:
    """A reply model as JSON, optional fields absent when unset."""
    return reply.model_dump(mode="json", by_alias=True, exclude_none=True)


async def _list(state: ServiceState, scope: ProjectScope, raw_filter: str | None) -> Response:
    flt = listing_filter(raw_filter)
    if not flt.order:
        flt = LoopbackFilter(flt.where, [("creationDate", True)], flt.limit, flt.skip, flt.fields)
    listing = await select_jobs(state.store, scope.key, flt)
    _add_queue_info(state, listing.documents, flt.fields)
    return _json(await asyncio.to_thread(lambda: json.dumps(listing.documents).encode()))


def _add_queue_info(
    state: ServiceState, documents: list[dict[str, Any]], fields: dict[str, bool] | None
) -> None:
    """Give each listed job that waits in a queue its ``infoQueue``, as the job's own
    document has it (unless a ``fields`` projection leaves it out)."""
    if fields is not None and "infoQueue" not in project({"infoQueue": None}, fields):
        return
    ids = [
        doc["id"] for doc in documents if doc.get("status", "QUEUED") == "QUEUED" and "id" in doc
    ]
    if not ids:
        return
    found = state.scheduler.queued_info(ids)
    for doc in documents:
        info = found.get(doc.get("id", ""))
        if info is not None:
            doc["infoQueue"] = info.model_dump(mode="json", by_alias=True, exclude_none=True)


# The listing routes come first: "/status/v/1" would otherwise match "/{job_id}/v/1".


@router.get("/status/v/1")
async def list_job_statuses(
    scope: ScopeDep, state: StateDep, filter_: FilterParam = None
) -> Response:
    """The caller's jobs in this project and the jobs shared with it, filtered with a
    LoopBack filter (protocol 5.1)."""
    return await _list(state, scope, filter_)


@router.get("/v/1")
async def list_jobs(scope: ScopeDep, state: StateDep, filter_: FilterParam = None) -> Response:
    """Like the status listing; honours ``fields`` projections (protocol 5.7)."""
    return await _list(state, scope, filter_)


MAX_IDEMPOTENCY_KEY = 255
"""The longest ``Idempotency-Key`` accepted (a run token is 47 characters)."""


@router.post("", responses=errors(409))
async def create_job(
    body: JobCreateRequest,
    request: Request,
    scope: ScopeDep,
    state: StateDep,
    x_qx_client_application: Annotated[str | None, Header(alias="X-Qx-Client-Application")] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> dict[str, Any]:
    """Create a job in ``CREATING`` and hand out its presigned Qobj upload URL.

    ``shareLevel`` (optional) must be ``global``, ``hub``, ``group``, ``project`` or
    ``none``; a backend the project may not use is answered as an unknown one.

    ``Idempotency-Key`` (optional; 1 to 255 printable ASCII characters, no spaces, else 400)
    creates the job once per user and key, for ``idempotency_key_ttl_seconds`` (24 h). A
    repeat with the same key, project and body gets the same job: with a fresh upload URL
    while it is ``CREATING``, else its current document (without ``objectStorageInfo``). A
    repeat with another project or body is refused with 409. With the ``idempotency_keys``
    setting off the header is ignored.
    """
    if idempotency_key is None or not state.settings.idempotency_keys:
        return await _create(body, request, scope, state, x_qx_client_application)
    claim = KeyClaim(
        user_id=scope.user.id,
        key=_checked_key(idempotency_key),
        fingerprint=_fingerprint(scope, body),
        ttl_seconds=state.settings.idempotency_key_ttl_seconds,
    )
    replay = await _replay(request, state, claim)
    if replay is not None:
        return replay
    try:
        with state.store.claiming(claim):
            return await _create(body, request, scope, state, x_qx_client_application)
    except KeyTaken:
        pass  # a concurrent request with the same key created the job first
    except ApiError as exc:
        # The job limit may be full of the very job a concurrent request created.
        if exc.code != ApiErrorCode.JOB_LIMIT_REACHED:
            raise
        if (replay := await _replay(request, state, claim)) is None:
            raise
        return replay
    replay = await _replay(request, state, claim)
    if replay is None:  # pragma: no cover - the key was taken a moment ago
        raise ApiError(ApiErrorCode.INTERNAL_ERROR, "The Idempotency-Key vanished; retry.")
    return replay


async def _create(
    body: JobCreateRequest,
    request: Request,
    scope: ProjectScope,
    state: ServiceState,
    client_application: str | None,
) -> dict[str, Any]:
    """Create the job of ``body`` (one creation, no key involved)."""
    share_level = check_share_level(body.share_level)
    catalog = await state.loaded_catalog()
    backend = body.backend.name
    if catalog.configuration(backend) is None or not scope.membership.may_use(backend):
        # Job creation answers an unknown backend with 400, not the code's own 404.
        raise ApiError(ApiErrorCode.DEVICE_NOT_FOUND, f"Backend {backend} not found.", status=400)
    record = await state.scheduler.create_job(
        scope.key,
        body,
        max_jobs=scope.membership.job_limit(backend),
        client=client_info(client_application),
    )
    if share_level is not None and record.doc.share_level != share_level:
        # Nobody else knows the job's id yet: nothing can race this write.
        await state.store.set_share_level(record.id, share_level)
        record.doc.share_level = share_level
    return _created(request, state, record)


def _created(request: Request, state: ServiceState, record: JobRecord) -> dict[str, Any]:
    """The reply of a creation: the job's document and a fresh presigned upload URL."""
    upload_url = storage_url(request, state, "PUT", record.id, QOBJ)
    created = JobCreated(id=record.id, object_storage_info=UploadInfo(upload_url=upload_url))
    return {**dump_document(record.doc), **_wire(created)}


def _checked_key(key: str) -> str:
    """``key`` if it is a bounded printable token; else the 400 (the key is not echoed)."""
    if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY or not all("!" <= c <= "~" for c in key):
        raise invalid_request(
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters "
            "without spaces."
        )
    return key


def _fingerprint(scope: ProjectScope, body: JobCreateRequest) -> str:
    """Identifies a creation request: its project and its body, whatever the JSON layout."""
    wire = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    text = json.dumps([list(scope.key[1:]), wire], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def _replay(request: Request, state: ServiceState, claim: KeyClaim) -> dict[str, Any] | None:
    """The reply to a repeat of the creation that ``claim``'s key made, if it made one.

    Raises:
        ApiError: 409 when the key was sent with another project or body.
    """
    keyed = await state.store.keyed_job(claim.user_id, claim.key, ttl_seconds=claim.ttl_seconds)
    if keyed is None:
        return None
    if keyed.fingerprint != claim.fingerprint:
        raise ApiError(
            ApiErrorCode.INVALID_REQUEST,
            "This Idempotency-Key was used for another job request (another project or body); "
            "use a new key for a new job.",
            status=409,
        )
    record = await state.store.get(keyed.job_id)
    if record is None:  # pragma: no cover - jobs are never deleted
        raise job_not_found(keyed.job_id)
    if record.status == ApiJobStatus.CREATING:
        return _created(request, state, record)
    return _document(state, record)


@router.get("/{job_id}/v/1")
async def get_job(job_id: JobIdParam, scope: ScopeDep, state: StateDep) -> dict[str, Any]:
    """The full job document (protocol 4.1)."""
    return _document(state, await _job(state, scope, job_id))


@router.get("/{job_id}/status/v/1")
async def get_job_status(job_id: JobIdParam, scope: ScopeDep, state: StateDep) -> dict[str, Any]:
    """``{"status", "infoQueue"?}``; ``infoQueue`` only while ``QUEUED``."""
    record = await _job(state, scope, job_id)
    info = state.scheduler.queue_info(record)
    return _wire(JobStatusResponse(status=record.status, info_queue=info))


@router.post("/{job_id}/jobDataUploaded")
async def job_data_uploaded(job_id: JobIdParam, scope: ScopeDep, state: StateDep) -> dict[str, Any]:
    """The Qobj is uploaded: check it is a Qobj, then queue the job for validation and
    execution (owner only).

    An upload that is not a Qobj (not a JSON object, or ``experiments`` not a list) ends the
    job at once as ``ERROR_VALIDATING_JOB`` (code 1101), its upload removed: the reply's
    document carries the ``error``, which the client reports as a failed submission. A
    PulseQobj is accepted (the reply is the job as accepted), its summary recorded, and the
    job then fails validation (code 1102) without reaching a worker: the service cannot
    simulate pulse schedules. A job past ``CREATING`` is answered with its document (the
    call is idempotent).
    """
    record = await _own_job(state, scope, job_id)
    if record.status != ApiJobStatus.CREATING:
        record = await state.scheduler.upload_complete(record)
        return {"job": _document(state, record)}
    uploads = state.store.uploads if isinstance(state.store, FileJobStore) else None
    if uploads is None:
        if not await state.store.has_payload(job_id, QOBJ):
            raise _not_uploaded(job_id)
        return {"job": _document(state, await state.scheduler.upload_complete(record))}
    async with uploads.lock(job_id):
        checked: UploadCheck
        if uploads.exists(job_id):
            checked = await uploads.inspect(job_id)
        else:
            payload = await state.store.get_payload(job_id, QOBJ)
            if payload is None:
                raise _not_uploaded(job_id)
            checked = await asyncio.to_thread(inspect_qobj, payload)
        if checked.pulse:
            return {"job": _document(state, await _refuse_pulse(state, record, checked))}
        problem = checked.problem
        if problem is None:
            record = await state.scheduler.upload_complete(record)
            return {"job": _document(state, record)}
        failed = await state.scheduler.transition(
            job_id,
            ApiJobStatus.ERROR_VALIDATING_JOB,
            expect={ApiJobStatus.CREATING},
            error=(problem.code, problem.message),
        )
        if failed is not None:
            uploads.remove(job_id)
    current = failed or await state.store.get(job_id) or record
    return {"job": _document(state, current)}


async def _refuse_pulse(state: ServiceState, record: JobRecord, checked: UploadCheck) -> JobRecord:
    """Accept a PulseQobj (recording its summary), then fail it as a device fails a job it
    cannot validate: ``CREATED -> VALIDATING -> ERROR_VALIDATING_JOB``. It never reaches the
    queue, so no worker sees it. Returns the job as accepted, so the submission succeeds and
    the failure shows as the job's status and error."""
    summary = checked.pulse_summary
    config = summary.get("summary", {}).get("qobj_config", {}) if summary else {}
    shots = config.get("shots")
    accepted = await state.scheduler.transition(
        record.id,
        ApiJobStatus.CREATED,
        expect={ApiJobStatus.CREATING},
        shots=shots if isinstance(shots, int) and not isinstance(shots, bool) else None,
        summary=summary,
    )
    if accepted is None:
        return await state.store.get(record.id) or record
    scheduler = state.scheduler
    if await scheduler.transition(
        record.id, ApiJobStatus.VALIDATING, expect={ApiJobStatus.CREATED}
    ):
        refusal = pulse_refusal(record.backend)
        await scheduler.transition(
            record.id,
            ApiJobStatus.ERROR_VALIDATING_JOB,
            expect={ApiJobStatus.VALIDATING},
            error=(refusal.code, refusal.message),
        )
    return accepted


def _not_uploaded(job_id: str) -> ApiError:
    return ApiError(ApiErrorCode.JOB_DATA_NOT_UPLOADED, f"No data was uploaded for job {job_id}.")


@router.get("/{job_id}/resultDownloadUrl")
async def result_download_url(
    job_id: JobIdParam, request: Request, scope: ScopeDep, state: StateDep
) -> dict[str, Any]:
    """A presigned URL of the Result JSON; 400 while there is none."""
    record = await _job(state, scope, job_id)
    if not await state.store.has_payload(job_id, RESULT):
        raise ApiError(
            ApiErrorCode.RESULT_NOT_AVAILABLE,
            f"Job {job_id} has no result (status {record.status}).",
        )
    return _wire(DownloadUrl(url=storage_url(request, state, "GET", job_id, RESULT)))


@router.post("/{job_id}/resultDownloaded")
async def result_downloaded(job_id: JobIdParam, scope: ScopeDep, state: StateDep) -> dict[str, Any]:
    """Acknowledge a result download. Results are kept, so this changes nothing."""
    await _job(state, scope, job_id)
    return {}


@router.get("/{job_id}/jobDownloadUrl")
async def job_download_url(
    job_id: JobIdParam, request: Request, scope: ScopeDep, state: StateDep
) -> dict[str, Any]:
    """A presigned URL of the uploaded Qobj."""
    await _job(state, scope, job_id)
    if not await state.store.has_payload(job_id, QOBJ):
        raise _not_uploaded(job_id)
    return _wire(DownloadUrl(url=storage_url(request, state, "GET", job_id, QOBJ)))


@router.post("/{job_id}/cancel")
async def cancel_job(job_id: JobIdParam, scope: ScopeDep, state: StateDep) -> dict[str, Any]:
    """Cancel a job that is not final yet (owner only).

    The uploaded Qobj of a job that never ran is removed with it; that of a job stopped
    while running stays downloadable.
    """
    record = await _own_job(state, scope, job_id)
    if record.final or await state.scheduler.cancel(record) is None:
        current = await state.store.get(job_id)
        status = current.status if current else record.status
        raise ApiError(
            ApiErrorCode.JOB_NOT_CANCELLABLE,
            f"Job {job_id} cannot be cancelled: it is already {status}.",
        )
    if record.status in _NEVER_RAN and isinstance(state.store, FileJobStore):
        state.store.uploads.remove(job_id)
    return _wire(CancelResponse(cancelled=True))


@router.put("/{job_id}")
async def update_job(
    job_id: JobIdParam, request: Request, scope: ScopeDep, state: StateDep
) -> dict[str, Any]:
    """Replace the job's ``name`` and/or ``tags`` (owner only); the response echoes them."""
    await _own_job(state, scope, job_id)
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise invalid_request("The request body must be a JSON object.") from None
    if not isinstance(body, dict) or not body or not set(body) <= {"name", "tags"}:
        raise invalid_request("Send a JSON object with 'name' and/or 'tags'.")
    if "name" in body and not isinstance(body["name"], str):
        raise invalid_request("'name' must be a string.")
    tags = body.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise invalid_request("'tags' must be a list of strings.")
    await state.scheduler.update_document(job_id, name=body.get("name"), tags=body.get("tags"))
    return body


@router.get("/{job_id}/properties")
async def job_properties(job_id: JobIdParam, scope: ScopeDep, state: StateDep) -> Response:
    """The calibration the job's device had when the job ran (or was created, if it never
    ran); ``{}`` for the simulator."""
    record = await _job(state, scope, job_id)
    await state.loaded_catalog()
    steps = record.doc.time_per_step or {}
    when = steps.get(ApiJobStatus.RUNNING.value, record.doc.creation_date)
    calibration = state.calibrations.newest(record.backend, at=when)
    if calibration is None:  # a job older than the device's first calibration: the closest
        calibration = next(iter(state.calibrations.history(record.backend)), None)
    return _json(calibration.body if calibration is not None else b"{}")
