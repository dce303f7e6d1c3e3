"""ibmq-async: an async-first SDK for IBM Quantum backends.

Start with the account factory::

    from ibmq_async import AsyncIBMQ

    provider = await AsyncIBMQ.enable_local()
    backend = provider.get_backend("ibmq_qasm_simulator")
    job = await backend.run(circuit, shots=1024)
    counts = (await job.result()).get_counts()
"""

from ._api import QX_AUTH_URL, HubGroupProject
from ._retry import RetryPolicy
from ._session import Timeouts
from .account import AsyncIBMQ, AsyncIBMQFactory
from .backend import AsyncIBMQBackend, AsyncIBMQSimulator
from .exceptions import (
    IBMQAccountCredentialsInvalidToken,
    IBMQAccountCredentialsInvalidUrl,
    IBMQAccountCredentialsNotFound,
    IBMQAccountError,
    IBMQApiError,
    IBMQBackendApiError,
    IBMQBackendApiProtocolError,
    IBMQBackendError,
    IBMQBackendJobLimitError,
    IBMQBackendNotFoundError,
    IBMQBackendValueError,
    IBMQError,
    IBMQJobApiError,
    IBMQJobError,
    IBMQJobFailureError,
    IBMQJobInvalidStateError,
    IBMQJobTimeoutError,
    IBMQLocalServiceError,
    IBMQProviderError,
    RequestsApiError,
)
from .job import AsyncIBMQJob
from .provider import AsyncAccountProvider

__all__ = [
    "QX_AUTH_URL",
    "AsyncAccountProvider",
    "AsyncIBMQ",
    "AsyncIBMQBackend",
    "AsyncIBMQFactory",
    "AsyncIBMQJob",
    "AsyncIBMQSimulator",
    "HubGroupProject",
    "IBMQAccountCredentialsInvalidToken",
    "IBMQAccountCredentialsInvalidUrl",
    "IBMQAccountCredentialsNotFound",
    "IBMQAccountError",
    "IBMQApiError",
    "IBMQBackendApiError",
    "IBMQBackendApiProtocolError",
    "IBMQBackendError",
    "IBMQBackendJobLimitError",
    "IBMQBackendNotFoundError",
    "IBMQBackendValueError",
    "IBMQError",
    "IBMQJobApiError",
    "IBMQJobError",
    "IBMQJobFailureError",
    "IBMQJobInvalidStateError",
    "IBMQJobTimeoutError",
    "IBMQLocalServiceError",
    "IBMQProviderError",
    "RequestsApiError",
    "RetryPolicy",
    "Timeouts",
]
