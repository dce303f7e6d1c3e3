"""``AsyncIBMQJob``: one job on an IBM Quantum backend."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from qiskit.circuit import QuantumCircuit
from qiskit.providers import JobStatus
from qiskit.result import Result

from ._acompat import monotonic
from ._core.defaults import POLL_WAIT
from ._core.disassemble import QobjFormatError, qobj_to_circuits
from ._core.exceptions import (
    IBMQApiError,
    IBMQApiProtocolError,
    IBMQJobApiError,
    IBMQJobApiProtocolError,
    IBMQJobFailureError,
    IBMQJobInvalidStateError,
)
from ._core.html_reprs import job_html
from ._core.jobs import failed_experiments, failure_summary, new_tags
from ._core.models import (
    ApiJobStatus,
    BackendProperties,
    JobDocument,
    JobStatusResponse,
    QueueInfo,
)
from ._core.pulse import is_pulse_qobj, qiskit_has_pulse, qobj_to_schedules
from ._core.statuses import FINAL_API_STATUSES, NEVER_RAN_STATUSES, to_job_status
from ._core.submission import internal_tags, is_ambiguous, user_tags
from ._core.validate import check_flag, check_wait_arguments
from ._core.websocket import WebSocketClosed
from ._rest import AsyncProjectApi
from ._status_poll import shared_poller

if TYPE_CHECKING:
    from .backend import AsyncIBMQBackend

logger = logging.getLogger(__name__)

StatusCallback = Callable[[str, JobStatus, "AsyncIBMQJob", QueueInfo | None], None]
"""``callback(job_id, status, job, queue_info)``, called on each status change."""


class AsyncIBMQJob:
    """A job submitted to a backend, as ``qiskit-ibmq-provider``'s ``IBMQJob``, but awaitable.

    Obtain one from :meth:`AsyncIBMQBackend.run`. API methods are coroutines; the identity
    accessors (``job_id()``, ``name()``, ``tags()``...) are plain methods.
    """

    def __init__(
        self,
        backend: AsyncIBMQBackend,
        api: AsyncProjectApi,
        document: JobDocument,
        qobj: dict[str, Any] | None = None,
    ) -> None:
        self._backend = backend
        self._api = api
        self._document = document
        self._status = document.status
        self._queue_info = document.info_queue
        self._result: Result | None = None
        self._qobj: dict[str, Any] | None = qobj

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.job_id()} {self._status.value}>"

    def job_id(self) -> str:
        """The job's id on the server."""
        return self._document.id

    def backend(self) -> AsyncIBMQBackend:
        """The backend the job runs on."""
        return self._backend

    def name(self) -> str | None:
        """The job's name, if it has one."""
        return self._document.name

    def tags(self) -> list[str]:
        """A copy of the job's tags (without the SDK's internal run token)."""
        return user_tags(self._document.tags)

    def creation_date(self) -> datetime:
        """When the job was created, in local time."""
        return self._document.creation_date.astimezone()

    def api_status(self) -> ApiJobStatus:
        """The last API status seen, without a request."""
        return self._status

    def last_status(self) -> JobStatus:
        """The last status seen, as qiskit's ``JobStatus``, without a request (a listed
        job's is the listing's); :meth:`status` asks the server."""
        return to_job_status(self._status)

    def document(self) -> JobDocument:
        """The last job document received from the server."""
        return self._document

    @property
    def client_version(self) -> dict[str, str]:
        """``{client name: version}`` of the client that submitted the job (``clientInfo``)."""
        info = self._document.client_info or {}
        name, version = str(info.get("name", "")), str(info.get("version", ""))
        if not name:
            return {}
        if name.startswith("qiskit"):
            return dict(zip(name.split(","), version.split(","), strict=False))
        return {name: version}

    @property
    def experiment_id(self) -> str | None:
        """The experiment id the job belongs to (``experimentTag``), if any."""
        return self._document.experiment_tag

    def share_level(self) -> str:
        """Who may see the job: ``global``, ``hub``, ``group``, ``project`` or ``none``."""
        return self._document.share_level or "none"

    def submit(self) -> None:
        """Not supported: jobs are submitted by ``backend.run()``."""
        raise NotImplementedError(
            "job.submit() is not supported. Please use IBMQBackend.run() to submit a job."
        )

    async def time_per_step(self) -> dict[str, datetime] | None:
        """When the job entered each step, in local time; ``None`` if not known yet.

        Asks the server when the job is not final or the steps are missing.
        """
        if not self._document.time_per_step or self._status not in FINAL_API_STATUSES:
            await self.refresh()
        steps = self._document.time_per_step
        if not steps:
            return None
        return {step: moment.astimezone() for step, moment in steps.items()}

    async def scheduling_mode(self) -> str | None:
        """How the job is scheduled (``fairshare`` or ``dedicated``), if known."""
        if self._document.run_mode is None:
            await self.refresh()
            if self._document.run_mode is None and to_job_status(self._status) in (
                JobStatus.RUNNING,
                JobStatus.DONE,
            ):
                return "fairshare"
        return self._document.run_mode

    async def update_name(self, name: str) -> str | None:
        """Give the job a new name; return it.

        Raises:
            IBMQJobInvalidStateError: ``name`` is not a string (nothing is sent).
            IBMQJobApiError: the server did not update the name.
        """
        if not isinstance(name, str):
            raise IBMQJobInvalidStateError(f"'{name!r}' is not a valid job name: use a string.")
        await self._api.job_update(self.job_id(), {"name": name})
        self._document = self._document.model_copy(update={"name": name})
        return self._document.name

    async def update_tags(
        self,
        replacement_tags: list[str] | None = None,
        additional_tags: list[str] | None = None,
        removal_tags: list[str] | None = None,
    ) -> list[str]:
        """Replace, add and remove tags, in that order; return the job's new tags.

        Tags that start with ``ibmq_jobset_`` belong to a job set and are always kept.

        Raises:
            IBMQJobInvalidStateError: no argument, or one that is not a list of strings
                (nothing is sent).
            IBMQJobApiError: the server did not update the tags.
        """
        tags = new_tags(self.tags(), replacement_tags, additional_tags, removal_tags)
        tags += internal_tags(self._document.tags)
        await self._api.job_update(self.job_id(), {"tags": tags})
        self._document = self._document.model_copy(update={"tags": tags})
        return self.tags()

    async def properties(self) -> BackendProperties | None:
        """The calibration of the backend the job ran with, or ``None``."""
        return await self._api.job_properties(self.job_id())

    async def _job_qobj(self) -> dict[str, Any]:
        if self._qobj is None:
            url = await self._api.job_qobj_url(self.job_id())
            self._qobj = await self._api.job_qobj(self.job_id(), url)
        return self._qobj

    async def backend_options(self) -> dict[str, Any]:
        """The run options the job was submitted with (the Qobj config)."""
        config = (await self._job_qobj()).get("config")
        return dict(config) if isinstance(config, dict) else {}

    async def circuits(self) -> list[QuantumCircuit] | list[Any]:
        """The circuits the job ran, rebuilt from its Qobj (one per experiment; the classical
        bits form one register ``c``, as in the Qobj's memory slots).

        A pulse job gives its pulse ``Schedule`` objects back, with qiskit 1.x.

        Raises:
            IBMQJobInvalidStateError: a pulse job, with a qiskit that has no pulse (2.0 on).
            IBMQJobApiProtocolError: the job's Qobj cannot be read back.
        """
        qobj = await self._job_qobj()
        if is_pulse_qobj(qobj):
            if not qiskit_has_pulse():
                raise IBMQJobInvalidStateError(
                    f"Job {self.job_id()} ran pulse schedules, which this qiskit cannot rebuild: "
                    "pulse left Qiskit in 2.0. Its Qobj config and header are still available "
                    "(backend_options(), header())."
                )
            try:
                return qobj_to_schedules(qobj)
            except ValueError as exc:
                raise IBMQJobApiProtocolError(
                    f"The job data of job {self.job_id()} cannot be read back: {exc}"
                ) from None
        try:
            return qobj_to_circuits(qobj)
        except QobjFormatError as exc:
            raise IBMQJobApiProtocolError(
                f"The job data of job {self.job_id()} cannot be read back: {exc}"
            ) from None

    async def header(self) -> dict[str, Any]:
        """The user header the job was submitted with (the Qobj header)."""
        header = (await self._job_qobj()).get("header")
        return dict(header) if isinstance(header, dict) else {}

    async def refresh(self) -> None:
        """Fetch the full job document again (``GET {job}/v/1``).

        Raises:
            IBMQJobApiError: when the request fails or the document is malformed.
        """
        document = await self._api.job_get(self.job_id())
        self._document = document
        self._status = document.status
        self._queue_info = document.info_queue
        self._saw_status()

    def _apply(self, reply: JobStatusResponse) -> None:
        self._status = reply.status
        self._queue_info = reply.info_queue if reply.status == ApiJobStatus.QUEUED else None
        self._saw_status()

    def _saw_status(self) -> None:
        if self._status in FINAL_API_STATUSES:
            # A final job no longer counts against the backend's job limit.
            self._backend._job_final(self.job_id())

    async def _poll_status(self) -> ApiJobStatus:
        self._apply(await self._api.job_status(self.job_id()))
        if self._status in FINAL_API_STATUSES:
            await self.refresh()
        return self._status

    async def status(self) -> JobStatus:
        """The job's status; asks the server unless the job already reached a final state."""
        if self._status not in FINAL_API_STATUSES:
            await self._poll_status()
        return to_job_status(self._status)

    async def done(self) -> bool:
        """Whether the job finished successfully."""
        return await self.status() is JobStatus.DONE

    async def running(self) -> bool:
        """Whether the job is running."""
        return await self.status() is JobStatus.RUNNING

    async def cancelled(self) -> bool:
        """Whether the job was cancelled."""
        return await self.status() is JobStatus.CANCELLED

    async def in_final_state(self) -> bool:
        """Whether the job reached a final state (done, cancelled or error)."""
        return await self.status() in (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.ERROR)

    async def queue_info(self) -> QueueInfo | None:
        """Where the job stands in the queue, or ``None`` when it is not queued."""
        await self.status()
        return self._queue_info

    async def queue_position(self, refresh: bool = False) -> int | None:
        """The job's position in the queue, or ``None``; ``refresh`` asks the server."""
        check_flag("refresh", refresh)
        if refresh:
            await self.status()
        return self._queue_info.position if self._queue_info else None

    async def wait_for_final_state(
        self,
        timeout: float | None = None,
        wait: float = POLL_WAIT,
        callback: StatusCallback | None = None,
    ) -> JobStatus:
        """Wait until the job reaches a final state.

        The job's status websocket is followed first; without it, the job joins the shared
        status poll of its project: one request per interval looks at every job of the
        project that waits (see ``_status_poll.py``).

        Args:
            timeout: seconds to wait at most; ``None`` waits forever.
            wait: the longest interval between two looks at the job's status, in seconds.
                Looks start fast and back off towards it while nothing changes.
            callback: called with ``(job_id, status, job, queue_info)`` on each change.

        Returns:
            The final status.

        Raises:
            IBMQJobTimeoutError: the deadline passed first.
            IBMQJobApiError: a status request failed.
        """
        check_wait_arguments(timeout, wait, callback)
        deadline = None if timeout is None else monotonic() + timeout
        watch = _Watch(self, callback)
        if self._status not in FINAL_API_STATUSES:
            try:
                async for update in self._api.job_status_updates(self.job_id(), deadline):
                    self._apply(update)
                    watch.saw()
                if self._status in FINAL_API_STATUSES:
                    await self.refresh()
            except (WebSocketClosed, IBMQApiProtocolError, OSError, TimeoutError) as exc:
                # Any failure of the stream leaves the polling below to finish the wait.
                logger.debug("Job %s: status websocket ended (%r); polling", self.job_id(), exc)
            except IBMQJobApiError as exc:
                if not is_ambiguous(exc):
                    raise
                logger.debug("Job %s: refresh failed (%s); polling", self.job_id(), exc)
        if self._status not in FINAL_API_STATUSES:
            # Without the websocket, the project's waiting jobs share one status poll.
            await shared_poller(self._api).wait_for(self, deadline, wait, watch.saw)
        else:
            watch.saw()
        return to_job_status(self._status)

    async def _download_result(self) -> dict[str, Any]:
        url = await self._api.job_result_url(self.job_id())
        payload = await self._api.job_result(self.job_id(), url)
        try:
            await self._api.job_result_downloaded(self.job_id())
        except IBMQApiError as exc:
            logger.warning(
                "Could not mark the result of job %s as downloaded: %s", self.job_id(), exc
            )
        return payload

    async def error_message(self) -> str | None:
        """Why the job failed, or ``None`` if it did not; waits for a final state first."""
        await self.wait_for_final_state()
        if to_job_status(self._status) is not JobStatus.ERROR:
            return None
        if self._status not in NEVER_RAN_STATUSES:
            try:
                report = failed_experiments(await self._download_result())
            except IBMQJobApiError:
                report = None
            if report is not None:
                return report
        if self._document.error is not None:
            return self._document.error.describe()
        return self._status.value

    async def result(
        self,
        timeout: float | None = None,
        wait: float = POLL_WAIT,
        partial: bool = False,
        refresh: bool = False,
    ) -> Result:
        """Wait for the job to finish and return its result.

        Args:
            timeout: seconds to wait at most; ``None`` waits forever.
            wait: the longest interval between two status polls.
            partial: return what results exist even if some experiments failed.
            refresh: download the result again instead of using the cached one.

        Raises:
            IBMQJobInvalidStateError: the job was cancelled, or an argument is invalid
                (nothing is sent then).
            IBMQJobFailureError: the job failed; the message says why.
            IBMQJobTimeoutError: the deadline passed first.
            IBMQJobApiError: the API failed a request.
        """
        check_wait_arguments(timeout, wait)
        check_flag("partial", partial)
        check_flag("refresh", refresh)
        if self._result is not None and not refresh:
            return self._result
        status = await self.wait_for_final_state(timeout=timeout, wait=wait)
        if status is JobStatus.CANCELLED:
            raise IBMQJobInvalidStateError(
                f"Unable to retrieve result for job {self.job_id()}. Job was cancelled."
            )
        if status is JobStatus.ERROR:
            payload = None
            if partial and self._status not in NEVER_RAN_STATUSES:
                payload = await self._download_result()
            if not payload or not payload.get("results"):
                message = await self.error_message()
                raise IBMQJobFailureError(failure_summary(self.job_id(), message))
        else:
            payload = await self._download_result()
        try:
            self._result = Result.from_dict(payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IBMQJobApiProtocolError(
                f"Malformed result of job {self.job_id()}: {exc!r}"
            ) from None
        return self._result

    async def cancel(self) -> bool:
        """Ask the server to cancel the job; return whether it was cancelled.

        Raises:
            IBMQJobApiError: the request failed (for example the job already finished).
        """
        cancelled = await self._api.job_cancel(self.job_id())
        if cancelled:
            await self.refresh()
        return cancelled

    def _repr_html_(self) -> str:
        """A summary for Jupyter: the job as last seen (no request)."""
        return job_html(
            type(self).__name__,
            self._document,
            api_status=self._status,
            backend=self._backend.name(),
            tags=self.tags(),
            queue_info=self._queue_info,
        )


class _Watch:
    """Calls a status callback when the job's status or queue position changes."""

    def __init__(self, job: AsyncIBMQJob, callback: StatusCallback | None) -> None:
        self._job = job
        self._callback = callback
        self._last: tuple[ApiJobStatus, int | None] | None = None

    def saw(self) -> None:
        job = self._job
        info = job._queue_info
        seen = (job.api_status(), info.position if info else None)
        if self._callback is not None and seen != self._last:
            self._callback(job.job_id(), to_job_status(seen[0]), job, info)
        self._last = seen
