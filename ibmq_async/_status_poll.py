"""The shared status poll of a project: jobs that wait without the status websocket.

Every job of one project (one :class:`AsyncProjectApi`) whose wait fell back to polling
joins the project's :class:`AsyncStatusPoller`. One waiter at a time leads a round: one job
listing filtered by id (100 ids per request) looks at every job of the group, then every
waiter applies its own job's status, as a status poll would, and calls its callback. The
others wait on a signal: no background task or thread is needed, and the pace of the
rounds (see ``_core/status_poll.py``) does not depend on how many jobs wait.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._acompat import Signal, StateLock, monotonic
from ._core.exceptions import IBMQApiError, IBMQJobApiError, IBMQJobTimeoutError
from ._core.models import ApiJobStatus, JobStatusResponse
from ._core.status_poll import Look, PollBook, Ticket, chunks
from ._core.statuses import FINAL_API_STATUSES
from ._core.submission import is_ambiguous
from ._rest import AsyncProjectApi

if TYPE_CHECKING:
    from .job import AsyncIBMQJob

logger = logging.getLogger(__name__)

IDLE_WAIT = 10.0
"""Seconds a waiter that keeps no time sleeps at most before it looks at the group again."""


class AsyncStatusPoller:
    """Waits for the final state of a project's jobs with one status request per round."""

    def __init__(self, api: AsyncProjectApi) -> None:
        self._api = api
        self._book = PollBook()
        self._lock = StateLock()
        self._signal = Signal()

    def __repr__(self) -> str:
        book = self._book
        return (
            f"<{type(self).__name__} {self._api.hgp} jobs={len(book.job_ids)} "
            f"interval={book.interval:.2f} requests={book.requests}>"
        )

    @property
    def book(self) -> PollBook:
        """The group's bookkeeping (read it, do not change it)."""
        return self._book

    async def wait_for(
        self,
        job: AsyncIBMQJob,
        deadline: float | None,
        wait: float,
        saw: Callable[[], None],
    ) -> None:
        """Wait, within the group, until ``job`` reaches a final state.

        Args:
            job: the job; its status is updated at each round, as a status poll would.
            deadline: the ``monotonic()`` time to give up at (``None``: never); the job is
                looked at once at least, even if it has passed already.
            wait: the longest interval between two looks at the job, in seconds.
            saw: called after each look at the job.

        Raises:
            IBMQJobTimeoutError: the deadline passed first.
            IBMQJobApiError: a round failed in a way that will not pass.
        """
        with self._lock:
            ticket = self._book.join(job.job_id(), wait)
        try:
            while True:
                with self._lock:
                    look = self._book.news(ticket)
                if look is not None:
                    if await self._take(job, look, saw):
                        return
                    continue
                if await self._lead_or_wait(ticket, deadline):
                    raise IBMQJobTimeoutError(f"Timeout while waiting for job {job.job_id()}.")
        finally:
            with self._lock:
                kept_time = self._book.timekeeper is ticket
                self._book.leave(ticket)
            if kept_time:
                self._signal.notify(1)  # someone else keeps time now

    async def _lead_or_wait(self, ticket: Ticket, deadline: float | None) -> bool:
        """Lead the next round if it is due, else wait for a change; ``True`` when the
        deadline passed (after a look at the job)."""
        now = monotonic()
        with self._lock:
            book = self._book
            generation = self._signal.generation
            expired = deadline is not None and now >= deadline
            if expired and ticket.looked:
                return True
            due = book.due()
            lead = not book.polling and now >= due
            if lead:
                number, job_ids = book.start_round()
                book.timekeeper, book.timekeeper_until = None, float("inf")
            else:
                keep_time = not book.polling and (
                    book.timekeeper is None or due < book.timekeeper_until
                )
                if keep_time:
                    book.timekeeper, book.timekeeper_until = ticket, due
                pause = due - now if keep_time else IDLE_WAIT
                if deadline is not None and not expired:
                    pause = min(pause, deadline - now)
        if lead:
            await self._lead(number, job_ids)
            return False
        try:
            await self._signal.wait(generation, max(pause, 0.0))
        finally:
            with self._lock:
                if book.timekeeper is ticket:
                    book.timekeeper, book.timekeeper_until = None, float("inf")
        return False

    async def _lead(self, number: int, job_ids: list[str]) -> None:
        """Look at ``job_ids`` for round ``number``, and wake the group."""
        try:
            for chunk in chunks(job_ids):
                try:
                    replies = await self._api.job_statuses(chunk)
                except IBMQApiError as exc:
                    logger.debug("Shared status poll of %d jobs failed: %s", len(chunk), exc)
                    with self._lock:
                        self._book.record(number, chunk, error=exc)
                else:
                    with self._lock:
                        self._book.record(number, chunk, replies)
        finally:
            with self._lock:
                self._book.end_round(monotonic())
            self._signal.notify()

    async def _take(self, job: AsyncIBMQJob, look: Look, saw: Callable[[], None]) -> bool:
        """Apply ``look`` to ``job``; ``True`` when the job is final."""
        try:
            if look.error is not None:
                raise look.error
            if look.reply is None:
                # The listing left the job out: look at it on its own.
                await job._poll_status()
            else:
                _apply_listed(job, look.reply)
                if job.api_status() in FINAL_API_STATUSES:
                    await job.refresh()
        except IBMQJobApiError as exc:
            # A failed look is no answer: keep waiting until the deadline, unless the
            # failure is one that will not pass.
            if not is_ambiguous(exc):
                raise
            logger.debug("Job %s: a status poll failed (%s); polling on", job.job_id(), exc)
            return job.api_status() in FINAL_API_STATUSES
        saw()
        return job.api_status() in FINAL_API_STATUSES


def _apply_listed(job: AsyncIBMQJob, reply: JobStatusResponse) -> None:
    """Apply a listed status to ``job``. A listing may leave out the queue info of a queued
    job: the last one known is kept then, while the job stays queued."""
    queued = ApiJobStatus.QUEUED
    if reply.info_queue is None and reply.status == queued and job.api_status() == queued:
        reply = reply.model_copy(update={"info_queue": job._queue_info})
    job._apply(reply)


_POLLERS: weakref.WeakKeyDictionary[AsyncProjectApi, AsyncStatusPoller] = (
    weakref.WeakKeyDictionary()
)
_POLLERS_LOCK = threading.Lock()


def shared_poller(api: AsyncProjectApi) -> AsyncStatusPoller:
    """The status poller of the project ``api`` speaks to (one per project)."""
    with _POLLERS_LOCK:
        poller = _POLLERS.get(api)
        if poller is None:
            poller = _POLLERS[api] = AsyncStatusPoller(api)
        return poller
