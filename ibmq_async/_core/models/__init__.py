"""Typed pydantic models of the IBM Quantum API documents, one module per resource."""

from ._base import SnakeModel, UtcDatetime, WireModel
from .account import GroupInfo, HubInfo, LoginResponse, ProjectInfo, UserInfo, UserUrls
from .configuration import BackendConfiguration, GateConfig
from .defaults import PulseDefaults
from .job import (
    ApiJobKind,
    ApiJobStatus,
    BackendRef,
    CancelResponse,
    DownloadUrl,
    JobCreated,
    JobCreateRequest,
    JobDocument,
    JobError,
    JobStatusResponse,
    QueueInfo,
    UploadInfo,
)
from .job_limit import BackendJobLimit
from .properties import BackendProperties, BackendPropertyError, GateProperties, Nduv
from .qobj import (
    QasmQobj,
    QasmQobjConfig,
    QasmQobjExperiment,
    QasmQobjExperimentConfig,
    QasmQobjExperimentHeader,
    QasmQobjInstruction,
    QobjHeader,
)
from .reservation import BackendReservation
from .status import BackendStatus, BackendStatusResponse

__all__ = [
    "ApiJobKind",
    "ApiJobStatus",
    "BackendConfiguration",
    "BackendJobLimit",
    "BackendProperties",
    "BackendPropertyError",
    "BackendRef",
    "BackendReservation",
    "BackendStatus",
    "BackendStatusResponse",
    "CancelResponse",
    "DownloadUrl",
    "GateConfig",
    "GateProperties",
    "GroupInfo",
    "HubInfo",
    "JobCreateRequest",
    "JobCreated",
    "JobDocument",
    "JobError",
    "JobStatusResponse",
    "LoginResponse",
    "Nduv",
    "ProjectInfo",
    "PulseDefaults",
    "QasmQobj",
    "QasmQobjConfig",
    "QasmQobjExperiment",
    "QasmQobjExperimentConfig",
    "QasmQobjExperimentHeader",
    "QasmQobjInstruction",
    "QobjHeader",
    "QueueInfo",
    "SnakeModel",
    "UploadInfo",
    "UserInfo",
    "UserUrls",
    "UtcDatetime",
    "WireModel",
]
