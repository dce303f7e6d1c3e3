"""The text of ``job_monitor`` and ``job_set_monitor``: status lines, redrawn in place.

No I/O: ``ibmq_async/monitor.py`` (and its blocking twin) wait for the jobs and write what
these functions return. A line is redrawn by starting it with a carriage return, which a
terminal and Jupyter's stream output both honour; a shorter line is padded with spaces so that
nothing of the longer one before it stays visible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from qiskit.providers import JobStatus

from .models import QueueInfo

JOB_LABEL = "Job Status"
"""What a job's line starts with (as the legacy ``job_monitor``'s)."""

JOB_SET_LABEL = "Job Set Status"
"""What a job set's line starts with."""

NOT_SUBMITTED = "not submitted"
"""How a job of a set that never reached the server is counted."""

_ORDER = (
    JobStatus.INITIALIZING,
    JobStatus.VALIDATING,
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.CANCELLED,
    JobStatus.ERROR,
)
"""Statuses in the order a job passes through them: the order of a set's counts."""


def wait_time(start: datetime, now: datetime | None = None) -> str:
    """How long until ``start``, as ``1h 02m 03s`` (``0s`` once it has passed)."""
    now = now or datetime.now(UTC)
    seconds = max(int((start - now).total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {seconds:02d}s"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


def job_line(
    status: JobStatus,
    queue_info: QueueInfo | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> str:
    """One job's line: ``Job Status: job is queued (3) [Est. wait time: 2m 10s]``.

    Args:
        status: the status last seen.
        queue_info: where the job stands in the queue; shown only while it is queued.
        error: why the job failed; shown only for ``ERROR``, on the same line.
        now: the current time (for the estimated wait; default: now).
    """
    message = status.value
    if status is JobStatus.QUEUED and queue_info is not None:
        if queue_info.position is not None:
            message += f" ({queue_info.position})"
        if queue_info.estimated_start_time is not None:
            message += f" [Est. wait time: {wait_time(queue_info.estimated_start_time, now)}]"
    if status is JobStatus.ERROR and error:
        message += " - " + " ".join(error.split())
    return f"{JOB_LABEL}: {message}"


def status_counts(statuses: Iterable[JobStatus | None]) -> dict[str, int]:
    """How many jobs are in each status, in the order jobs pass through them; a ``None``
    (a job that never reached the server) counts as :data:`NOT_SUBMITTED`."""
    seen: dict[JobStatus | None, int] = {}
    for status in statuses:
        seen[status] = seen.get(status, 0) + 1
    counts = {NOT_SUBMITTED: seen[None]} if None in seen else {}
    for status in _ORDER:
        if status in seen:
            counts[status.name.lower()] = seen[status]
    return counts


def job_set_line(statuses: Iterable[JobStatus | None]) -> str:
    """A job set's line: ``Job Set Status: 7 jobs: 2 queued, 1 running, 4 done``."""
    found = list(statuses)
    counts = status_counts(found)
    noun = "job" if len(found) == 1 else "jobs"
    parts = ", ".join(f"{count} {name}" for name, count in counts.items())
    return f"{JOB_SET_LABEL}: {len(found)} {noun}" + (f": {parts}" if parts else "")


class StatusLine:
    """Turns successive lines into the text that redraws one output line in place.

    ``update(line)`` returns what to write (``None`` when the line did not change);
    ``finish()`` what ends the line once monitoring stops.
    """

    def __init__(self, line_discipline: str = "\r") -> None:
        self._discipline = line_discipline
        self._width = 0
        self._last: str | None = None

    @property
    def last(self) -> str | None:
        """The last line drawn, without padding."""
        return self._last

    def update(self, line: str) -> str | None:
        """The text that replaces the current line with ``line``, or ``None`` if unchanged."""
        if line == self._last:
            return None
        self._last = line
        padded = line.ljust(self._width)
        self._width = max(self._width, len(line))
        return self._discipline + padded

    def finish(self) -> str:
        """The text that ends the line (nothing when no line was drawn)."""
        return "\n" if self._last is not None else ""


def check_monitor_arguments(
    interval: Any, timeout: Any, quiet: Any, output: Any, error: type[Exception]
) -> None:
    """Reject monitor arguments that cannot be right, before anything is sent.

    ``interval`` is ``None`` or a positive finite number of seconds; ``timeout`` ``None`` or a
    finite number of seconds, 0 or more; ``quiet`` a bool; ``output`` ``None`` or an object
    with a ``write`` method.

    Raises:
        error: naming the bad argument and its value.
    """

    def seconds(value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value) if math.isfinite(value) else None

    if interval is not None and ((given := seconds(interval)) is None or given <= 0):
        raise error(f"interval must be None or a positive number of seconds, not {interval!r}.")
    if timeout is not None and ((given := seconds(timeout)) is None or given < 0):
        raise error(f"timeout must be None or a number of seconds (0 or more), not {timeout!r}.")
    if not isinstance(quiet, bool):
        raise error(f"quiet must be True or False, not {quiet!r}.")
    if output is not None and not callable(getattr(output, "write", None)):
        raise error(f"output must be a writable text file (with a write method), not {output!r}.")
