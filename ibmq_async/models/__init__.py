"""Typed pydantic models of the IBM Quantum API documents."""

from .configuration import BackendConfiguration, GateConfig
from .defaults import PulseDefaults
from .job import (
    ApiJobKind,
    ApiJobStatus,
    JobDocument,
    JobError,
    JobStatusResponse,
    QueueInfo,
)
from .job_limit import BackendJobLimit
from .properties import BackendProperties, GateProperties, Nduv
from .status import BackendStatus

__all__ = [
    "ApiJobKind",
    "ApiJobStatus",
    "BackendConfiguration",
    "BackendJobLimit",
    "BackendProperties",
    "BackendStatus",
    "GateConfig",
    "GateProperties",
    "JobDocument",
    "JobError",
    "JobStatusResponse",
    "Nduv",
    "PulseDefaults",
    "QueueInfo",
]
