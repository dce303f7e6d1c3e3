"""The exception hierarchy of ibmq-async.

Every error the SDK raises derives from :class:`IBMQError`, which itself is a qiskit
``QiskitError``. The names follow qiskit-ibmq-provider so that code written against it keeps
catching the same classes. Errors that come from the API carry the HTTP status, the server's
error code and message, and the request id when the server sent one. No error ever includes the
API token or the access token.
"""

from __future__ import annotations

from typing import Self

from qiskit.exceptions import QiskitError
from qiskit.providers.exceptions import JobError, JobTimeoutError, QiskitBackendNotFoundError

__all__ = [
    "IBMQAccountApiCredentialsError",
    "IBMQAccountApiError",
    "IBMQAccountApiProtocolError",
    "IBMQAccountConnectionError",
    "IBMQAccountCredentialsInvalidFormat",
    "IBMQAccountCredentialsInvalidToken",
    "IBMQAccountCredentialsInvalidUrl",
    "IBMQAccountCredentialsNotFound",
    "IBMQAccountError",
    "IBMQAccountMultipleCredentialsFound",
    "IBMQAccountValueError",
    "IBMQApiCredentialsError",
    "IBMQApiError",
    "IBMQApiProtocolError",
    "IBMQBackendApiCredentialsError",
    "IBMQBackendApiError",
    "IBMQBackendApiProtocolError",
    "IBMQBackendError",
    "IBMQBackendJobLimitError",
    "IBMQBackendNotFoundError",
    "IBMQBackendUnknownOptionError",
    "IBMQBackendValueError",
    "IBMQError",
    "IBMQJobApiCredentialsError",
    "IBMQJobApiError",
    "IBMQJobApiProtocolError",
    "IBMQJobError",
    "IBMQJobFailureError",
    "IBMQJobInvalidStateError",
    "IBMQJobManagerError",
    "IBMQJobManagerInvalidStateError",
    "IBMQJobManagerJobNotFound",
    "IBMQJobManagerTimeoutError",
    "IBMQJobManagerUnknownJobSet",
    "IBMQJobTimeoutError",
    "IBMQLocalServiceError",
    "IBMQManagedResultDataNotAvailable",
    "IBMQProviderError",
    "RequestsApiError",
]


class IBMQError(QiskitError):  # type: ignore[misc]  # qiskit is untyped
    """Base class for every error raised by ibmq-async."""


class IBMQApiError(IBMQError):
    """An error reported by, or while talking to, the quantum API.

    Attributes:
        status_code: the HTTP status of the reply, or ``-1`` when no reply arrived.
        error_code: the server's numeric error code (``error.code`` in the body), if any.
        server_message: the server's error message (``error.message``), if any.
        request_id: the request id the server sent back, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int = -1,
        error_code: int | None = None,
        server_message: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.error_code = error_code
        self.server_message = server_message
        self.request_id = request_id

    @classmethod
    def wrap(cls, error: IBMQApiError, prefix: str) -> Self:
        """Return a ``cls`` that carries ``error``'s details under a new message."""
        return cls(
            f"{prefix}: {error.message}",
            status_code=error.status_code,
            error_code=error.error_code,
            server_message=error.server_message,
            request_id=error.request_id,
        )


class RequestsApiError(IBMQApiError):
    """A request to the API failed: an HTTP error status or no reply at all."""


class IBMQApiProtocolError(IBMQApiError):
    """The API replied with something that does not follow the protocol (a malformed reply)."""


class IBMQAccountError(IBMQError):
    """An error in account handling."""


class IBMQAccountCredentialsNotFound(IBMQAccountError):
    """No account is enabled, or no stored credentials were found."""


class IBMQAccountCredentialsInvalidUrl(IBMQAccountError):
    """The URL is not an IBM Quantum authentication URL."""


class IBMQAccountCredentialsInvalidToken(IBMQAccountError):
    """The API token is malformed or was refused by the server."""


class IBMQApiCredentialsError(IBMQApiError, IBMQAccountCredentialsInvalidToken):
    """The API refused the account's credentials (HTTP 401 or 403)."""


class IBMQAccountApiError(IBMQApiError, IBMQAccountError):
    """The API failed an account request (version, login, account URLs, hubs)."""


class IBMQAccountApiProtocolError(IBMQAccountApiError, IBMQApiProtocolError):
    """The API replied to an account request with something that does not follow the protocol."""


class IBMQAccountApiCredentialsError(IBMQAccountApiError, IBMQApiCredentialsError):
    """The API refused the API token or the access token of an account request."""


class IBMQAccountConnectionError(IBMQAccountApiError):
    """The service could not be reached (no reply, or none in time): the URL is unreachable."""


class IBMQAccountCredentialsInvalidFormat(IBMQAccountError):
    """The stored credentials could not be parsed (a corrupt file, or a bad default provider)."""


class IBMQAccountMultipleCredentialsFound(IBMQAccountError):
    """More than one set of credentials is stored, so it is not clear which to use."""


class IBMQAccountValueError(IBMQAccountError, ValueError):
    """A value given for an account is invalid (hub/group/project, proxies, verify)."""


class IBMQProviderError(IBMQAccountError):
    """No provider, or more than one, matches the hub/group/project asked for."""


class IBMQLocalServiceError(IBMQAccountError):
    """The embedded local service could not be started (e.g. the ``local`` extra is missing)."""


class IBMQBackendError(IBMQError):
    """An error in a backend operation."""


class IBMQBackendApiError(IBMQApiError, IBMQBackendError):
    """The API failed a backend request."""


class IBMQBackendApiProtocolError(IBMQBackendApiError, IBMQApiProtocolError):
    """The API replied to a backend request with something that does not follow the protocol."""


class IBMQBackendApiCredentialsError(IBMQBackendApiError, IBMQApiCredentialsError):
    """The API refused the account's access to a backend request (HTTP 401 or 403)."""


class IBMQBackendNotFoundError(IBMQBackendError, QiskitBackendNotFoundError):  # type: ignore[misc]  # qiskit is untyped
    """No backend, or more than one, matches the name or filters asked for."""


class IBMQBackendValueError(IBMQBackendError, ValueError):
    """A value given to a backend method is invalid; nothing was sent."""


class IBMQBackendUnknownOptionError(IBMQBackendValueError, AttributeError):
    """``set_options`` was given a field that is not a run option of the backend."""


class IBMQBackendJobLimitError(IBMQBackendApiError):
    """The backend's job limit is reached (server error code 3458)."""


class IBMQJobError(IBMQError, JobError):  # type: ignore[misc]  # qiskit is untyped
    """An error in a job operation."""


class IBMQJobApiError(IBMQApiError, IBMQJobError):
    """The API failed a job request."""


class IBMQJobApiProtocolError(IBMQJobApiError, IBMQApiProtocolError):
    """The API replied to a job request with something that does not follow the protocol."""


class IBMQJobApiCredentialsError(IBMQJobApiError, IBMQApiCredentialsError):
    """The API refused the account's access to a job request (HTTP 401 or 403)."""


class IBMQJobFailureError(IBMQJobError):
    """The job failed; ``message`` says why, as the server reported it."""


class IBMQJobInvalidStateError(IBMQJobError):
    """The job is in a state that does not allow the operation (e.g. it was cancelled)."""


class IBMQJobTimeoutError(IBMQJobError, JobTimeoutError):  # type: ignore[misc]  # qiskit is untyped
    """The job did not reach a final state before the deadline."""


class IBMQJobManagerError(IBMQError):
    """An error of the job manager or of a managed job set."""


class IBMQJobManagerInvalidStateError(IBMQJobManagerError):
    """The job set or its arguments are inconsistent (nothing was sent)."""


class IBMQJobManagerTimeoutError(IBMQJobManagerError):
    """The job set's jobs did not finish before the deadline."""


class IBMQJobManagerJobNotFound(IBMQJobManagerError):
    """No job of the set holds the experiment asked for."""


class IBMQJobManagerUnknownJobSet(IBMQJobManagerError):
    """No job carries the job set's id."""


class IBMQManagedResultDataNotAvailable(IBMQJobManagerError):
    """The result of the experiment asked for is not available (its job failed or is
    missing)."""
