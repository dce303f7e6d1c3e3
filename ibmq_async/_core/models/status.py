"""Backend queue status (``GET {bk}/queue/status``)."""

from __future__ import annotations

from pydantic import Field

from ._base import SnakeModel, WireModel


class BackendStatusResponse(WireModel):
    """The raw queue-status reply of a backend."""

    state: bool = False
    status: str = ""
    length_queue: int = 0
    backend_version: str | None = Field(default=None, alias="backend_version")


class BackendStatus(SnakeModel):
    """The status of a backend, in qiskit's ``BackendStatus`` terms."""

    backend_name: str
    backend_version: str
    operational: bool
    pending_jobs: int
    status_msg: str

    @classmethod
    def from_response(cls, name: str, reply: BackendStatusResponse) -> BackendStatus:
        """Build the status the way the legacy client did from the queue-status reply."""
        return cls(
            backend_name=name,
            backend_version=reply.backend_version or "0.0.0",
            operational=bool(reply.state),
            pending_jobs=max(reply.length_queue, 0),
            status_msg=reply.status or "",
        )
