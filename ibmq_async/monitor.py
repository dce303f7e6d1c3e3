"""Live status lines for a job and for a job set, as ``qiskit-ibmq-provider``'s ``job_monitor``.

``await job_monitor(job)`` writes ``Job Status: job is queued (2)`` and redraws that one line
as the job moves on, until it reaches a final state; ``await job_set_monitor(job_set)`` does
the same with how many of the set's jobs are in each status. The line is redrawn with a
carriage return, so it updates in place in a terminal and in a Jupyter cell's output alike.

Both follow the jobs with their own waiting (``wait_for_final_state``: the status websocket,
then polling with backoff until one deadline), so they ask the server no more often than
waiting for a result does. The text comes from ``_core/monitor_lines.py``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import TextIO

from qiskit.providers import JobStatus

from ._acompat import Limiter, StateLock, TaskGroup, monotonic
from ._core.defaults import POLL_WAIT
from ._core.exceptions import (
    IBMQJobApiError,
    IBMQJobError,
    IBMQJobInvalidStateError,
    IBMQJobManagerInvalidStateError,
    IBMQJobManagerTimeoutError,
    IBMQJobTimeoutError,
)
from ._core.models import QueueInfo
from ._core.monitor_lines import StatusLine, check_monitor_arguments, job_line, job_set_line
from ._core.statuses import FINAL_API_STATUSES, to_job_status
from .job import AsyncIBMQJob
from .managed import MAX_CONCURRENT_PARTS, AsyncManagedJobSet

logger = logging.getLogger(__name__)


class _Printer:
    """Writes one status line to ``output`` and redraws it; writes nothing when quiet."""

    def __init__(self, output: TextIO | None, quiet: bool) -> None:
        # Standard output is looked up per call: Jupyter and pytest replace it.
        self._output = output if output is not None else sys.stdout
        self._quiet = quiet
        self._line = StatusLine()

    def show(self, line: str) -> None:
        if not self._quiet:
            self._write(self._line.update(line))

    def finish(self) -> None:
        if not self._quiet:
            self._write(self._line.finish())

    def _write(self, text: str | None) -> None:
        if text:
            self._output.write(text)
            flush = getattr(self._output, "flush", None)
            if callable(flush):
                flush()


def _job_line(job: AsyncIBMQJob, queue_info: QueueInfo | None) -> str:
    status = to_job_status(job.api_status())
    error = job.document().error
    return job_line(status, queue_info, error.describe() if error is not None else None)


async def job_monitor(
    job: AsyncIBMQJob,
    interval: float | None = None,
    output: TextIO | None = None,
    *,
    quiet: bool = False,
    timeout: float | None = None,
) -> JobStatus:
    """Show the job's status on one line, redrawn as it changes, until the job is final.

    The line gives the job's position while it is queued (and the estimated wait, when the
    server gives one), and why it failed if it did. The job is followed by its own
    ``wait_for_final_state``: over the status websocket, or by polls that never come faster
    than ``interval``'s backoff allows.

    Args:
        job: the job to follow.
        interval: the longest time between two status polls, in seconds, when the status
            websocket is not available (default: the job's own, 5 seconds).
        output: the text file to write to (default: standard output at the time of the call).
        quiet: write nothing; just wait.
        timeout: seconds to wait at most; ``None`` waits as long as it takes.

    Returns:
        The job's final status.

    Raises:
        IBMQJobInvalidStateError: a bad argument; nothing was sent.
        IBMQJobTimeoutError: the job was not final in time (the line shows the last status).
        IBMQJobApiError: the server failed a status request, for good.
    """
    if not isinstance(job, AsyncIBMQJob):
        raise IBMQJobInvalidStateError(
            f"job_monitor() follows a job of this SDK, not {type(job).__name__}."
        )
    check_monitor_arguments(interval, timeout, quiet, output, IBMQJobInvalidStateError)
    printer = _Printer(output, quiet)

    def changed(
        _job_id: str, _status: JobStatus, seen: AsyncIBMQJob, queue_info: QueueInfo | None
    ) -> None:
        printer.show(_job_line(seen, queue_info))

    document = job.document()
    printer.show(
        _job_line(job, document.info_queue if document.status == job.api_status() else None)
    )
    try:
        status = await job.wait_for_final_state(
            timeout=timeout, wait=interval or POLL_WAIT, callback=changed
        )
        printer.show(_job_line(job, None))  # the error message arrives with the final document
    finally:
        printer.finish()
    return status


async def job_set_monitor(
    job_set: AsyncManagedJobSet,
    interval: float | None = None,
    output: TextIO | None = None,
    *,
    quiet: bool = False,
    timeout: float | None = None,
) -> list[JobStatus | None]:
    """Show how many of the set's jobs are in each status on one line, redrawn as they
    change, until every job is final: ``Job Set Status: 7 jobs: 2 queued, 1 running, 4 done``.

    The jobs are followed concurrently (at most ``MAX_CONCURRENT_PARTS`` at a time, as
    ``results()`` does), each by its own ``wait_for_final_state``, under one deadline.

    Args:
        job_set: the set to follow (run or retrieved).
        interval: the longest time between two status polls of a job, in seconds, when its
            status websocket is not available (default: the job's own, 5 seconds).
        output: the text file to write to (default: standard output at the time of the call).
        quiet: write nothing; just wait.
        timeout: seconds to wait at most, for the whole set; ``None`` waits as long as it
            takes.

    Returns:
        Each job's final status in set order; ``None`` for a job that never reached the server.

    Raises:
        IBMQJobManagerInvalidStateError: a bad argument, or a set without jobs; nothing was
            sent.
        IBMQJobManagerTimeoutError: some jobs were not final in time (the line shows the last
            counts).
    """
    if not isinstance(job_set, AsyncManagedJobSet):
        raise IBMQJobManagerInvalidStateError(
            f"job_set_monitor() follows a job set of this SDK, not {type(job_set).__name__}."
        )
    check_monitor_arguments(interval, timeout, quiet, output, IBMQJobManagerInvalidStateError)
    jobs = job_set.jobs()
    if not jobs:
        raise IBMQJobManagerInvalidStateError(
            "The job set has no jobs yet: run it or retrieve its jobs first."
        )
    statuses = [to_job_status(job.api_status()) if job is not None else None for job in jobs]
    printer = _Printer(output, quiet)
    lock = StateLock()
    deadline = None if timeout is None else monotonic() + timeout
    late: list[int] = []

    def changed(index: int, status: JobStatus) -> None:
        with lock:
            statuses[index] = status
            printer.show(job_set_line(statuses))

    async def follow(index: int, job: AsyncIBMQJob, waiting: Limiter) -> None:
        try:
            async with waiting.hold():
                # One poll first: a job that already finished then needs no status websocket.
                with contextlib.suppress(IBMQJobApiError):
                    await job.status()
                remaining = None if deadline is None else max(deadline - monotonic(), 0.0)
                await job.wait_for_final_state(
                    timeout=remaining,
                    wait=interval or POLL_WAIT,
                    callback=lambda _id, status, _job, _queue: changed(index, status),
                )
        except IBMQJobTimeoutError:
            late.append(index)
        except IBMQJobError as exc:
            logger.warning(
                "Job %s of set %s: no status: %s", job.job_id(), job_set.job_set_id(), exc
            )

    printer.show(job_set_line(statuses))
    pending = [
        (index, job)
        for index, job in enumerate(jobs)
        if job is not None and job.api_status() not in FINAL_API_STATUSES
    ]
    try:
        if pending:
            workers = min(len(pending), MAX_CONCURRENT_PARTS)
            waiting = Limiter(workers)
            async with TaskGroup(max_workers=workers) as group:
                for index, job in pending:
                    group.start_soon(follow, index, job, waiting)
    finally:
        printer.finish()
    if late:
        raise IBMQJobManagerTimeoutError(
            f"Timeout while waiting for jobs {sorted(late)} of job set {job_set.job_set_id()}."
        )
    return statuses
