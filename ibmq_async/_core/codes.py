"""Error codes of the protocol, shared by the client's error mapping and the local service.

Two families:

* :class:`ApiErrorCode`: the ``error.code`` of an HTTP error body
  ``{"error": {"code", "message", "name", "statusCode"}}`` (protocol section 7.2). Each code
  carries its HTTP status and wire name, so raising one needs nothing else. ``3250`` (job not
  found) and ``3458`` (job limit reached) are the codes IBM Quantum used; the others are local
  choices.
* :class:`JobErrorCode`: the ``error.code`` stored in a failed job's document, next to
  ``error.message``. The client shows it as ``"<message>. Error code: <code>."``.
"""

from __future__ import annotations

from enum import IntEnum


class ApiErrorCode(IntEnum):
    """Codes sent in HTTP error bodies, each with its HTTP status and wire name."""

    status: int
    """The HTTP status the code is answered with."""
    wire_name: str
    """The ``error.name`` of the body."""

    def __new__(cls, code: int, status: int, wire_name: str = "") -> ApiErrorCode:
        member = int.__new__(cls, code)
        member._value_ = code
        member.status = status
        member.wire_name = wire_name
        return member

    def __init__(self, *_: object) -> None:
        if not self.wire_name:
            self.wire_name = self.name

    AUTHORIZATION_REQUIRED = 3200, 401
    """No or unknown ``X-Access-Token``."""
    LOGIN_FAILED = 3201, 401
    """``loginWithToken`` with an unknown API token."""
    PROJECT_ACCESS_DENIED = 3202, 403, "FORBIDDEN"
    """The hub/group/project exists but the user is not a member."""
    PROJECT_NOT_FOUND = 3203, 404
    """No such hub/group/project."""
    DEVICE_NOT_FOUND = 3204, 404
    """Unknown backend name (answered with 400 on job creation)."""
    INVALID_REQUEST = 3205, 400
    """Malformed request body or parameter."""
    INVALID_FILTER = 3206, 400
    """Malformed LoopBack ``filter`` parameter."""
    NOT_FOUND = 3207, 404
    """No such route."""
    METHOD_NOT_ALLOWED = 3208, 405
    """The route exists, the method does not."""
    PAYLOAD_TOO_LARGE = 3209, 413
    """Upload larger than the configured maximum."""
    INTERNAL_ERROR = 3210, 500
    """A bug in the local service."""
    JOB_NOT_FOUND = 3250, 404
    """No such job for this user and project."""
    JOB_NOT_CANCELLABLE = 3251, 400
    """The job is already in a final state."""
    RESULT_NOT_AVAILABLE = 3252, 400
    """The job has no result (yet)."""
    JOB_DATA_NOT_UPLOADED = 3253, 400
    """``jobDataUploaded``/``jobDownloadUrl`` before the Qobj was uploaded."""
    JOB_DATA_ALREADY_SUBMITTED = 3254, 409
    """Upload to a job whose data was already submitted."""
    SIGNATURE_INVALID = 3255, 403
    """Presigned URL with a missing or wrong signature."""
    URL_EXPIRED = 3256, 403
    """Presigned URL past its expiry."""
    JOB_LIMIT_REACHED = 3458, 400
    """Too many unfinished jobs on this backend for this project."""


class JobErrorCode(IntEnum):
    """Codes stored in the ``error`` field of a failed job."""

    UPLOAD_EXPIRED = 1100
    """ERROR_CREATING_JOB: the Qobj was never uploaded before the upload URL expired."""
    MALFORMED_QOBJ = 1101
    """ERROR_VALIDATING_JOB: the upload is not a well-formed QASM Qobj."""
    UNSUPPORTED_QOBJ_TYPE = 1102
    """ERROR_VALIDATING_JOB: a Qobj type other than QASM (e.g. PULSE)."""
    TOO_MANY_EXPERIMENTS = 1103
    """ERROR_VALIDATING_JOB: more experiments than ``max_experiments``."""
    INVALID_SHOTS = 1104
    """ERROR_VALIDATING_JOB: shots not an integer in ``1..max_shots``."""
    TOO_MANY_QUBITS = 1105
    """ERROR_VALIDATING_JOB: an experiment uses more qubits than the backend has."""
    INSTRUCTION_NOT_SUPPORTED = 1106
    """ERROR_VALIDATING_JOB: an instruction outside the backend's basis gates."""
    COUPLING_MAP_VIOLATION = 1107
    """ERROR_VALIDATING_JOB: a two-qubit gate on a pair outside the coupling map."""
    INVALID_PARAMETERS = 1108
    """ERROR_VALIDATING_JOB: wrong number or type of instruction parameters."""
    MEMORY_NOT_SUPPORTED = 1109
    """ERROR_VALIDATING_JOB: ``memory=True`` on a backend without memory support."""
    INVALID_RUN_OPTION = 1110
    """ERROR_VALIDATING_JOB: an unusable run option (simulator method, seed, ...)."""
    UNKNOWN_BACKEND = 1111
    """ERROR_VALIDATING_JOB: the job's backend is no longer served."""
    SIMULATION_FAILED = 1201
    """ERROR_RUNNING_JOB: the simulator reported an error."""
    WORKER_CRASHED = 1202
    """ERROR_RUNNING_JOB: the worker process died while running the job."""
