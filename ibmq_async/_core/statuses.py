"""The job status vocabulary: the API's status strings, their finality, and ``JobStatus``."""

from __future__ import annotations

from enum import StrEnum

from qiskit.providers import JobStatus


class ApiJobStatus(StrEnum):
    """The status strings of the API, exactly as sent on the wire."""

    CREATING = "CREATING"
    CREATED = "CREATED"
    TRANSPILING = "TRANSPILING"
    TRANSPILED = "TRANSPILED"
    VALIDATING = "VALIDATING"
    VALIDATED = "VALIDATED"
    PENDING_IN_QUEUE = "PENDING_IN_QUEUE"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    ERROR_CREATING_JOB = "ERROR_CREATING_JOB"
    ERROR_VALIDATING_JOB = "ERROR_VALIDATING_JOB"
    ERROR_RUNNING_JOB = "ERROR_RUNNING_JOB"
    ERROR_TRANSPILING_JOB = "ERROR_TRANSPILING_JOB"


_TO_JOB_STATUS: dict[ApiJobStatus, JobStatus] = {
    ApiJobStatus.CREATING: JobStatus.INITIALIZING,
    ApiJobStatus.CREATED: JobStatus.INITIALIZING,
    ApiJobStatus.TRANSPILING: JobStatus.INITIALIZING,
    ApiJobStatus.TRANSPILED: JobStatus.INITIALIZING,
    ApiJobStatus.VALIDATING: JobStatus.VALIDATING,
    ApiJobStatus.VALIDATED: JobStatus.VALIDATING,
    ApiJobStatus.PENDING_IN_QUEUE: JobStatus.QUEUED,
    ApiJobStatus.QUEUED: JobStatus.QUEUED,
    ApiJobStatus.RUNNING: JobStatus.RUNNING,
    ApiJobStatus.COMPLETED: JobStatus.DONE,
    ApiJobStatus.CANCELLED: JobStatus.CANCELLED,
    ApiJobStatus.ERROR_CREATING_JOB: JobStatus.ERROR,
    ApiJobStatus.ERROR_VALIDATING_JOB: JobStatus.ERROR,
    ApiJobStatus.ERROR_RUNNING_JOB: JobStatus.ERROR,
    ApiJobStatus.ERROR_TRANSPILING_JOB: JobStatus.ERROR,
}

FINAL_API_STATUSES = frozenset(
    status
    for status, mapped in _TO_JOB_STATUS.items()
    if mapped in (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.ERROR)
)
"""API statuses after which a job never changes again."""

NEVER_RAN_STATUSES = frozenset(
    {
        ApiJobStatus.ERROR_CREATING_JOB,
        ApiJobStatus.ERROR_VALIDATING_JOB,
        ApiJobStatus.ERROR_TRANSPILING_JOB,
    }
)
"""Failed before execution: there is no result to download."""


def to_job_status(status: ApiJobStatus) -> JobStatus:
    """The qiskit ``JobStatus`` of an API status."""
    return _TO_JOB_STATUS[status]
