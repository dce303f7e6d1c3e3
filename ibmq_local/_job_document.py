"""Job records and the job document the API serves (protocol 4.1 and 4.2)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ibmq_async._status import FINAL_API_STATUSES
from ibmq_async.models.job import ApiJobKind, ApiJobStatus

from ._dates import format_iso
from .errors import client_ready_message

# The status strings and their finality come from the client's protocol module, so that the
# service and the SDK cannot drift apart.
CREATING = ApiJobStatus.CREATING.value
CREATED = ApiJobStatus.CREATED.value
VALIDATING = ApiJobStatus.VALIDATING.value
VALIDATED = ApiJobStatus.VALIDATED.value
QUEUED = ApiJobStatus.QUEUED.value
RUNNING = ApiJobStatus.RUNNING.value
COMPLETED = ApiJobStatus.COMPLETED.value
CANCELLED = ApiJobStatus.CANCELLED.value
ERROR_CREATING_JOB = ApiJobStatus.ERROR_CREATING_JOB.value
ERROR_VALIDATING_JOB = ApiJobStatus.ERROR_VALIDATING_JOB.value
ERROR_RUNNING_JOB = ApiJobStatus.ERROR_RUNNING_JOB.value

FINAL_STATUSES = frozenset(status.value for status in FINAL_API_STATUSES)
"""API statuses after which a job never changes again."""

KIND = ApiJobKind.QOBJECT_STORAGE.value
RUN_MODE = "fairshare"


def new_job_id() -> str:
    """A fresh job id: 24 lowercase hex characters, like IBM's."""
    return secrets.token_hex(12)


@dataclass
class JobRecord:
    """One job as stored: indexed columns plus the served document and private metadata."""

    id: str
    user_id: str
    hub: str
    group: str
    project: str
    backend: str
    status: str
    created_at: str
    doc: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        """Whether the job is in a final state."""
        return self.status in FINAL_STATUSES

    def belongs_to(self, user_id: str, hub: str, group: str, project: str) -> bool:
        """Whether the job is ``user_id``'s, in ``hub/group/project``."""
        return (self.user_id, self.hub, self.group, self.project) == (user_id, hub, group, project)


def client_info(header_value: str | None) -> dict[str, str] | None:
    """Parse ``X-Qx-Client-Application`` (``names/versions``) into ``clientInfo``."""
    if not header_value:
        return None
    name, _, version = header_value.partition("/")
    return {"name": name, "version": version}


def new_job_record(
    *,
    job_id: str,
    user_id: str,
    hub: str,
    group: str,
    project: str,
    backend: str,
    created: datetime,
    name: str | None,
    tags: list[str] | None,
    experiment_tag: str | None,
    live_data_enabled: bool | None,
    client: dict[str, str] | None,
) -> JobRecord:
    """Build the record of a job that was just created (status ``CREATING``)."""
    created_iso = format_iso(created)
    doc: dict[str, Any] = {
        "id": job_id,
        "kind": KIND,
        "creationDate": created_iso,
        "status": CREATING,
        "backend": {"name": backend},
        "tags": list(tags or []),
        "timePerStep": {CREATING: created_iso},
        "runMode": RUN_MODE,
        "liveDataEnabled": bool(live_data_enabled),
        "allowObjectStorage": True,
        "hubInfo": {"hub": {"name": hub}, "group": {"name": group}, "project": {"name": project}},
        "userId": user_id,
    }
    if name:
        doc["name"] = name
    if experiment_tag:
        doc["experimentTag"] = experiment_tag
    if client:
        doc["clientInfo"] = client
    return JobRecord(
        id=job_id,
        user_id=user_id,
        hub=hub,
        group=group,
        project=project,
        backend=backend,
        status=CREATING,
        created_at=created_iso,
        doc=doc,
    )


def apply_status(
    record: JobRecord,
    status: str,
    when: datetime,
    *,
    error: tuple[int, str] | None = None,
) -> None:
    """Move ``record`` to ``status`` in place, recording the step time (and error)."""
    moment = format_iso(when)
    record.status = status
    record.doc["status"] = status
    record.doc.setdefault("timePerStep", {})[status] = moment
    if status in FINAL_STATUSES:
        record.doc["endDate"] = moment
    if error is not None:
        record.doc["error"] = {"code": int(error[0]), "message": client_ready_message(error[1])}
