"""Job records and the job document the API serves (protocol 4.1 and 4.2).

The document is the client's own :class:`~ibmq_async._core.models.job.JobDocument`: the service
builds, changes, stores and serves it through that model, so a field the client does not know,
or knows under another name or type, fails here first instead of drifting apart silently.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from ibmq_async._core.dates import format_iso
from ibmq_async._core.models.job import (
    ApiJobKind,
    BackendRef,
    JobCreateRequest,
    JobDocument,
    JobError,
    JobHubInfo,
    NameRef,
)
from ibmq_async._core.statuses import FINAL_API_STATUSES, ApiJobStatus

from .errors import client_ready_message

KIND = ApiJobKind.QOBJECT_STORAGE
"""Every job's Qobj and result go through (emulated) object storage."""
RUN_MODE = "fairshare"


class JobOwner(NamedTuple):
    """Who submitted a job, and where: the owner columns of a job record."""

    user_id: str
    hub: str
    group: str
    project: str


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
    created_at: str
    doc: JobDocument
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> ApiJobStatus:
        """The job's current API status (the document's)."""
        return self.doc.status

    @property
    def final(self) -> bool:
        """Whether the job is in a final state."""
        return self.status in FINAL_API_STATUSES

    def belongs_to(self, user_id: str, hub: str, group: str, project: str) -> bool:
        """Whether the job is ``user_id``'s, in ``hub/group/project``."""
        return (self.user_id, self.hub, self.group, self.project) == (user_id, hub, group, project)


def client_info(header_value: str | None) -> dict[str, str] | None:
    """Parse ``X-Qx-Client-Application`` (``names/versions``) into ``clientInfo``."""
    if not header_value:
        return None
    name, _, version = header_value.partition("/")
    return {"name": name, "version": version}


def parse_document(text: str | bytes) -> JobDocument:
    """Read a stored document (JSON text) back into the model."""
    return JobDocument.model_validate_json(text)


def dump_document(doc: JobDocument) -> dict[str, Any]:
    """The document as served: camelCase keys, ``...000Z`` dates, unset optional keys absent."""
    # exclude_none, not exclude_unset: a field set back to None (never done today) must
    # vanish from the wire as it did when documents were plain dicts.
    return doc.model_dump(mode="json", by_alias=True, exclude_none=True)


def document_json(doc: JobDocument) -> str:
    """The document as stored: the JSON text of :func:`dump_document`."""
    return doc.model_dump_json(by_alias=True, exclude_none=True)


def new_job_record(
    *,
    job_id: str,
    owner: JobOwner,
    created: datetime,
    request: JobCreateRequest,
    client: dict[str, str] | None,
) -> JobRecord:
    """Build the record of a job that was just created (status ``CREATING``)."""
    creating = ApiJobStatus.CREATING
    doc = JobDocument(
        id=job_id,
        kind=KIND,
        creation_date=created,
        status=creating,
        backend=BackendRef(name=request.backend.name),
        tags=list(request.tags or []),
        time_per_step={creating.value: created},
        run_mode=RUN_MODE,
        live_data_enabled=bool(request.live_data_enabled),
        allow_object_storage=True,
        hub_info=JobHubInfo(
            hub=NameRef(name=owner.hub),
            group=NameRef(name=owner.group),
            project=NameRef(name=owner.project),
        ),
        user_id=owner.user_id,
        # Empty strings are left out, as the legacy client leaves them out of its request.
        name=request.name or None,
        experiment_tag=request.experiment_tag or None,
        client_info=client or None,
        share_level=request.share_level or None,
    )
    return JobRecord(
        id=job_id,
        user_id=owner.user_id,
        hub=owner.hub,
        group=owner.group,
        project=owner.project,
        backend=request.backend.name,
        created_at=format_iso(created),
        doc=doc,
    )


def apply_status(
    record: JobRecord,
    status: ApiJobStatus,
    when: datetime,
    *,
    error: tuple[int, str] | None = None,
) -> None:
    """Move ``record`` to ``status`` in place, recording the step time (and error)."""
    doc = record.doc
    doc.status = status
    # Re-entering a status (RUNNING -> QUEUED on restart) keeps its place in the order.
    doc.time_per_step = {**(doc.time_per_step or {}), status.value: when}
    if status in FINAL_API_STATUSES:
        doc.end_date = when
    if error is not None:
        doc.error = JobError(code=int(error[0]), message=client_ready_message(error[1]))
