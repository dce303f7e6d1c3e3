"""What a job set reports as it goes: one event per job submitted or finished."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Stage = Literal["submitted", "finished"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a job set.

    Attributes:
        stage: ``"submitted"`` (the job reached the server, or failed to) or ``"finished"``
            (its result came back, or it failed).
        job_index: the job's index in the set.
        jobs: how many jobs the set has.
        submitted: jobs that reached the server so far.
        finished: jobs whose wait ended so far.
        job_id: the server's id of the job, when it has one.
        error: why the step failed, or ``None``.
    """

    stage: Stage
    job_index: int
    jobs: int
    submitted: int
    finished: int
    job_id: str | None = None
    error: str | None = None


ProgressCallback = Callable[[ProgressEvent], None]
"""Called after every step of a job set (from the thread or task that made the step)."""
