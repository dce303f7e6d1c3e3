"""``AsyncIBMQJob``: one job on an IBM Quantum backend."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from qiskit.providers import JobStatus
from qiskit.result import Result

from ._acompat import monotonic, sleep
from ._api import ProjectPaths
from ._session import AsyncSession
from ._status import FINAL_API_STATUSES, NEVER_RAN_STATUSES, to_job_status
from .exceptions import (
    IBMQApiError,
    IBMQJobApiError,
    IBMQJobFailureError,
    IBMQJobInvalidStateError,
    IBMQJobTimeoutError,
)
from .models.job import (
    ApiJobStatus,
    CancelResponse,
    DownloadUrl,
    JobDocument,
    JobStatusResponse,
    QueueInfo,
)

if TYPE_CHECKING:
    from .backend import AsyncIBMQBackend

logger = logging.getLogger(__name__)

StatusCallback = Callable[[str, JobStatus, "AsyncIBMQJob", QueueInfo | None], None]
"""``callback(job_id, status, job, queue_info)``, called on each status change."""

FIRST_POLL = 0.1
"""Seconds before the second status poll; later polls back off towards the interval."""


class AsyncIBMQJob:
    """A job submitted to a backend, as ``qiskit-ibmq-provider``'s ``IBMQJob``, but awaitable.

    Obtain one from :meth:`AsyncIBMQBackend.run`. Methods that talk to the API are coroutines;
    the identity accessors (``job_id()``, ``name()``, ``tags()``...) are plain methods.
    """

    def __init__(
        self,
        backend: AsyncIBMQBackend,
        session: AsyncSession,
        paths: ProjectPaths,
        document: JobDocument,
    ) -> None:
        self._backend = backend
        self._session = session
        self._paths = paths
        self._document = document
        self._status = document.status
        self._queue_info = document.info_queue
        self._result: Result | None = None

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
        """A copy of the job's tags."""
        return list(self._document.tags)

    def creation_date(self) -> datetime:
        """When the job was created, in local time."""
        return self._document.creation_date.astimezone()

    def api_status(self) -> ApiJobStatus:
        """The last API status seen, without a request."""
        return self._status

    def document(self) -> JobDocument:
        """The last job document received from the server."""
        return self._document

    def _url(self, suffix: str = "") -> str:
        return self._paths.job(self.job_id(), suffix)

    async def refresh(self) -> None:
        """Fetch the full job document again (``GET {job}/v/1``).

        Raises:
            IBMQJobApiError: when the request fails or the document is malformed.
        """
        try:
            payload = await self._session.json("GET", self._url("v/1"))
            document = JobDocument.model_validate(payload)
        except IBMQApiError as exc:
            raise IBMQJobApiError.wrap(exc, f"Unable to refresh job {self.job_id()}") from None
        except ValidationError as exc:
            raise IBMQJobApiError(f"Malformed job document for {self.job_id()}: {exc}") from None
        self._document = document
        self._status = document.status
        self._queue_info = document.info_queue

    async def _poll_status(self) -> ApiJobStatus:
        try:
            payload = await self._session.json("GET", self._url("status/v/1"))
            reply = JobStatusResponse.model_validate(payload)
        except IBMQApiError as exc:
            raise IBMQJobApiError.wrap(
                exc, f"Error checking the status of job {self.job_id()}"
            ) from None
        except ValidationError as exc:
            raise IBMQJobApiError(f"Malformed status of job {self.job_id()}: {exc}") from None
        self._status = reply.status
        self._queue_info = reply.info_queue if reply.status == ApiJobStatus.QUEUED else None
        if reply.status in FINAL_API_STATUSES:
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
        if refresh:
            await self.status()
        return self._queue_info.position if self._queue_info else None

    async def wait_for_final_state(
        self,
        timeout: float | None = None,
        wait: float = 5.0,
        callback: StatusCallback | None = None,
    ) -> JobStatus:
        """Wait until the job reaches a final state, polling its status.

        Args:
            timeout: seconds to wait at most; ``None`` waits forever.
            wait: the longest interval between two polls, in seconds. Polls start fast and
                back off towards it.
            callback: called with ``(job_id, status, job, queue_info)`` on each change.

        Returns:
            The final status.

        Raises:
            IBMQJobTimeoutError: the deadline passed first.
            IBMQJobApiError: a status request failed.
        """
        if wait <= 0:
            raise IBMQJobInvalidStateError(f"wait must be positive, not {wait!r}.")
        deadline = None if timeout is None else monotonic() + timeout
        interval = min(FIRST_POLL, wait)
        last: tuple[ApiJobStatus, int | None] | None = None
        while True:
            status = await self.status()
            seen = (self._status, self._queue_info.position if self._queue_info else None)
            if callback is not None and seen != last:
                callback(self.job_id(), status, self, self._queue_info)
            last = seen
            if self._status in FINAL_API_STATUSES:
                return status
            if deadline is not None:
                remaining = deadline - monotonic()
                if remaining <= 0:
                    raise IBMQJobTimeoutError(f"Timeout while waiting for job {self.job_id()}.")
                await sleep(min(interval, remaining))
            else:
                await sleep(interval)
            interval = min(interval * 1.5, wait)

    async def _download_result(self) -> dict[str, Any]:
        try:
            link = DownloadUrl.model_validate(
                await self._session.json("GET", self._url("resultDownloadUrl"))
            )
            payload = await self._session.json("GET", link.url, authenticated=False, storage=True)
        except IBMQApiError as exc:
            raise IBMQJobApiError.wrap(
                exc, f"Unable to download the result of job {self.job_id()}"
            ) from None
        except ValidationError as exc:
            raise IBMQJobApiError(f"Malformed result link for {self.job_id()}: {exc}") from None
        try:
            await self._session.request("POST", self._url("resultDownloaded"))
        except IBMQApiError as exc:
            logger.warning(
                "Could not mark the result of job %s as downloaded: %s", self.job_id(), exc
            )
        if not isinstance(payload, dict):
            raise IBMQJobApiError(f"Malformed result of job {self.job_id()}: not an object.")
        return payload

    async def error_message(self) -> str | None:
        """Why the job failed, or ``None`` if it did not; waits for a final state first."""
        await self.wait_for_final_state()
        if to_job_status(self._status) is not JobStatus.ERROR:
            return None
        if self._status not in NEVER_RAN_STATUSES:
            try:
                payload = await self._download_result()
            except IBMQJobApiError:
                payload = {}
            failed = [
                f"Experiment {i}: {item.get('status', 'failed')}"
                for i, item in enumerate(payload.get("results") or [])
                if not item.get("success", False)
            ]
            if failed:
                return "The following experiments failed:\n" + "\n".join(failed)
        if self._document.error is not None:
            return self._document.error.describe()
        return self._status.value

    async def result(
        self,
        timeout: float | None = None,
        wait: float = 5.0,
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
            IBMQJobInvalidStateError: the job was cancelled.
            IBMQJobFailureError: the job failed; the message says why.
            IBMQJobTimeoutError: the deadline passed first.
            IBMQJobApiError: the API failed a request.
        """
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
                if message and "\n" in message:
                    message = "Use job.error_message() to get more details."
                raise IBMQJobFailureError(
                    f"Unable to retrieve result for job {self.job_id()}. Job has failed: {message}"
                )
        else:
            payload = await self._download_result()
        try:
            self._result = Result.from_dict(payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise IBMQJobApiError(f"Malformed result of job {self.job_id()}: {exc}") from None
        return self._result

    async def cancel(self) -> bool:
        """Ask the server to cancel the job; return whether it was cancelled.

        Raises:
            IBMQJobApiError: the request failed (for example the job already finished).
        """
        try:
            payload = await self._session.json("POST", self._url("cancel"))
        except IBMQApiError as exc:
            raise IBMQJobApiError.wrap(exc, f"Unable to cancel job {self.job_id()}") from None
        reply = CancelResponse.model_validate(payload if isinstance(payload, dict) else {})
        cancelled = reply.cancelled and "error" not in (reply.model_extra or {})
        if cancelled:
            await self.refresh()
        return cancelled
