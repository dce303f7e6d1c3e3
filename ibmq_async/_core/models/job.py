"""Job documents (``GET {job}/v/1``, ``GET {job}/status/v/1``, ``POST {hgp}/Jobs``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from ..statuses import ApiJobStatus
from ._base import SnakeModel, UtcDatetime, WireModel

__all__ = [
    "ApiJobKind",
    "ApiJobStatus",
    "BackendRef",
    "CancelResponse",
    "DownloadUrl",
    "JobCreateRequest",
    "JobCreated",
    "JobDocument",
    "JobError",
    "JobHubInfo",
    "JobStatusResponse",
    "NameRef",
    "QueueInfo",
    "UploadInfo",
]


class ApiJobKind(StrEnum):
    """How a job's payload is stored."""

    QOBJECT = "q-object"
    QOBJECT_STORAGE = "q-object-external-storage"
    CIRCUIT = "q-circuit"


class JobError(WireModel):
    """The ``error`` of a failed job document."""

    code: int | None = None
    message: str = ""

    def describe(self) -> str:
        """The message in the legacy client's form: ``<message>. Error code: <code>.``."""
        if self.code is None:
            return self.message
        return f"{self.message}. Error code: {self.code}."


class QueueInfo(WireModel):
    """Where a queued job stands (``infoQueue``)."""

    position: int | None = None
    status: str | None = None
    estimated_start_time: UtcDatetime | None = None
    estimated_complete_time: UtcDatetime | None = None
    hub_priority: float | None = None
    group_priority: float | None = None
    project_priority: float | None = None


class BackendRef(SnakeModel):
    """The ``backend`` of a job document."""

    name: str


class NameRef(SnakeModel):
    """A ``{"name": ...}`` reference to a hub, group or project in ``hubInfo``."""

    name: str | None = None


class JobHubInfo(WireModel):
    """The ``hubInfo`` of a job document: the hub/group/project the job was submitted in."""

    hub: NameRef | None = None
    group: NameRef | None = None
    project: NameRef | None = None


class JobStatusResponse(WireModel):
    """The reply of ``GET {job}/status/v/1``."""

    status: ApiJobStatus
    info_queue: QueueInfo | None = None


class JobDocument(WireModel):
    """A job as the API describes it (protocol section 4.1)."""

    id: str
    creation_date: UtcDatetime
    status: ApiJobStatus
    kind: ApiJobKind | None = None
    backend: BackendRef | None = None
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    time_per_step: dict[str, UtcDatetime] | None = None
    error: JobError | None = None
    run_mode: str | None = None
    client_info: dict[str, Any] | None = None
    experiment_tag: str | None = None
    info_queue: QueueInfo | None = None
    live_data_enabled: bool | None = None
    share_level: str | None = None
    # The fields below are ignored by the legacy client (protocol 4.1); they are typed so
    # that the local service, which serves them, builds its documents through this model.
    shots: int | None = None
    end_date: UtcDatetime | None = None
    hub_info: JobHubInfo | None = None
    user_id: str | None = None
    allow_object_storage: bool | None = None
    summary_data: dict[str, Any] | None = None
    """What the service recorded about the job's Qobj (``summary.qobj_config``, ...)."""


class UploadInfo(WireModel):
    """Where to put a job's payload."""

    upload_url: str


class JobCreated(WireModel):
    """The reply of ``POST {hgp}/Jobs``."""

    id: str
    object_storage_info: UploadInfo


class JobCreateRequest(WireModel):
    """The body of ``POST {hgp}/Jobs``, in the field order the legacy client sent."""

    backend: BackendRef
    allow_object_storage: bool = True
    live_data_enabled: bool | None = None
    name: str | None = None
    tags: list[str] | None = None
    experiment_tag: str | None = None
    share_level: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The JSON body: ``liveDataEnabled`` always present, the optional rest only when set."""
        body: dict[str, Any] = {
            "backend": {"name": self.backend.name},
            "allowObjectStorage": self.allow_object_storage,
            "liveDataEnabled": self.live_data_enabled,
        }
        if self.name:
            body["name"] = self.name
        if self.tags:
            body["tags"] = list(self.tags)
        if self.experiment_tag:
            body["experimentTag"] = self.experiment_tag
        if self.share_level:
            body["shareLevel"] = self.share_level
        return body


class DownloadUrl(SnakeModel):
    """A presigned download location."""

    url: str


class CancelResponse(WireModel):
    """The reply of ``POST {job}/cancel``."""

    cancelled: bool = False
