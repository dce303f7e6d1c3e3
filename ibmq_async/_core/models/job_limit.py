"""Backend job limit (``GET {bk}/jobsLimit``)."""

from __future__ import annotations

from pydantic import Field

from ._base import WireModel


class BackendJobLimit(WireModel):
    """How many unfinished jobs this account may have on a backend.

    ``maximum_jobs`` is ``None`` when there is no limit (the server sends ``-1``).
    """

    maximum_jobs: int | None
    active_jobs: int = Field(alias="runningJobs")

    def model_post_init(self, context: object, /) -> None:
        if self.maximum_jobs is not None and self.maximum_jobs < 0:
            self.maximum_jobs = None

    @property
    def remaining_jobs(self) -> int | None:
        """Jobs that can still be submitted, or ``None`` when unlimited."""
        if self.maximum_jobs is None:
            return None
        return max(self.maximum_jobs - self.active_jobs, 0)
