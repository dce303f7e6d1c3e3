"""Job sets: how a batch of experiments is split into jobs, and how its jobs are named and
tagged so that the set can be found again (protocol.md section 8).

The wire facts follow the original job manager: each job is named ``<set name>_<index>_`` and
tagged ``ibmq_jobset_<set id>_``. One more tag, ``ibmq_jobset_<set id>_layout_<n>_<size>``,
records the split (``n`` experiments in jobs of ``size``), so that a set whose submitter died
half-way can be rebuilt from the server alone, and its missing jobs told apart from its
submitted ones.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

from .exceptions import IBMQJobManagerInvalidStateError

JOBSET_TAG_PREFIX = "ibmq_jobset_"
"""Tags that start with this belong to the job manager, not to the user."""

_PART_NAME = re.compile(r"^(.*)_([0-9]+)_$")
_LAYOUT = re.compile(r"^ibmq_jobset_(.+)_layout_([0-9]+)_([0-9]+)$")


def new_job_set_id() -> str:
    """A fresh job set id: a random hex string, a dash and the time in microseconds."""
    return f"{uuid.uuid4().hex}-{str(time.time()).replace('.', '')}"


def job_set_tag(job_set_id: str) -> str:
    """The tag every job of set ``job_set_id`` carries."""
    return f"{JOBSET_TAG_PREFIX}{job_set_id}_"


def part_name(set_name: str, index: int) -> str:
    """The name of job number ``index`` of a set named ``set_name``."""
    return f"{set_name}_{index}_"


def parse_part_name(name: str | None) -> tuple[str, int] | None:
    """``(set name, index)`` from a job name, or ``None`` if it is not a set's job."""
    match = _PART_NAME.match(name or "")
    return (match.group(1), int(match.group(2))) if match else None


def user_tags(tags: list[str]) -> list[str]:
    """``tags`` without the job manager's own."""
    return [tag for tag in tags if not tag.startswith(JOBSET_TAG_PREFIX)]


@dataclass(frozen=True)
class Layout:
    """How ``experiments`` experiments are split into jobs of at most ``size``."""

    experiments: int
    size: int

    @classmethod
    def plan(cls, experiments: int, backend_max: int | None, user_max: int | None) -> Layout:
        """The split of ``experiments`` for a backend that takes ``backend_max`` per job
        (``None``: no limit) and a caller who asked for at most ``user_max``.

        Raises:
            IBMQJobManagerInvalidStateError: there is nothing to run, or ``user_max`` is not a
                positive integer.
        """
        if experiments <= 0:
            raise IBMQJobManagerInvalidStateError("There are no experiments to run.")
        if user_max is not None and (
            isinstance(user_max, bool) or not isinstance(user_max, int) or user_max <= 0
        ):
            raise IBMQJobManagerInvalidStateError(
                f"max_experiments_per_job must be a positive integer, not {user_max!r}."
            )
        limits = [m for m in (backend_max, user_max) if m]
        return cls(experiments, min(limits) if limits else experiments)

    @property
    def jobs(self) -> int:
        """How many jobs the set has."""
        return -(-self.experiments // self.size)

    def part(self, index: int) -> range:
        """The experiments (global indexes) of job ``index``."""
        start = index * self.size
        return range(start, min(start + self.size, self.experiments))

    def locate(self, experiment: int) -> tuple[int, int]:
        """``(job index, index inside the job)`` of global experiment ``experiment``.

        Raises:
            IndexError: there is no such experiment.
        """
        if not 0 <= experiment < self.experiments:
            raise IndexError(f"experiment {experiment} is outside 0..{self.experiments - 1}")
        return divmod(experiment, self.size)

    def tag(self, job_set_id: str) -> str:
        """The tag that records this layout on every job of set ``job_set_id``."""
        return f"{JOBSET_TAG_PREFIX}{job_set_id}_layout_{self.experiments}_{self.size}"

    @classmethod
    def from_tags(cls, job_set_id: str, tags: list[str]) -> Layout | None:
        """The layout recorded in a job's tags, or ``None`` when it carries none."""
        for tag in tags:
            match = _LAYOUT.match(tag)
            if match and match.group(1) == job_set_id:
                experiments, size = int(match.group(2)), int(match.group(3))
                if experiments > 0 and size > 0:
                    return cls(experiments, size)
        return None
