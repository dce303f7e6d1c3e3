"""Job rules without I/O: the status poll schedule and the failure report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .defaults import FIRST_POLL, POLL_GROWTH


def poll_schedule(wait: float) -> Iterator[float]:
    """Seconds between status polls: fast at first, growing towards ``wait``."""
    interval = min(FIRST_POLL, wait)
    while True:
        yield interval
        interval = min(interval * POLL_GROWTH, wait)


def failed_experiments(result: dict[str, Any]) -> str | None:
    """The report of the experiments that failed in a Result document, or ``None``."""
    failed = [
        f"Experiment {i}: {item.get('status', 'failed')}"
        for i, item in enumerate(result.get("results") or [])
        if not item.get("success", False)
    ]
    if not failed:
        return None
    return "The following experiments failed:\n" + "\n".join(failed)


def failure_summary(job_id: str, message: str | None) -> str:
    """The message of ``IBMQJobFailureError``: one line, pointing at ``error_message()`` when
    the full report is longer."""
    if message and "\n" in message:
        message = "Use job.error_message() to get more details."
    return f"Unable to retrieve result for job {job_id}. Job has failed: {message}"
