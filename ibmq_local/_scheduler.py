"""Job lifecycle: validation, per-backend FIFO queues, dispatch to the worker pool.

Status flow (API strings)::

    CREATING -> CREATED -> VALIDATING -> VALIDATED -> QUEUED -> RUNNING -> COMPLETED
                                      \\-> ERROR_VALIDATING_JOB     \\-> ERROR_RUNNING_JOB
    any non-final state -> CANCELLED

Each backend runs one job at a time, like a device; at most ``max_workers`` backends run
at once. All state changes go through :meth:`JobScheduler.transition`, which never
touches a job that is already final, and wakes the job's watchers (:attr:`JobScheduler.events`).
Cancelling a running job stops its worker process, so the device is free at once.

After a crash (the process killed at any moment, SIGKILL included) or a stop, :meth:`start`
resumes from the store: jobs uploaded but not yet queued are validated again, ``QUEUED`` jobs
are queued again in creation order, and a job that was ``RUNNING`` goes back to ``QUEUED``
and is run again from the start, in its place in the queue (its worker died with the
service, and simulations are cheap to repeat, unlike a lost job). Its result replaces any
partial one. ``CREATING`` jobs keep waiting for their upload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from collections.abc import Coroutine, Iterable
from datetime import datetime, timedelta
from typing import Any

from ibmq_async._core.codes import ApiErrorCode, JobErrorCode
from ibmq_async._core.dates import format_iso, next_after, parse_iso, utc_now
from ibmq_async._core.models.job import JobCreateRequest, QueueInfo
from ibmq_async._core.statuses import ApiJobStatus
from ibmq_async._core.validate import JobValidationError, validate_qobj

from ._calibrations import CalibrationHistory
from ._catalog import BackendCatalog
from ._estimates import QueuedJob, Slot, estimate_schedule
from ._events import JobEvents
from ._job_document import JobOwner, JobRecord, apply_status, new_job_id, new_job_record
from ._pool import JobStopped, PoolClosed, WorkerCrashed, WorkerPool
from ._store import QOBJ, RESULT, JobStore
from ._summary import summary_data
from ._worker import ExecutionOutcome, ExecutionRequest
from .config import Settings
from .errors import ApiError

logger = logging.getLogger(__name__)
job_log = logging.getLogger("ibmq_local.jobs")
"""One INFO line per job creation and per status change (shown only if logging asks)."""

_DEFAULT_DURATION = 2.0
"""Expected run time of a job, in seconds, before a backend has run any."""
_UPLOAD_GRACE = timedelta(seconds=60)
"""How long after its upload URL expired a never-uploaded job is failed (at most)."""
_BEFORE_QUEUE = frozenset({ApiJobStatus.CREATED, ApiJobStatus.VALIDATING, ApiJobStatus.VALIDATED})
"""Uploaded but not yet queued: validation (re)starts from any of these."""


class JobScheduler:
    """Moves jobs through their states and runs them on the worker pool."""

    def __init__(
        self,
        store: JobStore,
        catalog: BackendCatalog,
        settings: Settings,
        pool: WorkerPool | None = None,
        calibrations: CalibrationHistory | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._settings = settings
        self._pool = pool or WorkerPool(settings.max_workers)
        self._calibrations = calibrations or CalibrationHistory(catalog, settings)
        self.events = JobEvents()
        """Wakes the watchers of a job when its status or queue position changes."""
        self._threads = max(1, (os.cpu_count() or 1) // settings.max_workers)
        self._lock = asyncio.Lock()
        # Held while a job is checked against the job limit and inserted, so two concurrent
        # creations cannot both take the last free slot.
        self._creation_lock = asyncio.Lock()
        self._queues: dict[str, deque[tuple[int, str]]] = {}
        self._sequence = 0
        self._running: dict[str, str] = {}
        self._started: dict[str, float] = {}
        """Per busy backend, when (``time.monotonic()``) its job started."""
        self._stops: dict[str, asyncio.Event] = {}
        """Per dispatched job, set to stop its simulation."""
        self._durations: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._last_created: datetime | None = None
        self._closing = False
        """Set by :meth:`close`: whatever fails from then on is shutdown, not a job error."""

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Resume unfinished jobs found in the store and start dispatching."""
        latest = await self._store.latest_creation()
        self._last_created = parse_iso(latest) if latest else None
        await self.expire_stale_uploads()
        for record in await self._store.unfinished():
            if record.status in _BEFORE_QUEUE:
                self._spawn(self._validate(record.id, _BEFORE_QUEUE))
            elif record.status in (ApiJobStatus.QUEUED, ApiJobStatus.RUNNING):
                if record.status == ApiJobStatus.RUNNING:
                    await self.transition(
                        record.id, ApiJobStatus.QUEUED, expect={ApiJobStatus.RUNNING}
                    )
                self._enqueue(record.backend, record.id)
        self._dispatcher = asyncio.create_task(self._dispatch_loop(), name="ibmq-local-dispatch")

    async def close(self) -> None:
        """Stop dispatching and shut the worker pool down, promptly.

        Jobs still running are abandoned (their workers are stopped) and go back to
        ``QUEUED``; they, the queued ones and those being validated stay in the store and
        run at next start.
        """
        self._closing = True
        running = list(self._running.values())
        tasks = [*self._tasks, *([self._dispatcher] if self._dispatcher else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await asyncio.to_thread(self._pool.close)
        except RuntimeError:
            # At interpreter exit no new threads may start: close in the loop's thread.
            self._pool.close()
        for job_id in running:
            try:
                await self.transition(job_id, ApiJobStatus.QUEUED, expect={ApiJobStatus.RUNNING})
            except Exception as exc:  # the next start re-queues it anyway
                logger.debug("cannot re-queue job %s: %r", job_id, exc)

    # -- creation and transitions -----------------------------------------------------------

    async def create_job(
        self,
        owner: JobOwner,
        request: JobCreateRequest,
        *,
        max_jobs: int,
        client: dict[str, str] | None = None,
    ) -> JobRecord:
        """Store a new job in ``CREATING``, if ``owner`` is below the backend's job limit.

        Args:
            owner: who submits the job, and in which hub/group/project.
            request: the body of ``POST {hgp}/Jobs``; its backend must exist.
            max_jobs: the most unfinished jobs ``owner`` may have on one backend; ``-1``
                for no limit.
            client: the ``clientInfo`` of the document.

        Raises:
            ApiError: ``JOB_LIMIT_REACHED`` when ``owner`` already has ``max_jobs``
                unfinished jobs on the backend.
        """
        backend = request.backend.name
        async with self._creation_lock:
            if max_jobs >= 0:
                # Jobs abandoned before upload would otherwise hold their slot for good.
                await self.expire_stale_uploads()
                active = await self._store.count_unfinished(*owner, backend)
                if active >= max_jobs:
                    raise ApiError(
                        ApiErrorCode.JOB_LIMIT_REACHED,
                        f"You have reached the limit of {max_jobs} concurrent jobs on backend "
                        f"{backend} in {owner.hub}/{owner.group}/{owner.project}",
                    )
            record = new_job_record(
                job_id=new_job_id(),
                owner=owner,
                created=self.next_creation_time(),
                request=request,
                client=client,
            )
            await self._store.insert(record)
        job_log.info("job %s: created on %s by %s in %s/%s/%s", record.id, backend, *owner)
        return record

    def next_creation_time(self) -> datetime:
        """A creation time strictly after every earlier one (millisecond resolution)."""
        self._last_created = next_after(utc_now(), self._last_created)
        return self._last_created

    async def transition(
        self,
        job_id: str,
        status: ApiJobStatus,
        *,
        expect: Iterable[ApiJobStatus] | None = None,
        error: tuple[int, str] | None = None,
        meta: dict[str, Any] | None = None,
        shots: int | None = None,
        summary: dict[str, Any] | None = None,
    ) -> JobRecord | None:
        """Move a job to ``status`` and persist it (with private ``meta``, and the served
        ``shots`` and ``summaryData``).

        Returns the updated record, or ``None`` when the job is missing, already final, or
        not in one of the ``expect`` statuses.
        """
        async with self._lock:
            record = await self._store.get(job_id)
            if record is None or record.final:
                return None
            if expect is not None and record.status not in set(expect):
                return None
            before = record.status
            apply_status(record, status, utc_now(), error=error)
            if meta:
                record.meta.update(meta)
            if shots is not None:
                record.doc.shots = shots
            if summary is not None:
                record.doc = record.doc.model_copy(update={"summary_data": summary})
            await self._store.save(record)
        if error is not None:
            job_log.info("job %s: %s -> %s (%s)", job_id, before.value, status.value, error[0])
        else:
            job_log.info("job %s: %s -> %s", job_id, before.value, status.value)
        self.events.changed([job_id])
        return record

    async def update_document(
        self, job_id: str, *, name: str | None = None, tags: list[str] | None = None
    ) -> JobRecord | None:
        """Replace the ``name`` and/or ``tags`` of a job, final or not (``None``: unchanged)."""
        async with self._lock:
            record = await self._store.get(job_id)
            if record is None:
                return None
            if name is not None:
                record.doc.name = name
            if tags is not None:
                record.doc.tags = list(tags)
            await self._store.save(record)
            return record

    async def upload_complete(self, record: JobRecord) -> JobRecord:
        """Handle ``jobDataUploaded``: ``CREATING -> CREATED``, then validate in background."""
        updated = await self.transition(
            record.id, ApiJobStatus.CREATED, expect={ApiJobStatus.CREATING}
        )
        if updated is None:
            return await self._store.get(record.id) or record
        self._spawn(self._validate(record.id, {ApiJobStatus.CREATED}))
        return updated

    async def cancel(self, record: JobRecord) -> JobRecord | None:
        """Cancel a job that is not final; ``None`` if it already was.

        A running job's worker process is stopped: the device takes its next job at once.
        """
        updated = await self.transition(record.id, ApiJobStatus.CANCELLED)
        if updated is None:
            return None
        stop = self._stops.get(record.id)
        if stop is not None:
            stop.set()
        queue = self._queues.get(record.backend)
        if queue:
            for entry in list(queue):
                if entry[1] == record.id:
                    queue.remove(entry)
                    self._queue_moved(record.backend)
        return updated

    async def expire_stale_uploads(self) -> None:
        """Fail jobs whose Qobj never arrived before their upload URL expired, and remove
        any Qobj that was uploaded but never declared."""
        ttl = timedelta(seconds=self._settings.url_ttl_seconds)
        cutoff = utc_now() - ttl - min(ttl, _UPLOAD_GRACE)
        for record in await self._store.unfinished(ApiJobStatus.CREATING):
            created = parse_iso(record.created_at)
            if created is not None and created < cutoff:
                expired = await self.transition(
                    record.id,
                    ApiJobStatus.ERROR_CREATING_JOB,
                    expect={ApiJobStatus.CREATING},
                    error=(
                        JobErrorCode.UPLOAD_EXPIRED,
                        "The job data was not uploaded before the upload URL expired",
                    ),
                )
                if expired is not None:
                    # Uploaded but never declared (no jobDataUploaded): the Qobj goes too.
                    await self._store.discard_upload(record.id)

    # -- queue information ----------------------------------------------------------------

    def queue_length(self, backend: str) -> int:
        """Jobs waiting (not running) on ``backend``."""
        return len(self._queues.get(backend, ()))

    def queue_info(self, record: JobRecord) -> QueueInfo | None:
        """The ``infoQueue`` object of a ``QUEUED`` job (protocol 4.3).

        ``position`` is the job's place in its backend's queue (1 = next). The estimated
        start and completion come from playing the dispatcher forward (see
        :mod:`ibmq_local._estimates`) with each backend's recent run times; a paused
        backend's queue does not move, so its jobs get no estimate.
        """
        if record.status != ApiJobStatus.QUEUED:
            return None
        return self._queue_info(record.backend, record.id)

    def queued_info(self, job_ids: Iterable[str]) -> dict[str, QueueInfo]:
        """The ``infoQueue`` of each of ``job_ids`` that waits in a queue (for listings)."""
        wanted = set(job_ids)
        found: dict[str, QueueInfo] = {}
        for backend, queue in self._queues.items():
            for _, job in queue:
                if job in wanted:
                    info = self._queue_info(backend, job)
                    if info is not None:
                        found[job] = info
        return found

    def _queue_info(self, backend: str, job_id: str) -> QueueInfo | None:
        queue = self._queues.get(backend, deque())
        position = next((i for i, (_, job) in enumerate(queue) if job == job_id), None)
        if position is None:
            return None
        info = QueueInfo(
            position=position + 1,
            status=ApiJobStatus.PENDING_IN_QUEUE.value,
            hub_priority=1.0,
            group_priority=1.0,
            project_priority=1.0,
        )
        slot = self._schedule().get(job_id)
        if slot is not None:
            now = utc_now()
            info.estimated_start_time = now + timedelta(seconds=slot.start)
            info.estimated_complete_time = now + timedelta(seconds=slot.end)
        return info

    def _expected_duration(self, backend: str) -> float:
        return self._durations.get(backend, _DEFAULT_DURATION)

    def _schedule(self) -> dict[str, Slot]:
        """Expected start and end (seconds from now) of every job in a moving queue."""
        queues = {
            backend: [QueuedJob(seq, job, self._expected_duration(backend)) for seq, job in queue]
            for backend, queue in self._queues.items()
            if queue and self._settings.backend_settings(backend).dispatching
        }
        now = time.monotonic()
        running = {
            backend: max(
                0.0, self._expected_duration(backend) - (now - self._started.get(backend, now))
            )
            for backend in self._running
        }
        return estimate_schedule(queues, running, self._settings.max_workers)

    def _queue_moved(self, backend: str) -> None:
        """Wake the watchers of the jobs still waiting on ``backend``: they moved up."""
        if self.events.watched():
            self.events.changed(job for _, job in self._queues.get(backend, ()))

    # -- internals ------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _enqueue(self, backend: str, job_id: str) -> None:
        self._sequence += 1
        self._queues.setdefault(backend, deque()).append((self._sequence, job_id))
        self._wake.set()

    async def _validate(self, job_id: str, expect: Iterable[ApiJobStatus]) -> None:
        try:
            record = await self.transition(job_id, ApiJobStatus.VALIDATING, expect=expect)
            if record is None:
                return
            await asyncio.to_thread(self._catalog.load)
            configuration = self._catalog.configuration(record.backend)
            payload = await self._store.get_payload(job_id, QOBJ)
            if configuration is None:
                raise JobValidationError(
                    JobErrorCode.UNKNOWN_BACKEND,
                    f"Backend {record.backend} is no longer served by this service.",
                )
            if payload is None:
                raise JobValidationError(JobErrorCode.MALFORMED_QOBJ, "No Qobj was uploaded.")
            summary = await asyncio.to_thread(validate_qobj, payload, configuration)
        except JobValidationError as exc:
            await self.transition(
                job_id, ApiJobStatus.ERROR_VALIDATING_JOB, error=(exc.code, exc.message)
            )
            return
        except Exception as exc:  # a validator bug must not leave the job VALIDATING
            if self._closing:  # e.g. no threads at interpreter exit: validate at next start
                logger.debug("validation of job %s abandoned: %r", job_id, exc)
                return
            logger.exception("cannot validate job %s", job_id)
            message = f"The Qobj could not be validated ({type(exc).__name__})"
            await self.transition(
                job_id,
                ApiJobStatus.ERROR_VALIDATING_JOB,
                error=(JobErrorCode.MALFORMED_QOBJ, message),
            )
            return
        validated = await self.transition(
            job_id,
            ApiJobStatus.VALIDATED,
            expect={ApiJobStatus.VALIDATING},
            meta={
                "qobj_id": summary.qobj_id,
                "shots": summary.shots,
                "experiments": summary.n_experiments,
            },
            shots=summary.shots,
            summary=summary_data(summary.qobj) if summary.qobj is not None else None,
        )
        if validated is not None and await self.transition(
            job_id, ApiJobStatus.QUEUED, expect={ApiJobStatus.VALIDATED}
        ):
            self._enqueue(validated.backend, job_id)

    async def _dispatch_loop(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            while not self._closing and len(self._running) < self._settings.max_workers:
                picked = self._pick()
                if picked is None:
                    break
                backend, job_id = picked
                self._running[backend] = job_id
                self._spawn(self._execute(backend, job_id))

    def _pick(self) -> tuple[str, str] | None:
        best: tuple[int, str, str] | None = None
        for backend, queue in self._queues.items():
            if not queue or backend in self._running:
                continue
            if not self._settings.backend_settings(backend).dispatching:
                continue
            sequence, job_id = queue[0]
            if best is None or sequence < best[0]:
                best = (sequence, backend, job_id)
        if best is None:
            return None
        self._queues[best[1]].popleft()
        self._queue_moved(best[1])
        return best[1], best[2]

    async def _execute(self, backend: str, job_id: str) -> None:
        self._stops[job_id] = asyncio.Event()
        try:
            await self._run_one(backend, job_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self._closing:  # abandoned: it runs again at next start
                logger.debug("job %s abandoned while the service stops: %r", job_id, exc)
                return
            logger.exception("internal error while running job %s", job_id)
            await self.transition(
                job_id,
                ApiJobStatus.ERROR_RUNNING_JOB,
                error=(JobErrorCode.SIMULATION_FAILED, "Internal error of the local service"),
            )
        finally:
            self._stops.pop(job_id, None)
            self._running.pop(backend, None)
            self._started.pop(backend, None)
            self._wake.set()

    async def _run_one(self, backend: str, job_id: str) -> None:
        record = await self.transition(job_id, ApiJobStatus.RUNNING, expect={ApiJobStatus.QUEUED})
        if record is None:
            return
        self._started[backend] = time.monotonic()
        await asyncio.to_thread(self._catalog.load)
        payload = await self._store.get_payload(job_id, QOBJ) or b"{}"
        configuration = self._catalog.configuration(backend) or {}
        request = ExecutionRequest(
            job_id=job_id,
            backend_name=backend,
            backend_version=str(configuration.get("backend_version", "0.0.0")),
            qobj_json=payload,
            # The device runs with the calibration it has now.
            snapshot=await asyncio.to_thread(self._calibrations.snapshot_at, backend),
            threads=self._threads,
        )
        started = time.monotonic()
        code = JobErrorCode.SIMULATION_FAILED
        try:
            outcome = await self._pool.run(request, self._stops.get(job_id))
        except (PoolClosed, JobStopped):
            return
        except WorkerCrashed as exc:
            code = JobErrorCode.WORKER_CRASHED
            outcome = _crash_outcome(record, request, str(exc))
        elapsed = time.monotonic() - started
        previous = self._durations.get(backend)
        self._durations[backend] = elapsed if previous is None else 0.7 * previous + 0.3 * elapsed

        current = await self._store.get(job_id)
        if current is None or current.final:
            return
        await self._store.put_payload(job_id, RESULT, outcome.result_json)
        if outcome.success:
            await self.transition(job_id, ApiJobStatus.COMPLETED, expect={ApiJobStatus.RUNNING})
        else:
            message = outcome.error_message or "The simulation failed"
            await self.transition(
                job_id,
                ApiJobStatus.ERROR_RUNNING_JOB,
                expect={ApiJobStatus.RUNNING},
                error=(code, message),
            )


def _crash_outcome(record: JobRecord, request: ExecutionRequest, message: str) -> ExecutionOutcome:
    result = {
        "backend_name": request.backend_name,
        "backend_version": request.backend_version,
        "qobj_id": record.meta.get("qobj_id", ""),
        "job_id": record.id,
        "success": False,
        "results": [],
        "date": format_iso(utc_now()),
        "status": "ERROR",
        "header": {},
        "error": {"code": int(JobErrorCode.WORKER_CRASHED), "message": message},
    }
    return ExecutionOutcome(False, json.dumps(result).encode(), message)
