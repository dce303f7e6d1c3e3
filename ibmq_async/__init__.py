"""ibmq-async: an async-first SDK for IBM Quantum backends.

Start with the account factory::

    from ibmq_async import AsyncIBMQ

    provider = await AsyncIBMQ.enable_local()
    backend = provider.get_backend("ibmq_qasm_simulator")
    job = await backend.run(circuit, shots=1024)
    counts = (await job.result()).get_counts()

The public names below are imported on first use (PEP 562), so that ``import ibmq_async``
costs little beyond ``import qiskit``: the HTTP client, the wire models and the account,
backend and job classes load when the program first reaches for one of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import exceptions
from .exceptions import *  # noqa: F403

if TYPE_CHECKING:
    from . import models
    from ._core.credentials import Credentials
    from ._core.defaults import QX_AUTH_URL, Timeouts
    from ._core.endpoints import HubGroupProject
    from ._core.managed_results import ManagedResults
    from ._core.progress_events import ProgressEvent
    from ._core.retry import RetryPolicy, retry_policy
    from .account import AsyncIBMQ, AsyncIBMQFactory
    from .backend import AsyncIBMQBackend, AsyncIBMQRetiredBackend, AsyncIBMQSimulator
    from .job import AsyncIBMQJob
    from .managed import AsyncIBMQJobManager, AsyncManagedJob, AsyncManagedJobSet
    from .monitor import job_monitor as job_monitor
    from .monitor import job_set_monitor as job_set_monitor
    from .provider import AsyncAccountProvider, AsyncBackendNamespace, least_busy

_LAZY = {
    "QX_AUTH_URL": "ibmq_async._core.defaults",
    "AsyncAccountProvider": "ibmq_async.provider",
    "AsyncBackendNamespace": "ibmq_async.provider",
    "AsyncIBMQ": "ibmq_async.account",
    "AsyncIBMQBackend": "ibmq_async.backend",
    "AsyncIBMQFactory": "ibmq_async.account",
    "AsyncIBMQJob": "ibmq_async.job",
    "AsyncIBMQJobManager": "ibmq_async.managed",
    "AsyncIBMQRetiredBackend": "ibmq_async.backend",
    "AsyncIBMQSimulator": "ibmq_async.backend",
    "AsyncManagedJob": "ibmq_async.managed",
    "AsyncManagedJobSet": "ibmq_async.managed",
    "Credentials": "ibmq_async._core.credentials",
    "HubGroupProject": "ibmq_async._core.endpoints",
    "ManagedResults": "ibmq_async._core.managed_results",
    "ProgressEvent": "ibmq_async._core.progress_events",
    "RetryPolicy": "ibmq_async._core.retry",
    "Timeouts": "ibmq_async._core.defaults",
    "job_monitor": "ibmq_async.monitor",
    "job_set_monitor": "ibmq_async.monitor",
    "least_busy": "ibmq_async.provider",
    "retry_policy": "ibmq_async._core.retry",
}
"""Each lazily imported public name, and the module that defines it."""

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
    "job_monitor",
    "job_set_monitor",
    "least_busy",
    "models",
    "retry_policy",
]
__all__ += exceptions.__all__


def __getattr__(name: str) -> Any:
    """Import a public name (or the ``models`` module) on first use, then keep it."""
    if name == "models":
        value: Any = importlib.import_module("ibmq_async.models")
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
