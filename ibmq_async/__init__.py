"""ibmq-async: an async-first SDK for IBM Quantum backends.

Start with the account factory::

    from ibmq_async import AsyncIBMQ

    provider = await AsyncIBMQ.enable_local()
    backend = provider.get_backend("ibmq_qasm_simulator")
    job = await backend.run(circuit, shots=1024)
    counts = (await job.result()).get_counts()
"""

from . import exceptions, models
from ._core.credentials import Credentials
from ._core.defaults import QX_AUTH_URL, Timeouts
from ._core.endpoints import HubGroupProject
from ._core.managed_results import ManagedResults
from ._core.progress_events import ProgressEvent
from ._core.retry import RetryPolicy
from .account import AsyncIBMQ, AsyncIBMQFactory
from .backend import AsyncIBMQBackend, AsyncIBMQRetiredBackend, AsyncIBMQSimulator
from .exceptions import *  # noqa: F403
from .job import AsyncIBMQJob
from .managed import AsyncIBMQJobManager, AsyncManagedJob, AsyncManagedJobSet
from .provider import AsyncAccountProvider, AsyncBackendNamespace, least_busy

__all__ = [
    "QX_AUTH_URL",
    "AsyncAccountProvider",
    "AsyncBackendNamespace",
    "AsyncIBMQ",
    "AsyncIBMQBackend",
    "AsyncIBMQFactory",
    "AsyncIBMQJob",
    "AsyncIBMQJobManager",
    "AsyncIBMQRetiredBackend",
    "AsyncIBMQSimulator",
    "AsyncManagedJob",
    "AsyncManagedJobSet",
    "Credentials",
    "HubGroupProject",
    "ManagedResults",
    "ProgressEvent",
    "RetryPolicy",
    "Timeouts",
    "least_busy",
    "models",
]
__all__ += exceptions.__all__
