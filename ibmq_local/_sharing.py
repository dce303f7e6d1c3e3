"""Who may see a job: its owner, and others as its ``shareLevel`` allows.

A job belongs to the user who created it, in the hub/group/project it was created in. A caller
acts in one of their own projects (the ``{hgp}`` of the request path), and sees a job when

* it is their own job, in that project; or
* its ``shareLevel`` reaches that project from the job's:

  ========== =========================================================
  ``global`` every project (so every user)
  ``hub``    projects of the job's hub
  ``group``  projects of the job's hub and group
  ``project`` the job's own project (its other members)
  ``none``   nobody but the owner (also when ``shareLevel`` is absent)
  ========== =========================================================

Seeing a job means reading it: its document, status, properties, Qobj and result download
URLs, and finding it in job listings. Changing it (``jobDataUploaded``, cancel, rename/retag)
stays with its owner in its project: anyone else who can see it gets a 403, anyone who cannot
gets the same 404 as for a job id that does not exist, so ids leak nothing.

:func:`visible` is the rule on one job; :meth:`ibmq_local._store.JobStore.documents` states the
same rule in SQL for listings.
"""

from __future__ import annotations

from typing import Any

from ibmq_async._core.run_options import SHARE_LEVELS

from ._job_document import JobOwner, JobRecord
from .errors import invalid_request

SHARED_PREFIX = {"global": 0, "hub": 1, "group": 2, "project": 3}
"""Per share level that opens a job to others: how many leading parts of hub/group/project a
viewer's project must have in common with the job's."""


def check_share_level(value: Any) -> str | None:
    """The ``shareLevel`` of a job creation request, lowercased; ``None`` when absent.

    Raises:
        ApiError: ``INVALID_REQUEST`` (400) for anything but one of :data:`SHARE_LEVELS`.
    """
    if value is None:
        return None
    if isinstance(value, str) and value.lower() in SHARE_LEVELS:
        return value.lower()
    raise invalid_request(f"Invalid shareLevel {value!r}: use one of {', '.join(SHARE_LEVELS)}.")


def shared_level(share_level: str | None) -> str | None:
    """The share level as the store indexes it: ``None`` unless it opens the job to others."""
    return share_level if share_level in SHARED_PREFIX else None


def visible(job: JobRecord, viewer: JobOwner) -> bool:
    """Whether ``viewer`` (a user acting in one of their projects) may read ``job``."""
    if job.belongs_to(*viewer):
        return True
    common = SHARED_PREFIX.get(job.doc.share_level or "none")
    if common is None:
        return False
    here = (viewer.hub, viewer.group, viewer.project)
    return (job.hub, job.group, job.project)[:common] == here[:common]
